using EdgePortal.Core.Domain;

namespace EdgePortal.Storage.Tests;

internal static class StorageSamples
{
    public const long MB = 1_000_000;
    public const long GB = 1_000_000_000;

    public static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Two tenants, two clusters, three nodes in a line, two links, three services, two user groups.</summary>
    public static EdgeInventory SampleInventory()
    {
        var centro = new EdgeCluster(ClusterId.New(), "centro", ClusterKind.Simulated, "Torino · Centro");
        var nord = new EdgeCluster(ClusterId.New(), "nord", ClusterKind.Kubernetes, "Torino · Nord");
        var sky = new Tenant(TenantId.New(), "SkyFleet", [centro.Id, nord.Id], Objective.MinDowntime);
        var arena = new Tenant(TenantId.New(), "ARena Play", [centro.Id], Objective.MinResources);
        var castello = new EdgeNode(NodeId.New(), centro.Id, "centro-castello", "gNB Piazza Castello", new NodeCapacity(16_000, 64 * GB), new GeoLocation(45.0712, 7.6853));
        var crocetta = new EdgeNode(NodeId.New(), centro.Id, "centro-crocetta", "gNB Crocetta", new NodeCapacity(8_000, 32 * GB), new GeoLocation(45.0566, 7.666), "edge-small", NodeStatus.Cordoned);
        var dora = new EdgeNode(NodeId.New(), nord.Id, "nord-dora", "gNB Parco Dora", new NodeCapacity(32_000, 128 * GB), new GeoLocation(45.086, 7.67), "edge-large", NodeStatus.Down);
        var links = new[]
        {
            new NetworkLink(LinkId.New(), castello.Id, crocetta.Id, Bandwidth.FromGigabits(1), 0.9),
            new NetworkLink(LinkId.New(), castello.Id, dora.Id, Bandwidth.FromGigabits(10), 2.2),
        };
        var flight = Service(sky.Id, "flight-control", castello.Id, Objective.MinDowntime);
        var telemetry = new ServiceInstance(ServiceId.New(), sky.Id, "telemetry-ingest", dora.Id,
            new WorkloadProfile(64 * MB, 2_500.5, 800, 1_200, 1_000), new KpiTargets(1_500, 20_000, 8), Objective.MinResources,
            new Dictionary<string, string> { ["app"] = "telemetry", ["tier"] = "stream", ["team"] = "données · ñ" }, "registry.example/telemetry:2.1");
        var match = Service(arena.Id, "match-state", crocetta.Id, Objective.MinResources);
        var groups = new[]
        {
            new UserGroup(UserGroupId.New(), flight.Id, "Survey swarm A", castello.Id, 12),
            new UserGroup(UserGroupId.New(), match.Id, "Players Crocetta", crocetta.Id, 150),
        };
        return new EdgeInventory([sky, arena], [centro, nord], [castello, crocetta, dora], links, [flight, telemetry, match], groups);
    }

    public static ServiceInstance Service(TenantId tenant, string name, NodeId node, Objective objective = Objective.MinDowntime,
        IReadOnlyDictionary<string, string>? labels = null)
        => new(ServiceId.New(), tenant, name, node, new WorkloadProfile(10 * MB, 120, cpuMillicores: 500),
            new KpiTargets(2_000, 5_000, 5), objective, labels ?? new Dictionary<string, string> { ["app"] = name }, $"registry.example/{name}:1.0");

    public static IReadOnlyList<PlannedStep> Steps() =>
    [
        // The time profile (when each step sends) is stored with the plan: the link ledger is rebuilt from it.
        new(StepKind.Checkpoint, 0, 120, true, 0),
        new(StepKind.Transfer, 0, 300.5, true, 250.25),
        new(StepKind.Restore, 0, 200, true),
        new(StepKind.SwitchTraffic, 0, 10, false),
    ];

    public static Migration NewMigration(ServiceInstance service, ClusterId cluster, DateTimeOffset createdAt)
    {
        var plan = new MigrationPlan(MigrationStrategy.Cold, service.NodeId, NodeId.New(), Bandwidth.FromMegabits(500), 0, null,
            620.5, 1_080, Steps(), true, "downtime", "Cold fits: the state is small.");
        return Migration.Create(service, cluster, plan, service.Targets, service.Objective, MigrationTrigger.Api, "ci", createdAt);
    }

    /// <summary>Drives a queued migration into <paramref name="state"/> through its guarded methods.</summary>
    public static Migration DriveTo(Migration migration, MigrationState state)
    {
        var at = migration.CreatedAt;
        if (state == MigrationState.Queued)
            return migration;
        if (state == MigrationState.Cancelled)
        {
            migration.Cancel("operator", at);
            return migration;
        }
        migration.Start(at.AddSeconds(1));
        switch (state)
        {
            case MigrationState.Running:
                migration.BeginStep(0, at.AddSeconds(2));
                break;
            case MigrationState.Completed:
                for (var i = 0; i < migration.Steps.Count; i++)
                {
                    migration.BeginStep(i, at.AddSeconds(2 + i));
                    migration.CompleteStep(i, 100 + i, null, at.AddSeconds(3 + i));
                }
                migration.Complete(at.AddSeconds(10));
                break;
            case MigrationState.RollingBack:
                migration.Abort("deadline passed", at.AddSeconds(2));
                break;
            case MigrationState.RolledBack:
                migration.BeginStep(0, at.AddSeconds(2));
                migration.FailStep(0, "criu dump failed", 5, at.AddSeconds(3));
                migration.CompleteRollback("source serving", at.AddSeconds(4));
                break;
            case MigrationState.Failed:
                migration.Abort("host restarted", at.AddSeconds(2));
                migration.FailRollback("source gone", at.AddSeconds(3));
                break;
        }
        Assert.Equal(state, migration.State);
        return migration;
    }
}
