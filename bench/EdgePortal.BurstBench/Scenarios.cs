using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.BurstBench;

/// <summary>Requests that arrive together at <see cref="AtMs"/> (ms from the scenario's start): one batch.</summary>
internal sealed record Arrival(double AtMs, IReadOnlyList<ServiceId> Services);

/// <summary>A scenario: its edge (targets drawn), the trigger of its requests, and when they arrive.</summary>
internal sealed record Scenario(string Name, BurstEdge Edge, MigrationTrigger Trigger, IReadOnlyList<Arrival> Arrivals, NodeId? Cordoned = null)
{
    /// <summary>
    /// A drain of a node holding 20 services: they must leave a1 for the other nodes of site a (their users are at a2),
    /// over a1's three 1 Gbit/s links, two at a time (the engine's limit per node).
    /// </summary>
    public static Scenario Drain(int seed)
    {
        var random = new Random(seed);
        var edge = new BurstEdge();
        var drained = edge.Node(0, 1);
        for (var i = 0; i < 20; i++)
            edge.Add(random, drained, edge.Node(0, 2), 50 * BurstEdge.MB, 400 * BurstEdge.MB);
        DrawTargets(edge, random, lanes: 2);
        return new Scenario("drain", edge, MigrationTrigger.Drain, [new Arrival(0, [.. edge.Services.Select(s => s.Id)])], drained.Id);
    }

    /// <summary>
    /// 100 services of site a follow a crowd that walks to sites b and c within a minute: each service's users move at a
    /// random moment of the minute, and the KPI monitor, evaluating every 10 s, asks to move those whose users moved since
    /// its last evaluation (one batch per evaluation). Every transfer crosses a's links to the other sites.
    /// </summary>
    public static Scenario Crowd(int seed)
    {
        var random = new Random(seed);
        var edge = new BurstEdge();
        var moved = new List<(double At, ServiceId Id)>();
        for (var i = 0; i < 100; i++)
        {
            var service = edge.Add(random, edge.Node(0, 1 + i % 3), edge.Node(1 + i % 2, 1 + i % 3), 20 * BurstEdge.MB, 120 * BurstEdge.MB);
            moved.Add((random.NextDouble() * 60_000, service.Id));
        }
        // Every transfer to site b crosses a0–b0, every one to c a0–c0: one lane each.
        var evaluation = moved.ToDictionary(m => m.Id, m => Math.Ceiling(m.At / 10_000) * 10_000);
        var site = edge.Users.ToDictionary(u => u.ServiceId, u => edge.Nodes.FindIndex(n => n.Id == u.AttachedTo) / BurstEdge.NodesPerSite);
        DrawTargets(edge, random, lanes: 1, s => site[s.Id], evaluation);
        var arrivals = moved.GroupBy(m => evaluation[m.Id]).OrderBy(g => g.Key)
            .Select(g => new Arrival(g.Key, [.. g.Select(m => m.Id)])).ToList();
        return new Scenario("crowd", edge, MigrationTrigger.KpiMonitor, arrivals);
    }

    /// <summary>
    /// A nightly schedule that moves 500 services at once: on every node of the three sites, each service goes to another
    /// node of its site (where its users are by night); targets are loose (minutes), as a nightly window allows.
    /// </summary>
    public static Scenario Nightly(int seed)
    {
        var random = new Random(seed);
        var edge = new BurstEdge();
        for (var i = 0; i < 500; i++)
        {
            var site = i % 3;
            var node = i / 3 % BurstEdge.NodesPerSite;
            edge.Add(random, edge.Node(site, node), edge.Node(site, (node + 1 + random.Next(BurstEdge.NodesPerSite - 1)) % BurstEdge.NodesPerSite),
                10 * BurstEdge.MB, 200 * BurstEdge.MB);
        }
        // Three transfers at once per site (below the engine's five per cluster, two leaving each node).
        var siteOf = edge.Services.ToDictionary(s => s.Id, s => edge.Nodes.FindIndex(n => n.Id == s.NodeId) / BurstEdge.NodesPerSite);
        DrawTargets(edge, random, lanes: 3, s => siteOf[s.Id]);
        return new Scenario("nightly", edge, MigrationTrigger.Schedule, [new Arrival(0, [.. edge.Services.Select(s => s.Id)])]);
    }

    /// <summary>
    /// Targets for which a schedule meeting all of them exists by construction (the witness): the services, in a random
    /// order, each run alone-fast (its plan on the empty edge) on the first of <paramref name="lanes"/> free lanes of its
    /// group from its arrival; its migration-time target (from acceptance) is its completion there plus 25%, its downtime
    /// target 1.5–3 × its downtime alone. A lane is what the scenario's links carry at once: a planner that keeps its
    /// transfers off each other's links can meet every target; one that lets them crawl together cannot.
    /// </summary>
    private static void DrawTargets(BurstEdge edge, Random random, int lanes, Func<ServiceInstance, int>? group = null,
        IReadOnlyDictionary<ServiceId, double>? arrival = null)
    {
        var alone = edge.Alone();
        var free = new Dictionary<int, double[]>();
        foreach (var service in edge.Services.OrderBy(_ => random.Next()).OrderBy(s => arrival?.GetValueOrDefault(s.Id) ?? 0).ToList())
        {
            var plan = alone[service.Id];
            var key = group?.Invoke(service) ?? 0;
            if (!free.TryGetValue(key, out var laneFree))
                free[key] = laneFree = new double[lanes];
            var at = arrival?.GetValueOrDefault(service.Id) ?? 0;
            var lane = Array.IndexOf(laneFree, laneFree.Min());
            var begin = Math.Max(at, laneFree[lane]);
            laneFree[lane] = begin + plan.PredictedRunMs;
            var downtime = plan.PredictedDowntimeMs * (1.5 + 1.5 * random.NextDouble());
            edge.WithTargets(service.Id, new KpiTargets(downtime, 1.25 * (laneFree[lane] - at), 5));
        }
    }
}
