using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.BurstBench;

/// <summary>
/// The simulated edge of the bench: three sites (one cluster each) of four nodes in a full mesh of 1 Gbit/s links
/// (1 ms), the sites joined through their first nodes by 1 Gbit/s links (10 ms). Services' users are where the scenario
/// wants them; the user-latency target (5 ms) keeps a service in its users' site.
/// </summary>
internal sealed class BurstEdge
{
    public const long MB = 1_000_000;
    public const int NodesPerSite = 4;

    public List<EdgeCluster> Clusters { get; } = [];
    public List<EdgeNode> Nodes { get; } = [];
    public List<NetworkLink> Links { get; } = [];
    public List<ServiceInstance> Services { get; } = [];
    public List<UserGroup> Users { get; } = [];
    public Tenant Tenant { get; }

    public BurstEdge()
    {
        string[] sites = ["a", "b", "c"];
        foreach (var site in sites)
        {
            var cluster = new EdgeCluster(ClusterId.New(), $"site-{site}", ClusterKind.Simulated, $"site {site}");
            Clusters.Add(cluster);
            var first = Nodes.Count;
            for (var i = 0; i < NodesPerSite; i++)
                Nodes.Add(new EdgeNode(NodeId.New(), cluster.Id, $"{site}{i}", $"site {site}", new NodeCapacity(256_000, 1024 * 1_000_000_000L),
                    new GeoLocation(45 + 0.1 * Clusters.Count, 7 + 0.01 * i)));
            for (var i = first; i < Nodes.Count; i++)
                for (var j = i + 1; j < Nodes.Count; j++)
                    Links.Add(new NetworkLink(LinkId.New(), Nodes[i].Id, Nodes[j].Id, Bandwidth.FromGigabits(1), 1));
        }
        for (var s = 0; s < sites.Length; s++)
            for (var t = s + 1; t < sites.Length; t++)
                Links.Add(new NetworkLink(LinkId.New(), Node(s, 0).Id, Node(t, 0).Id, Bandwidth.FromGigabits(1), 10));
        Tenant = new Tenant(TenantId.New(), "burst", [.. Clusters.Select(c => c.Id)]);
    }

    public EdgeNode Node(int site, int index) => Nodes[site * NodesPerSite + index];

    /// <summary>A service on <paramref name="on"/> whose users sit at <paramref name="usersAt"/>; targets are set later (<see cref="WithTargets"/>).</summary>
    public ServiceInstance Add(Random random, EdgeNode on, EdgeNode usersAt, long minBytes, long maxBytes)
    {
        var bytes = minBytes + (long)(random.NextDouble() * (maxBytes - minBytes));
        var dirty = random.NextDouble() * bytes / 4096 / 20;
        var service = new ServiceInstance(ServiceId.New(), Tenant.Id, $"svc-{Services.Count:000}", on.Id, new WorkloadProfile(bytes, dirty),
            new KpiTargets(60_000, 3_600_000, 5), Objective.MinDowntime);
        Services.Add(service);
        Users.Add(new UserGroup(UserGroupId.New(), service.Id, $"users-{Services.Count}", usersAt.Id, 100));
        return service;
    }

    public EdgeTopology Topology() => new(Clusters, Nodes, Links, Services, Users);

    /// <summary>
    /// What each service takes alone on the empty edge (no optional dump rounds), from which the scenario draws its targets.
    /// </summary>
    public Dictionary<ServiceId, MigrationPlan> Alone()
    {
        var planner = new MigrationPlanner(Topology());
        return Services.ToDictionary(s => s.Id, s => planner.Plan(s, Tenant, new PlanningOptions { ForcedIterations = 0 }).Plan
            ?? throw new InvalidOperationException($"{s.Name} has no plan on the empty edge"));
    }

    /// <summary>Replaces a service's targets.</summary>
    public void WithTargets(ServiceId id, KpiTargets targets)
    {
        var i = Services.FindIndex(s => s.Id == id);
        var s = Services[i];
        Services[i] = new ServiceInstance(s.Id, s.TenantId, s.Name, s.NodeId, s.Profile, targets, s.Objective, s.Labels, s.Image, s.AllowPostCopy);
    }

    public EdgeInventory Inventory() => new([Tenant], Clusters, Nodes, Links, Services, Users);
}
