using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

public sealed class SimulatedEdgeRuntimeRollbackTests
{
    [Fact]
    public async Task RollbackAsync_AfterColdCheckpointAndRestore_ResumesSourceAndRemovesDestinationReplica()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.SwitchTraffic);
        Assert.Equal(ReplicaRole.Standby, edge.Service(service.Id)!.RoleOn(Vanchiglia.Id));

        var outcome = await runtime.RollbackAsync(
            Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore), CancellationToken.None);

        var message = Assert.IsType<StepOutcome.Success>(outcome).Message!;
        Assert.Contains("resumed flight-control on centro-castello", message);
        Assert.Contains("removed the replica and checkpoint images of flight-control from centro-vanchiglia", message);
        Assert.Equal([new SimulatedReplica(Castello.Id, ReplicaRole.Serving)], edge.Service(service.Id)!.Replicas);
    }

    [Fact]
    public async Task RollbackAsync_CalledTwice_IsIdempotent()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.SwitchTraffic);
        var context = Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore);

        var first = await runtime.RollbackAsync(context, CancellationToken.None);
        var second = await runtime.RollbackAsync(context, CancellationToken.None);

        Assert.IsType<StepOutcome.Success>(first);
        Assert.Equal("flight-control is serving on centro-castello; nothing to undo", Assert.IsType<StepOutcome.Success>(second).Message);
        Assert.Equal([new SimulatedReplica(Castello.Id, ReplicaRole.Serving)], edge.Service(service.Id)!.Replicas);
    }

    [Fact]
    public async Task RollbackAsync_MigrationNeverSeen_SucceedsFromCompletedSteps()
    {
        // A host restart: the engine rolls back a migration whose steps ran in another process.
        var (runtime, edge, _) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();

        var outcome = await runtime.RollbackAsync(
            Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore), CancellationToken.None);

        var message = Assert.IsType<StepOutcome.Success>(outcome).Message!;
        Assert.Contains("resumed flight-control on centro-castello", message);
        Assert.Contains("centro-vanchiglia", message);
        Assert.Equal(Castello.Id, edge.Service(service.Id)!.ServingOn);
    }

    [Fact]
    public async Task RollbackAsync_AfterTrafficSwitch_SourceServesAgain()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.CleanUp);
        Assert.Equal(Vanchiglia.Id, edge.Service(service.Id)!.ServingOn);

        var outcome = await runtime.RollbackAsync(Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint,
            StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic), CancellationToken.None);

        Assert.IsType<StepOutcome.Success>(outcome);
        Assert.Equal([new SimulatedReplica(Castello.Id, ReplicaRole.Serving)], edge.Service(service.Id)!.Replicas);
    }

    [Fact]
    public async Task RollbackAsync_SourceDown_Fails()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.Transfer);
        edge.SetNodeDown(Castello.Id, true);

        var outcome = await runtime.RollbackAsync(Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint), CancellationToken.None);

        Assert.Equal("cannot resume on centro-castello: node is down", Assert.IsType<StepOutcome.Failure>(outcome).Reason);
        Assert.Equal(ReplicaRole.Frozen, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }

    [Fact]
    public async Task RollbackAsync_DestinationDown_StillResumesSource()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.SwitchTraffic);
        edge.SetNodeDown(Vanchiglia.Id, true);

        var outcome = await runtime.RollbackAsync(
            Rollback(plan, service, migration, StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore), CancellationToken.None);

        Assert.Contains("centro-vanchiglia is down", Assert.IsType<StepOutcome.Success>(outcome).Message);
        Assert.Equal(Castello.Id, edge.Service(service.Id)!.ServingOn);
    }

    [Fact]
    public async Task RollbackAsync_AfterInjectedCheckpointFault_ResumesFrozenSource()
    {
        var options = Options();
        options.StepFailureProbabilities["Checkpoint"] = 1;
        var (runtime, edge, time) = Simulator(options);
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();
        Assert.IsType<StepOutcome.Failure>(await runtime.RunAsync(time, Context(plan, StepKind.Checkpoint, service, migration)));
        Assert.Equal(ReplicaRole.Frozen, edge.Service(service.Id)!.RoleOn(Castello.Id));

        var outcome = await runtime.RollbackAsync(Rollback(plan, service, migration), CancellationToken.None);

        Assert.Contains("resumed flight-control on centro-castello", Assert.IsType<StepOutcome.Success>(outcome).Message);
        Assert.Equal(ReplicaRole.Serving, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }
}
