using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Tests.Domain;

/// <summary>Small, valid domain values for the domain tests; each test changes only what it is about.</summary>
internal static class DomainSamples
{
    public const long MB = 1_000_000;
    public const long GB = 1_000_000_000;

    public static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);

    public static WorkloadProfile Profile(long stateBytes = 10 * MB, int cpu = 250)
        => new(stateBytes, dirtyPagesPerSecond: 100, messageArrivalRate: 0, messageProcessingRate: 0, cpuMillicores: cpu);

    public static KpiTargets Targets() => new(maxDowntimeMs: 2_000, maxMigrationTimeMs: 10_000, maxUserLatencyMs: 5);

    public static ServiceInstance Service(NodeId node, string name = "flight-control", TenantId? tenant = null, WorkloadProfile? profile = null)
        => new(ServiceId.New(), tenant ?? TenantId.New(), name, node, profile ?? Profile(), Targets(), Objective.MinDowntime,
            new Dictionary<string, string> { ["app"] = name }, "registry.example/" + name + ":1");

    public static EdgeNode Node(string name, ClusterId? cluster = null, int cpu = 8_000, long memory = 32 * GB)
        => new(NodeId.New(), cluster ?? ClusterId.New(), name, "site " + name, new NodeCapacity(cpu, memory), new GeoLocation(45.07, 7.68));

    /// <summary>Profile (no downtime), pre-dump, checkpoint, transfer and restore (downtime), switch traffic.</summary>
    public static IReadOnlyList<PlannedStep> Steps() =>
    [
        new(StepKind.Profile, 0, 50, false),
        new(StepKind.PreDump, 0, 400, false),
        new(StepKind.Checkpoint, 0, 120, true),
        new(StepKind.Transfer, 0, 300, true),
        new(StepKind.Restore, 0, 200, true),
        new(StepKind.SwitchTraffic, 0, 10, false),
    ];

    public static MigrationPlan Plan(NodeId source, NodeId destination, IReadOnlyList<PlannedStep>? steps = null)
        => new(MigrationStrategy.PreCopy, source, destination, Bandwidth.FromMegabits(500), Iterations: 0, CutoffMs: null,
            PredictedDowntimeMs: 620, PredictedMigrationTimeMs: 1_080, steps ?? Steps(), Feasible: true,
            BindingConstraint: "downtime", Rationale: "Pre-copy keeps downtime under 2 s.");

    /// <summary>A queued migration of a fresh service from one new node to another; its creation event is left pending.</summary>
    public static Migration Queued(IReadOnlyList<PlannedStep>? steps = null, DateTimeOffset? at = null)
    {
        var source = NodeId.New();
        var service = Service(source);
        return Migration.Create(service, ClusterId.New(), Plan(source, NodeId.New(), steps), service.Targets, Objective.MinDowntime,
            MigrationTrigger.Operator, "alice", at ?? T0);
    }

    /// <summary>Runs steps [0, count) to success, one second apart, measuring 100 ms + index each.</summary>
    public static DateTimeOffset RunSteps(Migration migration, int count, DateTimeOffset from)
    {
        var now = from;
        for (var i = 0; i < count; i++)
        {
            now = now.AddSeconds(1);
            migration.BeginStep(i, now);
            now = now.AddSeconds(1);
            migration.CompleteStep(i, 100 + i, $"step {i} ok", now);
        }
        return now;
    }
}
