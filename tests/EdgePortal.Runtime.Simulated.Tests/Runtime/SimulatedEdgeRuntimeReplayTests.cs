using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

/// <summary>The MS2M queue model: backlog λ·X at the replay's start (X = 600 ms in <see cref="TestEdge.Replay"/>).</summary>
public sealed class SimulatedEdgeRuntimeReplayTests
{
    [Fact]
    public async Task ExecuteAsync_ReplayWithMuAboveLambda_DrainsBacklogAtMuMinusLambda()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service("telemetry-ingest", arrivalRate: 100, processingRate: 300);
        var plan = Replay();
        var migration = MigrationId.New();

        var before = await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);
        var x = before.Skip(plan.IndexOf(StepKind.Checkpoint)).Sum(o => o.DurationMs!.Value);
        var backlog = 100 * x / 1_000;
        Assert.Equal(backlog, edge.Service(service.Id)!.QueuedMessages!.Value, 6);
        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.ReplayMessages, service, migration));

        // 60 messages at 300 − 100 = 200 messages/s: 300 ms, during which 90 messages are replayed.
        Assert.Equal(600, x);
        Assert.Equal(backlog / (300 - 100) * 1_000, outcome.Duration(), 6);
        Assert.Equal("replayed 90 messages on centro-vanchiglia in 300 ms", ((StepOutcome.Success)outcome).Message);
        Assert.Equal(0, edge.Service(service.Id)!.QueuedMessages);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayWithNoisyEarlierSteps_BacklogFollowsWhatActuallyElapsed()
    {
        var (runtime, _, time) = Simulator(Options(noise: 0.3, seed: 5));
        var service = Service("telemetry-ingest", arrivalRate: 100, processingRate: 300);
        var plan = Replay();
        var migration = MigrationId.New();

        var before = await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);
        var x = before.Skip(plan.IndexOf(StepKind.Checkpoint)).Sum(o => o.DurationMs!.Value);
        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.ReplayMessages, service, migration));

        Assert.NotEqual(600, x, 3);
        Assert.Equal(100 * x / (300 - 100), outcome.Duration(), 6);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayNotSeenStarting_UsesPlanPredictionsSinceCheckpoint()
    {
        var (runtime, _, time) = Simulator();
        var service = Service("telemetry-ingest", arrivalRate: 100, processingRate: 300);

        // After a restart the simulator sees the replay step first: the backlog comes from the plan's X = 600 ms.
        var outcome = await runtime.RunAsync(time, Context(Replay(), StepKind.ReplayMessages, service));

        Assert.Equal(300, outcome.Duration(), 6);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayWithMuNotAboveLambdaAndNoCutoff_FailsToConverge()
    {
        var (runtime, _, time) = Simulator();
        var service = Service("voice-chat", arrivalRate: 400, processingRate: 380);
        var plan = Replay();
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);

        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.ReplayMessages, service, migration));

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.StartsWith("replay cannot converge: λ=400 ≥ μ=380", failure.Reason);
    }

    [Fact]
    public async Task ExecuteAsync_ReplayWithMuNotAboveLambdaAndCutoff_StopsSourceAndDrains()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service("voice-chat", arrivalRate: 400, processingRate: 380);
        const double cutoffMs = 1_000;
        var plan = Replay(cutoffMs);
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);

        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.ReplayMessages, service, migration));

        // λ·T_cutoff = 400 messages arrive before the source stops; the target replays them at μ = 380/s.
        var duration = outcome.Duration();
        Assert.True(duration >= cutoffMs, $"the replay took {duration} ms, less than the cutoff");
        Assert.Equal(400 * cutoffMs / 380, duration, 6);
        var message = ((StepOutcome.Success)outcome).Message!;
        Assert.StartsWith("replayed 400 messages on centro-vanchiglia", message);
        Assert.Contains("cutoff: voice-chat stopped on centro-castello 1.0 s after the checkpoint", message);
        Assert.Equal(ReplicaRole.Frozen, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }

    [Fact]
    public async Task ExecuteAsync_ReplayConvergingBeforeCutoff_CutoffDoesNotTrigger()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service("telemetry-ingest", arrivalRate: 100, processingRate: 300);
        var plan = Replay(cutoffMs: 5_000);
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);

        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.ReplayMessages, service, migration));

        Assert.Equal(300, outcome.Duration(), 6);
        Assert.DoesNotContain("cutoff", ((StepOutcome.Success)outcome).Message);
        Assert.Equal(ReplicaRole.Serving, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }

    [Fact]
    public async Task ExecuteAsync_LiveCheckpoint_SourceKeepsServing()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service("telemetry-ingest", arrivalRate: 100, processingRate: 300);

        var outcome = await runtime.RunAsync(time, Context(Replay(), StepKind.Checkpoint, service));

        Assert.Equal("checkpointed 10.0 MB in 200 ms; telemetry-ingest keeps serving on centro-castello",
            ((StepOutcome.Success)outcome).Message);
        Assert.Equal(ReplicaRole.Serving, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }

    [Fact]
    public async Task ExecuteAsync_CutoffSplitIntoTwoRounds_SecondRoundDrainsOnlyWhatTheFirstLeft()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service("match-state", arrivalRate: 200, processingRate: 260);
        const double cutoffMs = 1_000;
        // As the designer splits ReplayWithCutoff: round 0 while the source serves, round 1 after the cutoff (downtime).
        var plan = Plan(MigrationStrategy.ReplayWithCutoff, null, null, null, cutoffMs,
            new PlannedStep(StepKind.Profile, 0, 50, false),
            new PlannedStep(StepKind.Checkpoint, 0, 200, false),
            new PlannedStep(StepKind.Transfer, 0, 100, false),
            new PlannedStep(StepKind.Restore, 0, 300, false),
            new PlannedStep(StepKind.ReplayMessages, 0, 400, false),
            new PlannedStep(StepKind.ReplayMessages, 1, 500, true),
            new PlannedStep(StepKind.SwitchTraffic, 0, 50, true));
        var migration = MigrationId.New();
        await runtime.RunUntilAsync(time, plan, service, migration, StepKind.ReplayMessages);

        var first = await runtime.RunAsync(time, Context(plan, 4, service, migration));
        var second = await runtime.RunAsync(time, Context(plan, 5, service, migration));

        // X = 600 ms: backlog 120; catching up at 260 − 200 = 60/s would take 2 s, so round 0 runs to the cutoff (400 ms)
        // and replays 104 while 80 arrive; round 1 drains the remaining 120 + 80 − 104 = 96 at 260/s.
        Assert.Equal(400, first.Duration(), 6);
        Assert.Equal(96 * 1_000 / 260.0, second.Duration(), 6);
        Assert.Equal(0, edge.Service(service.Id)!.QueuedMessages!.Value, 6);
        Assert.Contains("cutoff: match-state stopped", ((StepOutcome.Success)second).Message);
    }
}
