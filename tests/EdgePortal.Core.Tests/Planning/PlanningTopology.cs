using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// A small hand-made edge for placement tests. Cluster A is the tenant's, cluster B is not. 100 users attach at n1.
/// <code>
///            10 ms, 1 Gbit/s
///   src ─────────────────── n1 ── 6 ms, 100 Mbit/s ── n8 (empty)
///    │                     / │
///    │ 4 ms, 10 Gbit/s    /  └─ 6 ms, 100 Mbit/s ── n9 (half full)
///    │     3 ms, 1 Gbit/s
///   n2 ──────────────────
///    │
///    └─ 3 ms, 10 Gbit/s ── n7
///   n3 (cordoned), n4 (cluster B), n5 (no room), n6 (no links) hang off n2 or nowhere.
/// </code>
/// Latencies from n1 (the users): n1 0, n2 3, n7 6, n8 6, n9 6, src 7 (via n2). Bottleneck bandwidth from src:
/// n1 1 Gbit/s (via n2), n2 10 Gbit/s, n7 10 Gbit/s, n8 and n9 100 Mbit/s.
/// </summary>
internal sealed class PlanningTopology
{
    public const long GB = 1_000_000_000;

    public PlanningTopology(long stateBytes = 10_000_000, double maxDowntimeMs = 2_000, double maxMigrationTimeMs = 5_000)
    {
        Tenant = new Tenant(TenantId.New(), "drones", [ClusterA.Id]);
        Src = Node("src", ClusterA);
        N1 = Node("n1", ClusterA);
        N2 = Node("n2", ClusterA);
        N3 = Node("n3", ClusterA, status: NodeStatus.Cordoned);
        N4 = Node("n4", ClusterB);
        N5 = Node("n5", ClusterA, memory: 5_000_000);
        N6 = Node("n6", ClusterA);
        N7 = Node("n7", ClusterA);
        N8 = Node("n8", ClusterA);
        N9 = Node("n9", ClusterA);
        Service = new ServiceInstance(ServiceId.New(), Tenant.Id, "flight-control", Src.Id, new WorkloadProfile(stateBytes, 0),
            new KpiTargets(maxDowntimeMs, maxMigrationTimeMs, 10), Objective.MinDowntime);
        var filler = new ServiceInstance(ServiceId.New(), Tenant.Id, "filler", N9.Id, new WorkloadProfile(16 * GB, 0, cpuMillicores: 1_000),
            new KpiTargets(2_000, 5_000, 10), Objective.MinDowntime);
        Users = new UserGroup(UserGroupId.New(), Service.Id, "swarm", N1.Id, 100);
        Links =
        [
            Link(Src, N1, 1, 10), Link(Src, N2, 10, 4), Link(N1, N2, 1, 3), Link(N2, N7, 10, 3),
            Link(N1, N8, 0.1, 6), Link(N1, N9, 0.1, 6), Link(N2, N3, 10, 1), Link(N2, N4, 10, 1), Link(N2, N5, 10, 1),
        ];
        Topology = new EdgeTopology([ClusterA, ClusterB], [Src, N1, N2, N3, N4, N5, N6, N7, N8, N9], Links, [Service, filler], [Users]);
    }

    public EdgeCluster ClusterA { get; } = new(ClusterId.New(), "turin-a", ClusterKind.Simulated, "turin");
    public EdgeCluster ClusterB { get; } = new(ClusterId.New(), "turin-b", ClusterKind.Simulated, "turin");
    public Tenant Tenant { get; }
    public EdgeNode Src { get; }
    public EdgeNode N1 { get; }
    public EdgeNode N2 { get; }
    public EdgeNode N3 { get; }
    public EdgeNode N4 { get; }
    public EdgeNode N5 { get; }
    public EdgeNode N6 { get; }
    public EdgeNode N7 { get; }
    public EdgeNode N8 { get; }
    public EdgeNode N9 { get; }
    public ServiceInstance Service { get; }
    public UserGroup Users { get; }
    public IReadOnlyList<NetworkLink> Links { get; }
    public EdgeTopology Topology { get; }

    private static EdgeNode Node(string name, EdgeCluster cluster, long memory = 32 * GB, NodeStatus status = NodeStatus.Ready)
        => new(NodeId.New(), cluster.Id, name, "site-" + name, new NodeCapacity(8_000, memory), new GeoLocation(45.07, 7.68), status: status);

    private static NetworkLink Link(EdgeNode a, EdgeNode b, double gigabits, double latencyMs)
        => new(LinkId.New(), a.Id, b.Id, Bandwidth.FromGigabits(gigabits), latencyMs);
}
