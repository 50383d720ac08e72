using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;

namespace EdgePortal.Core.Tests.Execution;

public sealed class MigrationEngineTests
{
    [Theory]
    [InlineData(MigrationStrategy.Cold)]
    [InlineData(MigrationStrategy.PreCopy)]
    [InlineData(MigrationStrategy.IterativePreCopy)]
    [InlineData(MigrationStrategy.MessageReplay)]
    [InlineData(MigrationStrategy.ReplayWithCutoff)]
    public async Task Run_EachStrategy_ExecutesThePlanStepsInOrderAndCompletes(MigrationStrategy strategy)
    {
        await using var h = await new EngineHarness().StartAsync();
        var service = strategy switch
        {
            MigrationStrategy.MessageReplay => EngineHarness.Stream,
            MigrationStrategy.ReplayWithCutoff => EngineHarness.Diverging,
            _ => EngineHarness.Cache,
        };
        var migration = h.Start(service, strategy);

        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.Completed, finished.State);
        var executed = h.Runtime.Executed.Where(e => e.Migration == migration.Id).Select(e => e.Kind).ToList();
        Assert.Equal(migration.Plan.Steps.Select(s => s.Kind), executed);
        Assert.Equal(strategy, migration.Strategy);
        Assert.Equal(StepKind.Profile, executed[0]);
        Assert.Contains(StepKind.Restore, executed);
    }

    [Fact]
    public async Task Run_Completed_MeasuredDowntimeIsTheSumOfDowntimeStepsAndServiceMoves()
    {
        await using var h = await new EngineHarness().StartAsync();
        var durations = new Dictionary<StepKind, double> { [StepKind.Checkpoint] = 100, [StepKind.Transfer] = 20, [StepKind.Restore] = 300, [StepKind.SwitchTraffic] = 7 };
        h.Runtime.Script = c => new StepOutcome.Success(null, durations.GetValueOrDefault(c.Step.Kind, 1000));
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var finished = await h.Finished(migration.Id);

        var stored = h.Migrations.Find(migration.Id)!;
        var expected = stored.Steps.Where(s => s.IsDowntime).Sum(s => durations.GetValueOrDefault(s.Kind, 1000));
        Assert.Equal(expected, stored.MeasuredDowntimeMs);
        Assert.Equal(expected, finished.MeasuredDowntimeMs);
        Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(migration.Destination, h.Inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Run_EveryTransition_IsPersistedAndPublishedInSequence()
    {
        await using var h = await new EngineHarness().StartAsync();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.Finished(migration.Id);

        var events = h.Events.Events.Where(e => e.MigrationId == migration.Id).ToList();
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.IsType<MigrationQueued>(events[0]);
        Assert.IsType<MigrationStarted>(events[1]);
        Assert.IsType<MigrationFinished>(events[^1]);
        // Queued, started, then a begin and an end per step, then finished: each one saved before the next step ran.
        Assert.Equal(2 + 2 * migration.Steps.Count + 1, events.Count);
        Assert.True(h.Migrations.Saves >= events.Count - 1);
    }

    public static TheoryData<int> ColdStepIndexes() => [0, 1, 2, 3, 4, 5];

    [Theory]
    [MemberData(nameof(ColdStepIndexes))]
    public async Task Run_StepFails_RollsBackRecordsTheRuntimeErrorAndLeavesTheServiceWhereItWas(int failingIndex)
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = c => c.Step.Index == failingIndex
            ? new StepOutcome.Failure("criu: Error (criu/cr-dump.c:2093): Dumping FAILED.")
            : new StepOutcome.Success(null, 5);
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        Assert.Equal(6, migration.Steps.Count);

        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        var stored = h.Migrations.Find(migration.Id)!;
        Assert.Equal(failingIndex, stored.FailedStep);
        Assert.Contains("Dumping FAILED", stored.FailureReason);
        Assert.Equal(StepStatus.Failed, stored.Steps[failingIndex].Status);
        Assert.All(stored.Steps.Skip(failingIndex + 1), s => Assert.Equal(StepStatus.Skipped, s.Status));
        var rollback = Assert.Single(h.Runtime.RolledBack);
        Assert.Equal(failingIndex, rollback.CompletedSteps.Count);
        Assert.Equal(EngineHarness.A, h.Inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Run_RuntimeThrows_IsTreatedAsAFailedStep()
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? throw new IOException("connection reset by peer") : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        Assert.Contains("connection reset by peer", h.Migrations.Find(migration.Id)!.FailureReason);
    }

    [Fact]
    public async Task Run_RollbackFails_EndsFailedForAnOperator()
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = c => c.Step.Kind == StepKind.Restore ? new StepOutcome.Failure("restore failed") : new StepOutcome.Success();
        h.Runtime.RollbackOutcome = new StepOutcome.Failure("source node unreachable");
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.Failed, finished.State);
        Assert.Contains("source node unreachable", h.Migrations.Find(migration.Id)!.FailureReason);
    }

    [Theory]
    [MemberData(nameof(ColdStepIndexes))]
    public async Task Cancel_DuringEachStep_StopsTheStepRollsBackAndEndsCancelled(int index)
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = c => c.Step.Index == index ? null : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.StepStarted(migration.Id, index);

        var outcome = h.Engine.Cancel(migration.Id, "operator changed their mind");
        var finished = await h.Finished(migration.Id);

        Assert.Equal(CancelOutcome.RollingBack, outcome);
        Assert.Equal(MigrationState.Cancelled, finished.State);
        Assert.Contains((migration.Id, index), h.Runtime.Cancelled);
        Assert.Single(h.Runtime.RolledBack);
        Assert.Equal(EngineHarness.A, h.Inventory.FindService(EngineHarness.Cache)!.NodeId);
        Assert.Equal("operator changed their mind", h.Migrations.Find(migration.Id)!.FailureReason);
    }

    [Fact]
    public async Task Cancel_PostCopyDuringPageIn_RefusedOnlyForwardAndTheMigrationCompletes()
    {
        await using var h = await new EngineHarness().StartAsync();
        AllowPostCopy(h);
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.PostCopy);
        var pageIn = migration.Steps.Single(s => s.Kind == StepKind.PageIn).Index;
        h.Runtime.Script = c => c.Step.Kind == StepKind.PageIn ? null : new StepOutcome.Success();
        await h.StepStarted(migration.Id, pageIn);

        var outcome = h.Engine.Cancel(migration.Id, "operator changed their mind");
        h.Runtime.Release(migration.Id, pageIn);
        var finished = await h.Finished(migration.Id);

        Assert.Equal(CancelOutcome.OnlyForward, outcome);
        Assert.Equal(MigrationState.Completed, finished.State);
        Assert.Empty(h.Runtime.RolledBack);
        Assert.Equal(EngineHarness.C, h.Inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Cancel_PostCopyBeforeTheSwitch_RollsBackLikeCold()
    {
        await using var h = await new EngineHarness().StartAsync();
        AllowPostCopy(h);
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.PostCopy);
        var restore = migration.Steps.Single(s => s.Kind == StepKind.Restore).Index;
        h.Runtime.Script = c => c.Step.Kind == StepKind.Restore ? null : new StepOutcome.Success();
        await h.StepStarted(migration.Id, restore);

        var outcome = h.Engine.Cancel(migration.Id, "not now");
        var finished = await h.Finished(migration.Id);

        Assert.Equal(CancelOutcome.RollingBack, outcome);
        Assert.Equal(MigrationState.Cancelled, finished.State);
        Assert.Single(h.Runtime.RolledBack);
    }

    /// <summary>Tenant a and its cache service allow post-copy (both must).</summary>
    private static void AllowPostCopy(EngineHarness h)
    {
        var tenant = h.Inventory.FindTenant(EngineHarness.TenantA)!;
        h.Inventory.Save(new Tenant(tenant.Id, tenant.Name, tenant.AllowedClusters, tenant.DefaultObjective, allowPostCopy: true));
        var s = h.Inventory.FindService(EngineHarness.Cache)!;
        h.Inventory.Save(new ServiceInstance(s.Id, s.TenantId, s.Name, s.NodeId, s.Profile, s.Targets, s.Objective, s.Labels, s.Image, allowPostCopy: true));
    }

    [Fact]
    public async Task Cancel_Queued_CancelsAtOnceWithoutRunningAStep()
    {
        await using var h = await new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 1, MaxOutboundPerNode = 1 }).StartAsync();
        h.Runtime.Script = _ => null;
        var first = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.StepStarted(first.Id, 0);
        var second = h.Start(EngineHarness.Other, MigrationStrategy.Cold);

        var outcome = h.Engine.Cancel(second.Id, "not now");

        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal(MigrationState.Cancelled, h.Migrations.Find(second.Id)!.State);
        Assert.DoesNotContain(h.Runtime.Executed, e => e.Migration == second.Id);
        Assert.Empty(h.Engine.Queue);
    }

    [Fact]
    public async Task Cancel_Finished_SaysSoAndChangesNothing()
    {
        await using var h = await new EngineHarness().StartAsync();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.Finished(migration.Id);

        Assert.Equal(CancelOutcome.AlreadyFinished, h.Engine.Cancel(migration.Id, "late"));
        Assert.Equal(CancelOutcome.NotFound, h.Engine.Cancel(MigrationId.New(), "who"));
        Assert.Equal(MigrationState.Completed, h.Migrations.Find(migration.Id)!.State);
    }

    [Fact]
    public async Task Run_PastTheCompletionTimeout_AbortsAndRollsBack()
    {
        await using var h = await new EngineHarness(new EngineOptions { CompletionTimeout = TimeSpan.FromSeconds(30) }).StartAsync();
        h.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? null : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        var transfer = migration.Steps.First(s => s.Kind == StepKind.Transfer).Index;
        await h.StepStarted(migration.Id, transfer);

        h.Clock.Advance(TimeSpan.FromSeconds(31));
        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        var stored = h.Migrations.Find(migration.Id)!;
        Assert.Contains("did not finish within", stored.FailureReason);
        Assert.Equal(transfer, stored.FailedStep);
    }

    [Fact]
    public async Task Dispatch_ClusterLimit_QueuesTheRestVisiblyAndStartsThemInOrder()
    {
        await using var h = await new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 1, MaxOutboundPerNode = 1 }).StartAsync();
        h.Runtime.Script = c => c.Step.Index == 0 ? null : new StepOutcome.Success();
        var first = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.StepStarted(first.Id, 0);
        var second = h.Start(EngineHarness.Other, MigrationStrategy.Cold);

        var waiting = await WaitUntil(() => h.Engine.Queue.SingleOrDefault(q => q.MigrationId == second.Id && q.WaitingFor.Contains("cluster")));
        Assert.Contains("1 of 1 running", waiting.WaitingFor);
        Assert.Equal(MigrationState.Queued, h.Migrations.Find(second.Id)!.State);

        h.Runtime.Release(first.Id, 0);
        await h.Finished(first.Id);
        await h.StepStarted(second.Id, 0);
        h.Runtime.Release(second.Id, 0);
        Assert.Equal(MigrationState.Completed, (await h.Finished(second.Id)).State);
        Assert.Equal(1, h.Runtime.MaxConcurrentSteps);
    }

    [Fact]
    public async Task Dispatch_HoldUntilPredictedStart_StartsAPlanThatWaitsForBandwidthOnlyAtItsPredictedStart()
    {
        await using var h = await new EngineHarness(new EngineOptions { HoldUntilPredictedStart = true }).StartAsync();
        var (first, second) = await SecondWaitsForTheFirstsPath(h);

        var held = await WaitUntil(() => h.Engine.Queue.SingleOrDefault(q => q.MigrationId == second.Id && q.WaitingFor.Contains("predicted start")));
        Assert.Equal(second.CreatedAt.AddMilliseconds(second.Plan.PredictedStartMs), held.NotBefore);
        Assert.DoesNotContain(h.Events.Events, e => e is StepStarted started && started.MigrationId == second.Id);

        h.Clock.Advance(held.NotBefore!.Value - h.Clock.GetUtcNow());
        await BothFinish(h, first, second);
    }

    [Fact]
    public async Task Dispatch_HoldOff_StartsAPlanThatWaitsForBandwidthAsSoonAsASlotIsFree()
    {
        await using var h = await new EngineHarness(new EngineOptions()).StartAsync();
        var (first, second) = await SecondWaitsForTheFirstsPath(h);

        await BothFinish(h, first, second);
    }

    /// <summary>Two migrations to C over the same path: the first runs (held at its first step), the second is planned to wait for its release, a slot free at once.</summary>
    private static async Task<(Migration First, Migration Second)> SecondWaitsForTheFirstsPath(EngineHarness h)
    {
        h.Runtime.Script = c => c.Step.Index == 0 ? null : new StepOutcome.Success();
        var first = h.Start(EngineHarness.Cache, MigrationStrategy.Cold, EngineHarness.C);
        await h.StepStarted(first.Id, 0);
        var second = h.Start(EngineHarness.Stream, MigrationStrategy.Cold, EngineHarness.C);
        Assert.Equal(CapacityChoice.Wait, second.Plan.Capacity);
        Assert.True(second.Plan.PredictedStartMs > 0);
        return (first, second);
    }

    /// <summary>The second starts, then both are let go and the second completes.</summary>
    private static async Task BothFinish(EngineHarness h, Migration first, Migration second)
    {
        await h.StepStarted(second.Id, 0);
        h.Runtime.Release(first.Id, 0);
        h.Runtime.Release(second.Id, 0);
        Assert.Equal(MigrationState.Completed, (await h.Finished(second.Id)).State);
    }

    [Fact]
    public async Task Dispatch_NodeLimit_HoldsBackASecondMigrationFromTheSameNodeOnly()
    {
        await using var h = await new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 5, MaxOutboundPerNode = 1 }).StartAsync();
        h.Runtime.Script = c => c.Step.Index == 0 ? null : new StepOutcome.Success();
        var fromA = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.StepStarted(fromA.Id, 0);
        var alsoFromA = h.Start(EngineHarness.Stream, MigrationStrategy.Cold);
        var fromB = h.Start(EngineHarness.Other, MigrationStrategy.Cold);

        await h.StepStarted(fromB.Id, 0);
        var waiting = await WaitUntil(() => h.Engine.Queue.SingleOrDefault(q => q.MigrationId == alsoFromA.Id && q.WaitingFor.Contains("source node")));
        Assert.Contains("1 of 1 outbound", waiting.WaitingFor);

        h.Runtime.Release(fromA.Id, 0);
        h.Runtime.Release(fromB.Id, 0);
        await h.StepStarted(alsoFromA.Id, 0);
        h.Runtime.Release(alsoFromA.Id, 0);
        Assert.Equal(MigrationState.Completed, (await h.Finished(alsoFromA.Id)).State);
    }

    [Fact]
    public async Task Start_ServiceAlreadyMigrating_IsAConflictNamingTheMigration()
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = _ => null;
        var first = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var second = h.Coordinator.Start(new MigrationRequest { ServiceId = EngineHarness.Cache, RequestedBy = "test", AcceptTargetMiss = true });

        var conflict = Assert.IsType<MigrationRequestResult.Conflict>(second);
        Assert.Equal(first.Id, conflict.Existing);
        Assert.Contains("already being migrated", conflict.Detail);
    }

    [Fact]
    public async Task Start_UnknownService_IsNotFound()
    {
        await using var h = await new EngineHarness().StartAsync();

        var result = h.Coordinator.Start(new MigrationRequest { ServiceId = ServiceId.New(), RequestedBy = "test" });

        Assert.IsType<MigrationRequestResult.NotFound>(result);
    }

    [Fact]
    public async Task Start_TargetsNoPlanCanMeet_IsInfeasibleWithTheReason()
    {
        await using var h = await new EngineHarness().StartAsync();

        var result = h.Coordinator.Start(new MigrationRequest
        {
            ServiceId = EngineHarness.Cache,
            Targets = new KpiTargets(maxDowntimeMs: 1, maxMigrationTimeMs: 2, maxUserLatencyMs: 5),
            RequestedBy = "test",
        });

        var infeasible = Assert.IsType<MigrationRequestResult.Infeasible>(result);
        Assert.False(string.IsNullOrWhiteSpace(infeasible.Detail));
        Assert.Empty(h.Migrations.List(new MigrationQuery()));
    }

    [Fact]
    public async Task Run_ClusterWithoutRuntime_RollsBackSayingSo()
    {
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        await using var h = await new EngineHarness(runtime: new ScriptedRuntime(ClusterKind.Agent), inventory: inventory).StartAsync();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        Assert.Contains("No runtime drives Simulated clusters", h.Migrations.Find(migration.Id)!.FailureReason);
    }

    [Fact]
    public async Task Recover_RunningWhenTheProcessStopped_RollsBackAndSaysWhy()
    {
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        MigrationId id;
        await using (var before = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync())
        {
            before.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? null : new StepOutcome.Success();
            var migration = before.Start(EngineHarness.Cache, MigrationStrategy.Cold);
            id = migration.Id;
            await before.StepStarted(id, migration.Steps.First(s => s.Kind == StepKind.Transfer).Index);
        } // the host stops mid-transfer: the migration stays Running in the store

        Assert.Equal(MigrationState.Running, migrations.Find(id)!.State);
        await using var after = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync();
        var finished = await after.Finished(id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        Assert.Contains("EdgePortal stopped during Transfer", migrations.Find(id)!.FailureReason);
        Assert.Single(after.Runtime.RolledBack);
        Assert.Equal(EngineHarness.A, inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Recover_StoppedInAStepSafeToRepeat_RunsItAgainWithTheStoredArtifactsAndCompletes()
    {
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        MigrationId id;
        int transfer;
        await using (var before = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync())
        {
            before.Runtime.Script = c => c.Step.Kind switch
            {
                StepKind.Transfer => null,
                StepKind.Checkpoint => new StepOutcome.Success("dumped", 5, new StepArtifacts { ArchivePath = "/var/ckpt/cache.tar" }),
                _ => new StepOutcome.Success(),
            };
            var migration = before.Start(EngineHarness.Cache, MigrationStrategy.Cold);
            id = migration.Id;
            transfer = migration.Steps.First(s => s.Kind == StepKind.Transfer).Index;
            await before.StepStarted(id, transfer);
        } // the host stops mid-transfer

        Assert.Equal("/var/ckpt/cache.tar", migrations.Find(id)!.Artifacts.ArchivePath);
        await using var after = new EngineHarness(migrations: migrations, inventory: inventory);
        after.Runtime.Repeatable = (_, kind) => kind == StepKind.Transfer;
        await after.StartAsync();
        var finished = await after.Finished(id);

        Assert.Equal(MigrationState.Completed, finished.State);
        Assert.Equal(transfer, after.Runtime.Executed.First().Index);
        Assert.Equal("/var/ckpt/cache.tar", after.Runtime.Contexts.First().Stored.ArchivePath);
        Assert.Empty(after.Runtime.RolledBack);
        Assert.Contains(after.Events.Events, e => e is MigrationResumed r && r.MigrationId == id && r.NextStep == transfer);
        Assert.Equal(EngineHarness.C, inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Recover_StoppedBetweenSteps_ResumesFromTheNextStepEvenWhereNoStepIsRepeatable()
    {
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        var service = inventory.FindService(EngineHarness.Cache)!;
        var plan = new MigrationPlan(MigrationStrategy.Cold, EngineHarness.A, EngineHarness.C, Bandwidth.FromGigabits(1), 0, null, 900, 900,
            [new PlannedStep(StepKind.Checkpoint, 0, 300, true), new PlannedStep(StepKind.Transfer, 0, 300, true), new PlannedStep(StepKind.Restore, 0, 300, true)],
            true, null, "test");
        var migration = Migration.Create(service, inventory.FindNode(EngineHarness.A)!.ClusterId, plan, service.Targets, service.Objective,
            MigrationTrigger.Operator, "test", DateTimeOffset.UnixEpoch);
        migration.Start(DateTimeOffset.UnixEpoch);
        migration.BeginStep(0, DateTimeOffset.UnixEpoch);
        migration.CompleteStep(0, 10, "dumped", DateTimeOffset.UnixEpoch, new StepArtifacts { ImagesId = "cache-1" });
        migrations.Save(migration); // crashed after the checkpoint was stored, before the transfer began

        await using var h = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync();
        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.Completed, finished.State);
        Assert.Equal([StepKind.Transfer, StepKind.Restore], h.Runtime.Executed.Select(e => e.Kind));
        Assert.All(h.Runtime.Contexts, c => Assert.Equal("cache-1", c.Stored.ImagesId));
    }

    [Fact]
    public async Task Recover_MigrationToAClusterOfAnotherKind_RunsNoStepAndSaysNothingMigratesAcrossRuntimeKinds()
    {
        // Planned before node d's cluster became a Kubernetes one (the planner rules such a pair out): the engine refuses it too.
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        var service = inventory.FindService(EngineHarness.Cache)!;
        var far = inventory.Topology().Nodes.Single(n => n.Name == "d");
        var plan = new MigrationPlan(MigrationStrategy.Cold, EngineHarness.A, far.Id, Bandwidth.FromGigabits(1), 0, null, 900, 900,
            [new PlannedStep(StepKind.Checkpoint, 0, 300, true), new PlannedStep(StepKind.Restore, 0, 300, true)], true, null, "test");
        var migration = Migration.Create(service, inventory.FindNode(EngineHarness.A)!.ClusterId, plan, service.Targets, service.Objective,
            MigrationTrigger.Operator, "test", DateTimeOffset.UnixEpoch);
        migration.Start(DateTimeOffset.UnixEpoch);
        migrations.Save(migration);

        await using var h = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync();
        var finished = await h.Finished(migration.Id);

        Assert.NotEqual(MigrationState.Completed, finished.State);
        Assert.Contains("the source's metro a Simulated cluster: nothing migrates across runtime kinds", h.Migrations.Find(migration.Id)!.FailureReason, StringComparison.Ordinal);
        Assert.Empty(h.Runtime.Executed);
        Assert.Equal(EngineHarness.A, inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task Execute_FailureWithRetryAfter_WaitsRetriesAndRecordsTheAttempt()
    {
        await using var h = await new EngineHarness().StartAsync();
        var calls = 0;
        h.Runtime.Script = c => c.Step.Kind == StepKind.Transfer && Interlocked.Increment(ref calls) == 1
            ? new StepOutcome.Failure("registry busy: 503", TimeSpan.FromSeconds(3))
            : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var retrying = await h.Events.WaitFor<StepRetrying>(e => e.MigrationId == migration.Id);
        Assert.Equal((1, "registry busy: 503", 3_000d), (retrying.Attempt, retrying.Error, retrying.RetryAfterMs));
        Assert.Equal(MigrationState.Running, h.Migrations.Find(migration.Id)!.State);
        h.Clock.Advance(TimeSpan.FromSeconds(3));
        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.Completed, finished.State);
        var transfer = h.Migrations.Find(migration.Id)!.Steps.Single(s => s.Kind == StepKind.Transfer);
        Assert.Equal(2, transfer.Attempts);
        Assert.Equal("registry busy: 503", Assert.Single(transfer.Retries!).Error);
    }

    [Fact]
    public async Task Execute_RetryAfterBeyondTheAttempts_FailsAndRollsBack()
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Retries = _ => new StepRetryPolicy(2, TimeSpan.FromSeconds(1));
        h.Runtime.Script = c => c.Step.Kind == StepKind.Transfer
            ? new StepOutcome.Failure("registry busy: 503", TimeSpan.FromMinutes(5))
            : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        var retrying = await h.Events.WaitFor<StepRetrying>(e => e.MigrationId == migration.Id);
        Assert.Equal(1_000d, retrying.RetryAfterMs); // capped by the policy, not the runtime's five minutes
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var finished = await h.Finished(migration.Id);

        Assert.Equal(MigrationState.RolledBack, finished.State);
        Assert.Equal(2, h.Runtime.Executed.Count(e => e.Kind == StepKind.Transfer));
        Assert.Contains("registry busy", h.Migrations.Find(migration.Id)!.FailureReason);
    }

    [Fact]
    public async Task Execute_FailureWithoutRetryAfter_IsNotRetried()
    {
        await using var h = await new EngineHarness().StartAsync();
        h.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? new StepOutcome.Failure("connection reset") : new StepOutcome.Success();
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);

        Assert.Equal(MigrationState.RolledBack, (await h.Finished(migration.Id)).State);
        Assert.Single(h.Runtime.Executed, e => e.Kind == StepKind.Transfer);
        Assert.DoesNotContain(h.Events.Events, e => e is StepRetrying);
    }

    [Fact]
    public async Task Recover_AllStepsHadSucceeded_CompletesAndMovesTheService()
    {
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        var service = inventory.FindService(EngineHarness.Cache)!;
        var plan = new MigrationPlan(MigrationStrategy.Cold, EngineHarness.A, EngineHarness.C, Bandwidth.FromGigabits(1), 0, null, 900, 900,
            [new PlannedStep(StepKind.Checkpoint, 0, 300, true), new PlannedStep(StepKind.Restore, 0, 600, true)], true, null, "test");
        var migration = Migration.Create(service, inventory.FindNode(EngineHarness.A)!.ClusterId, plan, service.Targets, service.Objective,
            MigrationTrigger.Operator, "test", DateTimeOffset.UnixEpoch);
        migration.Start(DateTimeOffset.UnixEpoch);
        foreach (var step in plan.Steps.Select((_, i) => i))
        {
            migration.BeginStep(step, DateTimeOffset.UnixEpoch);
            migration.CompleteStep(step, 10, null, DateTimeOffset.UnixEpoch);
        }
        migrations.Save(migration); // crashed after the last step, before completing

        await using var h = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync();

        Assert.Equal(MigrationState.Completed, migrations.Find(migration.Id)!.State);
        Assert.Equal(EngineHarness.C, inventory.FindService(EngineHarness.Cache)!.NodeId);
        Assert.Empty(h.Runtime.Executed);
    }

    [Fact]
    public async Task Submit_BeforeTheStartUpRecovery_QueuesTheMigrationOnce()
    {
        // One slot: a second copy of the migration would stay visibly queued behind the first.
        await using var h = new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 1, MaxOutboundPerNode = 1 });
        h.Runtime.Script = c => c.Step.Index == 0 ? null : new StepOutcome.Success();
        // Queued before the engine starts: the recovery pass then finds it in the store as well.
        var migration = h.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await h.Engine.StartAsync(CancellationToken.None);
        await h.Engine.Recovered;
        await h.StepStarted(migration.Id, 0);

        Assert.Empty(h.Engine.Queue);
        Assert.Equal([migration.Id], h.Engine.Running);

        h.Runtime.Release(migration.Id, 0);
        Assert.Equal(MigrationState.Completed, (await h.Finished(migration.Id)).State);
        Assert.Equal(migration.Steps.Count, h.Runtime.Executed.Count(e => e.Migration == migration.Id));
    }

    [Fact]
    public async Task Recover_QueuedAndRollingBack_RunsTheFirstAndFinishesTheSecond()
    {
        var migrations = new InMemoryMigrationRepository();
        var inventory = new InMemoryInventoryRepository(EngineHarness.BuildEdge());
        MigrationId queued, rollingBack;
        await using (var before = new EngineHarness(migrations: migrations, inventory: inventory))
        {
            // Not started: the coordinator stores and submits, nothing executes.
            queued = before.Start(EngineHarness.Cache, MigrationStrategy.Cold).Id;
            var other = before.Start(EngineHarness.Other, MigrationStrategy.Cold);
            var stored = migrations.Find(other.Id)!;
            stored.Start(DateTimeOffset.UnixEpoch);
            stored.BeginStep(0, DateTimeOffset.UnixEpoch);
            stored.FailStep(0, "boom", 1, DateTimeOffset.UnixEpoch);
            migrations.Save(stored);
            rollingBack = other.Id;
        }

        await using var after = await new EngineHarness(migrations: migrations, inventory: inventory).StartAsync();

        Assert.Equal(MigrationState.Completed, (await after.Finished(queued)).State);
        Assert.Equal(MigrationState.RolledBack, (await after.Finished(rollingBack)).State);
    }

    /// <summary>Waits for the engine's own thread to reach a state; it never sleeps a fixed time.</summary>
    private static async Task<T> WaitUntil<T>(Func<T?> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
                return value;
            await Task.Yield();
        }
        throw new TimeoutException("The condition never held.");
    }
}
