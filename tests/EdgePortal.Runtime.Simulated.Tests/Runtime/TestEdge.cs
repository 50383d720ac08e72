using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

/// <summary>
/// A small hand-built edge (one cluster, four nodes) and plans written out step by step, so that the runtime's
/// tests do not depend on the planner or on the demo seed.
/// </summary>
internal static class TestEdge
{
    public const long TenMegabytes = 10_000_000;

    public static readonly EdgeCluster Cluster = new(ClusterId.New(), "torino-centro", ClusterKind.Simulated, "Torino");
    public static readonly EdgeNode Castello = Node("centro-castello");
    public static readonly EdgeNode Vanchiglia = Node("centro-vanchiglia");
    public static readonly EdgeNode Crocetta = Node("centro-crocetta");
    public static readonly EdgeNode Nichelino = Node("sud-nichelino");
    public static readonly Bandwidth Gigabit = Bandwidth.FromGigabits(1);

    public static EdgeNode[] Nodes => [Castello, Vanchiglia, Crocetta, Nichelino];

    public static ServiceInstance Service(string name = "flight-control", double arrivalRate = 0, double processingRate = 0,
        EdgeNode? on = null) =>
        new(ServiceId.New(), TenantId.New(), name, (on ?? Castello).Id,
            new WorkloadProfile(TenMegabytes, 120, arrivalRate, processingRate),
            new KpiTargets(2_000, 5_000, 5), Objective.MinDowntime);

    /// <summary>Profile, checkpoint (frozen), transfer, restore, switch, clean-up.</summary>
    public static MigrationPlan Cold(EdgeNode? from = null, EdgeNode? to = null, Bandwidth? reserved = null) =>
        Plan(MigrationStrategy.Cold, from, to, reserved, cutoffMs: null,
            new PlannedStep(StepKind.Profile, 0, 50, false),
            new PlannedStep(StepKind.Checkpoint, 0, 238, true),
            new PlannedStep(StepKind.Transfer, 0, 100, true),
            new PlannedStep(StepKind.Restore, 0, 426, true),
            new PlannedStep(StepKind.SwitchTraffic, 0, 71, true),
            new PlannedStep(StepKind.CleanUp, 0, 20, false));

    /// <summary>
    /// MS2M: live checkpoint 200 ms, transfer 100 ms, restore 300 ms (so X = 600 ms before the replay), replay, switch, clean-up.
    /// Step indexes: 0 profile, 1 checkpoint, 2 transfer, 3 restore, 4 replay, 5 switch, 6 clean-up.
    /// </summary>
    public static MigrationPlan Replay(double? cutoffMs = null) =>
        Plan(cutoffMs is null ? MigrationStrategy.MessageReplay : MigrationStrategy.ReplayWithCutoff, null, null, null, cutoffMs,
            new PlannedStep(StepKind.Profile, 0, 50, false),
            new PlannedStep(StepKind.Checkpoint, 0, 200, false),
            new PlannedStep(StepKind.Transfer, 0, 100, false),
            new PlannedStep(StepKind.Restore, 0, 300, false),
            new PlannedStep(StepKind.ReplayMessages, 0, 300, false),
            new PlannedStep(StepKind.SwitchTraffic, 0, 50, true),
            new PlannedStep(StepKind.CleanUp, 0, 20, false));

    /// <summary>
    /// Post-copy: lazy dump 176 ms, images 2 ms, lazy restore 546 ms, switch 71 ms (all frozen), then the page-in of 10 MB (82 ms at
    /// 1 Gbit/s: the degradation window) and the clean-up.
    /// </summary>
    public static MigrationPlan PostCopy() =>
        Plan(MigrationStrategy.PostCopy, null, null, null, null,
            new PlannedStep(StepKind.Profile, 0, 50, false),
            new PlannedStep(StepKind.Checkpoint, 0, 176, true),
            new PlannedStep(StepKind.Transfer, 0, 2, true),
            new PlannedStep(StepKind.Restore, 0, 546, true),
            new PlannedStep(StepKind.SwitchTraffic, 0, 71, true),
            new PlannedStep(StepKind.PageIn, 0, 82, false),
            new PlannedStep(StepKind.CleanUp, 0, 20, false));

