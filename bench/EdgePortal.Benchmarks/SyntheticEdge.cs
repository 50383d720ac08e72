using EdgePortal.Core.Domain;

namespace EdgePortal.Benchmarks;

/// <summary>
/// A deterministic synthetic edge for the re-planning benchmark: one cluster, a ring of nodes with random chords
/// (1–10 Gbit/s, 1–10 ms), services spread evenly with one or two user groups each, and a mix of workloads and
/// targets such that most services have a feasible plan at their best node and some must look further or fail.
/// </summary>
internal static class SyntheticEdge
{
    public static (EdgeTopology Topology, Dictionary<TenantId, Tenant> ById) Build(int nodes, int services, int seed)
    {
        var random = new Random(seed);
        var cluster = new EdgeCluster(ClusterId.New(), "metro", ClusterKind.Simulated, "metro");
        var tenants = new[]
        {
            new Tenant(TenantId.New(), "drones", [cluster.Id]),
            new Tenant(TenantId.New(), "fleet", [cluster.Id], Objective.MinResources),
        };
        var nodeList = new List<EdgeNode>(nodes);
        for (var i = 0; i < nodes; i++)
            nodeList.Add(new EdgeNode(NodeId.New(), cluster.Id, $"node-{i:00}", $"gnb-{i:00}", new NodeCapacity(400_000, 256_000_000_000),
                new GeoLocation(45 + random.NextDouble(), 7 + random.NextDouble())));
        var links = new List<NetworkLink>();
        void Link(int a, int b) => links.Add(new NetworkLink(LinkId.New(), nodeList[a].Id, nodeList[b].Id,
            Bandwidth.FromGigabits(1 + 9 * random.NextDouble()), 1 + 9 * random.NextDouble()));
        for (var i = 0; i < nodes; i++)
            Link(i, (i + 1) % nodes);
        for (var i = 0; i < nodes; i++)
            Link(i, (i + 2 + random.Next(nodes - 3)) % nodes);

        var serviceList = new List<ServiceInstance>(services);
        var users = new List<UserGroup>(services * 2);
        for (var s = 0; s < services; s++)
        {
            var tenant = tenants[s % tenants.Length];
            var state = (long)(1e6 * Math.Pow(1000, random.NextDouble()));
            var consumes = random.NextDouble() < 0.3;
            var arrival = consumes ? 10 + 490 * random.NextDouble() : 0;
            var profile = new WorkloadProfile(state, random.NextDouble() * state / 4096, arrival, consumes ? arrival * (0.8 + random.NextDouble()) : 0);
            var targets = new KpiTargets(300 + 5_000 * random.NextDouble(), 2_000 + 20_000 * random.NextDouble(), 10);
            var service = new ServiceInstance(ServiceId.New(), tenant.Id, $"svc-{s:00000}", nodeList[s % nodes].Id, profile, targets, tenant.DefaultObjective);
            serviceList.Add(service);
            var groups = 1 + random.Next(2);
            for (var g = 0; g < groups; g++)
                users.Add(new UserGroup(UserGroupId.New(), service.Id, $"users-{s}-{g}", nodeList[random.Next(nodes)].Id, 1 + random.Next(500)));
        }
        var topology = new EdgeTopology([cluster], nodeList, links, serviceList, users);
        return (topology, tenants.ToDictionary(t => t.Id));
    }
}
