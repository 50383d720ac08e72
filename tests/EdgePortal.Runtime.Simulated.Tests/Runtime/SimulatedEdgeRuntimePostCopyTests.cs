using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

/// <summary>PostCopy in the digital twin (issue 18 item 1): the service resumes at the switch, its pages follow, and from the switch on it only goes forward.</summary>
public sealed class SimulatedEdgeRuntimePostCopyTests
{
    [Fact]
    public async Task ExecuteAsync_WholePostCopyPlan_ResumesAtSwitchAndSourceRetiresWhenTheLastPageArrives()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = PostCopy();
        var migration = MigrationId.New();

        var outcomes = await runtime.RunUntilAsync(time, plan, service, migration, StepKind.PageIn);
        var twin = edge.Service(service.Id)!;
        // After the switch the service serves at the destination while the frozen source still holds its pages.
        Assert.Equal(Vanchiglia.Id, twin.ServingOn);
        Assert.Equal(ReplicaRole.Frozen, twin.RoleOn(Castello.Id));
        // The images are what the plan's transfer moves at the reserved bandwidth: 2 ms at 1 Gbit/s, 250,000 B.
        Assert.Equal($"lazy dump of flight-control on centro-castello in 176 ms: {ByteSize.Format(250_000)} of images besides the memory; "
            + "flight-control frozen, its 10.0 MB of memory stay there to be served as pages", outcomes[plan.IndexOf(StepKind.Checkpoint)].Message);
        Assert.Contains("flight-control resumed there; its pages follow from centro-castello", outcomes[plan.IndexOf(StepKind.SwitchTraffic)].Message,
            StringComparison.Ordinal);

        var pageIn = Assert.IsType<StepOutcome.Success>(await runtime.RunAsync(time, Context(plan, StepKind.PageIn, service, migration)));

        Assert.Equal(82, pageIn.DurationMs);
        Assert.StartsWith("last page arrived: 10.0 MB of memory from centro-castello to centro-vanchiglia in 82 ms", pageIn.Message, StringComparison.Ordinal);
        Assert.Equal(ReplicaRole.Retired, edge.Service(service.Id)!.RoleOn(Castello.Id));
        Assert.IsType<StepOutcome.Success>(await runtime.RunAsync(time, Context(plan, StepKind.CleanUp, service, migration)));
        Assert.Equal([new SimulatedReplica(Vanchiglia.Id, ReplicaRole.Serving)], edge.Service(service.Id)!.Replicas);
    }

    [Fact]
    public async Task ExecuteAsync_SourceDownDuringPageIn_FailsSayingTheServiceIsLost()
    {
        var (runtime, time, service, plan, migration) = await SwitchedThenSourceDownAsync();

        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.PageIn, service, migration));

        var reason = Assert.IsType<StepOutcome.Failure>(outcome).Reason;
        Assert.Equal("page-in from centro-castello broke off with 10.0 MB of flight-control's memory still there: flight-control on centro-vanchiglia "
            + "cannot fault those pages in and is lost (post-copy cannot go back to a source that is gone)", reason);
    }

    [Fact]
    public async Task RollbackAsync_AfterTheSwitch_FailsForwardOnlyAndNamesTheLoss()
    {
        var (runtime, _, service, plan, migration) = await SwitchedThenSourceDownAsync();

        var outcome = await runtime.RollbackAsync(Rollback(plan, service, migration,
            StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic), CancellationToken.None);

        var reason = Assert.IsType<StepOutcome.Failure>(outcome).Reason;
        Assert.StartsWith("post-copy cannot roll back once flight-control has resumed on centro-vanchiglia", reason, StringComparison.Ordinal);
        Assert.Contains("the only way is forward", reason, StringComparison.Ordinal);
        Assert.EndsWith("centro-castello is down with the pages not yet copied: flight-control is lost; redeploy it from its image and state backup", reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollbackAsync_BeforeTheSwitch_ResumesTheSourceLikeCold()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = PostCopy();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.SwitchTraffic);

        var outcome = await runtime.RollbackAsync(Rollback(plan, service, migration,
            StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore), CancellationToken.None);

        Assert.Contains("resumed flight-control on centro-castello", Assert.IsType<StepOutcome.Success>(outcome).Message, StringComparison.Ordinal);
        Assert.Equal([new SimulatedReplica(Castello.Id, ReplicaRole.Serving)], edge.Service(service.Id)!.Replicas);
    }

    [Fact]
    public async Task ProbeAsync_Simulator_ReportsLazyPages()
    {
        var (runtime, _, _) = Simulator();

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.True(probe.Capabilities.LazyPages);
        Assert.True(probe.Capabilities.Runs(MigrationStrategy.PostCopy));
    }

    /// <summary>A post-copy run up to its page-in (the service resumed on centro-vanchiglia), then its source centro-castello goes down.</summary>
    private static async Task<(SimulatedEdgeRuntime Runtime, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time, ServiceInstance Service,
        MigrationPlan Plan, MigrationId Migration)> SwitchedThenSourceDownAsync()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = PostCopy();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.PageIn);
        edge.SetNodeDown(Castello.Id, true);
        return (runtime, time, service, plan, migration);
    }
}