    public static MigrationPlan Plan(MigrationStrategy strategy, EdgeNode? from, EdgeNode? to, Bandwidth? reserved, double? cutoffMs,
        params PlannedStep[] steps) =>
        new(strategy, (from ?? Castello).Id, (to ?? Vanchiglia).Id, reserved ?? Gigabit, 0, cutoffMs,
            steps.Where(s => s.IsDowntime).Sum(s => s.PredictedMs), steps.Sum(s => s.PredictedMs), steps, true, null, "hand-built for a test");

    public static int IndexOf(this MigrationPlan plan, StepKind kind) =>
        plan.Steps.Select((s, i) => (s, i)).First(x => x.s.Kind == kind).i;

    public static StepContext Context(MigrationPlan plan, int index, ServiceInstance? service = null, MigrationId? migration = null,
        Bandwidth? pathBandwidth = null)
    {
        var p = plan.Steps[index];
        var step = new MigrationStep(index, p.Kind, p.Round, p.IsDowntime, p.PredictedMs, StepStatus.Running, null, null, null, null);
        return new StepContext(migration ?? MigrationId.New(), service ?? Service(), Cluster, NodeOf(plan.Source), NodeOf(plan.Destination),
            plan, step, pathBandwidth ?? Gigabit);
    }

    public static StepContext Context(MigrationPlan plan, StepKind kind, ServiceInstance? service = null, MigrationId? migration = null,
        Bandwidth? pathBandwidth = null) => Context(plan, plan.IndexOf(kind), service, migration, pathBandwidth);

    public static RollbackContext Rollback(MigrationPlan plan, ServiceInstance service, MigrationId migration, params StepKind[] completed)
    {
        var steps = completed.Select(kind =>
        {
            var index = plan.IndexOf(kind);
            var p = plan.Steps[index];
            return new MigrationStep(index, p.Kind, p.Round, p.IsDowntime, p.PredictedMs, StepStatus.Succeeded, null, null, p.PredictedMs, null);
        }).ToList();
        return new RollbackContext(migration, service, Cluster, NodeOf(plan.Source), NodeOf(plan.Destination), plan, steps, "a step failed");
    }

    public static SimulatorOptions Options(double noise = 0, double speed = 1, double failure = 0, int? seed = 1) => new()
    {
        NoiseCoefficientOfVariation = noise,
        SpeedFactor = speed,
        FailureProbability = failure,
        RandomSeed = seed,
    };

    public static (SimulatedEdgeRuntime Runtime, SimulatedEdge Edge, FakeTimeProvider Time) Simulator(SimulatorOptions? options = null)
    {
        var edge = new SimulatedEdge();
        var time = new FakeTimeProvider();
        var runtime = new SimulatedEdgeRuntime(edge, Microsoft.Extensions.Options.Options.Create(options ?? Options()), time,
            NullLogger<SimulatedEdgeRuntime>.Instance);
        return (runtime, edge, time);
    }

    /// <summary>Runs a step to its end: starts it, moves the fake clock far past any step, and awaits the outcome.</summary>
    public static async Task<StepOutcome> RunAsync(this SimulatedEdgeRuntime runtime, FakeTimeProvider time, StepContext context)
    {
        var task = runtime.ExecuteAsync(context, CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));
        return await task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Runs the plan's steps up to (not including) <paramref name="until"/>, asserting each succeeds.</summary>
    public static async Task<List<StepOutcome.Success>> RunUntilAsync(this SimulatedEdgeRuntime runtime, FakeTimeProvider time,
        MigrationPlan plan, ServiceInstance service, MigrationId migration, StepKind until)
    {
        var outcomes = new List<StepOutcome.Success>();
        for (var i = 0; i < plan.IndexOf(until); i++)
            outcomes.Add(Assert.IsType<StepOutcome.Success>(await runtime.RunAsync(time, Context(plan, i, service, migration))));
        return outcomes;
    }

    public static double Duration(this StepOutcome outcome) =>
        Assert.IsType<StepOutcome.Success>(outcome).DurationMs ?? throw new Xunit.Sdk.XunitException("The simulator reported no duration.");

    private static EdgeNode NodeOf(NodeId id) => Nodes.Single(n => n.Id == id);

    private static EdgeNode Node(string name) =>
        new(NodeId.New(), Cluster.Id, name, "gNB " + name, new NodeCapacity(8_000, 32_000_000_000), new GeoLocation(45.07, 7.68));
}
