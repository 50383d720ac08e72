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
    /// over a1's three 1 Gbit/s links. Each service's migration-time target is drawn between twice what it takes alone and
    /// what the whole drain takes over one link, so that an order that meets most of them exists but not every order does.
    /// </summary>
    public static Scenario Drain(int seed)
    {
        var random = new Random(seed);
        var edge = new BurstEdge();
        var drained = edge.Node(0, 1);
        for (var i = 0; i < 20; i++)
            edge.Add(random, drained, edge.Node(0, 2), 50 * BurstEdge.MB, 400 * BurstEdge.MB);
        DrawTargets(edge, random, parallel: 2, slack: 1.0);
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
        DrawTargets(edge, random, parallel: 2, slack: 0.4);
        var arrivals = moved.GroupBy(m => Math.Ceiling(m.At / 10_000) * 10_000).OrderBy(g => g.Key)
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
        DrawTargets(edge, random, parallel: 12, slack: 1.0);
        return new Scenario("nightly", edge, MigrationTrigger.Schedule, [new Arrival(0, [.. edge.Services.Select(s => s.Id)])]);
    }

    /// <summary>
    /// Downtime target: 1.5–3 × the downtime alone. Migration-time target, from acceptance: at least twice the time alone,
    /// otherwise a uniform draw up to <paramref name="slack"/> × the sum of the times alone over <paramref name="parallel"/>
    /// transfers at once (what the batch takes when the links are used well).
    /// </summary>
    private static void DrawTargets(BurstEdge edge, Random random, int parallel, double slack)
    {
        var alone = edge.Alone();
        var total = alone.Values.Sum(p => p.PredictedMigrationTimeMs) / parallel;
        foreach (var service in edge.Services.ToList())
        {
            var plan = alone[service.Id];
            var downtime = plan.PredictedDowntimeMs * (1.5 + 1.5 * random.NextDouble());
            var time = Math.Max(2 * plan.PredictedMigrationTimeMs, random.NextDouble() * slack * total);
            edge.WithTargets(service.Id, new KpiTargets(downtime, time, 5));
        }
    }
}
