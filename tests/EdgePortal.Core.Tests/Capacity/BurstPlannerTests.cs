using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using Xunit.Abstractions;

namespace EdgePortal.Core.Tests.Capacity;

/// <summary>
/// Bursts over one bottleneck: every service runs on src and its users are at n1, which src reaches over one 1 Gbit/s
/// link (n2 hangs off n1 over 10 Gbit/s, so it shares the same bottleneck). Every transfer of the batch crosses it.
/// </summary>
public sealed class BurstPlannerTests(ITestOutputHelper output)
{
    private const long MB = 1_000_000;
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-07T10:00:00Z");
    private readonly EdgeCluster _cluster = new(ClusterId.New(), "metro", ClusterKind.Simulated, "test");

    private (MigrationPlanner Planner, Tenant Tenant, List<ServiceInstance> Services, List<UserGroup> Users, NetworkLink Bottleneck) Edge(
        IReadOnlyList<(long Bytes, double MaxMigrationMs)> specs)
    {
        var tenant = new Tenant(TenantId.New(), "crowd", [_cluster.Id]);
        EdgeNode Node(string name) => new(NodeId.New(), _cluster.Id, name, name, new NodeCapacity(64_000, 256_000_000_000), new GeoLocation(45, 7));
        var (src, n1, n2) = (Node("src"), Node("n1"), Node("n2"));
        var bottleneck = new NetworkLink(LinkId.New(), src.Id, n1.Id, Bandwidth.FromGigabits(1), 2);
        var services = specs.Select((s, i) => new ServiceInstance(ServiceId.New(), tenant.Id, $"svc-{i}", src.Id, new WorkloadProfile(s.Bytes, 0),
            new KpiTargets(60_000, s.MaxMigrationMs, 50), Objective.MinDowntime)).ToList();
        var users = services.Select(s => new UserGroup(UserGroupId.New(), s.Id, "users", n1.Id, 10)).ToList();
        var topology = new EdgeTopology([_cluster], [src, n1, n2], [bottleneck, new(LinkId.New(), n1.Id, n2.Id, Bandwidth.FromGigabits(10), 1)],
            services, users);
        return (new MigrationPlanner(topology), tenant, services, users, bottleneck);
    }

    private static List<BurstRequest> Batch(Tenant tenant, IEnumerable<ServiceInstance> services, params int[] urgent)
        => [.. services.Select((s, i) => new BurstRequest(s, tenant, new PlanningOptions(), urgent.Contains(i)))];

    [Fact]
    public void Plan_SmallRandomBatches_HeuristicMatchesTheExactOptimumWithinOneMigration()
    {
        var totalGap = 0;
        for (var seed = 1; seed <= 6; seed++)
        {
            var random = new Random(seed);
            var specs = Enumerable.Range(0, 6).Select(_ => ((long)random.Next(20, 150) * MB, 2_500d + random.Next(0, 12_000))).ToList();
            var (planner, tenant, services, _, _) = Edge(specs);
            var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));
            var batch = Batch(tenant, services);

            var heuristic = burst.Plan(batch);
            var exact = burst.Exact(batch);
            var gap = exact.MeetingTargets - heuristic.MeetingTargets;
            totalGap += gap;
            output.WriteLine($"seed {seed}: exact {exact.MeetingTargets}/6 meet targets (makespan {exact.MakespanMs:0} ms), heuristic {heuristic.MeetingTargets}/6 ({heuristic.MakespanMs:0} ms), gap {gap}");

            Assert.InRange(gap, 0, 1);
        }
        output.WriteLine($"total gap over 6 instances: {totalGap} of 36 migrations");
        Assert.True(totalGap <= 2, $"the heuristic missed {totalGap} migrations the exact order would have met");
    }

    [Fact]
    public void Joint_SmallRandomBatches_SolverMeetsTheExactOptimum()
    {
        int greedyGap = 0, solverGap = 0, migrations = 0;
        for (var seed = 1; seed <= 8; seed++)
        {
            var random = new Random(100 + seed);
            var count = 5 + seed % 2;
            var specs = Enumerable.Range(0, count).Select(_ => ((long)random.Next(20, 150) * MB, 2_500d + random.Next(0, 12_000))).ToList();
            var (planner, tenant, services, _, _) = Edge(specs);
            var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));
            var batch = Batch(tenant, services, urgent: seed % 3 == 0 ? [0, 3] : []);

            var solved = burst.Joint(batch, new BurstPlanningOptions { SolverTimeLimit = TimeSpan.FromSeconds(10) });
            var greedy = burst.Plan(batch);
            var exact = burst.Exact(batch);
            migrations += count;
            greedyGap += exact.MeetingTargets - greedy.MeetingTargets;
            solverGap += exact.MeetingTargets - solved.MeetingTargets;
            output.WriteLine($"seed {seed}: exact {exact.MeetingTargets}/{count} meet targets ({exact.UrgentMeetingTargets} urgent, makespan {exact.MakespanMs:0} ms), "
                + $"CP-SAT {solved.SolverStatus} {solved.MeetingTargets}/{count} ({solved.UrgentMeetingTargets}, {solved.MakespanMs:0} ms), greedy {greedy.MeetingTargets}/{count} ({greedy.UrgentMeetingTargets}, {greedy.MakespanMs:0} ms)");

            Assert.Equal("CP-SAT", solved.Planner);
            Assert.Equal("Optimal", solved.SolverStatus);
            Assert.Equal(exact.UrgentMeetingTargets, solved.UrgentMeetingTargets);
            Assert.Equal(exact.MeetingTargets, solved.MeetingTargets);
            Assert.All(solved.Entries, e => Assert.Contains("planned by CP-SAT (Optimal", e.Planning.Plan!.Rationale));
        }
        output.WriteLine($"gap to the exact optimum over 8 instances ({migrations} migrations): CP-SAT {solverGap}, greedy {greedyGap}");
    }

    [Fact]
    public void Joint_ZeroTimeLimit_GreedyPlansAndTheRationaleSaysSo()
    {
        var (planner, tenant, services, _, _) = Edge([(50 * MB, 12_000), (50 * MB, 12_000), (50 * MB, 12_000)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));

        var schedule = burst.Joint(Batch(tenant, services), new BurstPlanningOptions { SolverTimeLimit = TimeSpan.Zero });

        Assert.Equal("greedy", schedule.Planner);
        Assert.Null(schedule.SolverStatus);
        Assert.Equal(burst.Plan(Batch(tenant, services)).Entries.Select(e => e.Request.Service.Name), schedule.Entries.Select(e => e.Request.Service.Name));
        Assert.All(schedule.Entries, e => Assert.Contains("the solver's time limit is zero", e.Planning.Plan!.Rationale));
    }

    [Fact]
    public void Joint_TinyTimeLimit_FallsBackToGreedyWithTheSolversStatus()
    {
        var (planner, tenant, services, _, _) = Edge([(50 * MB, 12_000), (80 * MB, 6_000), (30 * MB, 9_000), (60 * MB, 20_000)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));

        // One tick (100 ns) of search: CP-SAT stops before it has any schedule (Unknown), whatever the machine's speed.
        var schedule = burst.Joint(Batch(tenant, services), new BurstPlanningOptions { SolverTimeLimit = TimeSpan.FromTicks(1) });

        Assert.Equal("greedy", schedule.Planner);
        Assert.StartsWith("Unknown", schedule.SolverStatus);
        Assert.Equal(4, schedule.Entries.Count);
        Assert.All(schedule.Entries, e => Assert.Contains("CP-SAT found no schedule within", e.Planning.Plan!.Rationale));
    }

    [Fact]
    public void Joint_BatchLargerThanTheSolversMaximum_GreedyPlansAndSaysWhy()
    {
        var (planner, tenant, services, _, _) = Edge([.. Enumerable.Repeat((10 * MB, 20_000d), 5)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));

        var schedule = burst.Joint(Batch(tenant, services), new BurstPlanningOptions { SolverMaxBatch = 4 });

        Assert.Equal("greedy", schedule.Planner);
        Assert.Null(schedule.SolverStatus);
        Assert.Equal(5, schedule.MeetingTargets);
        Assert.All(schedule.Entries, e => Assert.Contains("5 migrations are more than the solver is given (4", e.Planning.Plan!.Rationale));
    }

    [Fact]
    public void Joint_TwoDisjointPathsAndTightTargets_SolverSendsOneToEachDestination()
    {
        // src reaches n1 and n2 over their own 1 Gbit/s links; the users sit at n1, 1 ms from n2. One after the other
        // over one link, the second would miss θ_mig; over both at once, both meet it.
        var tenant = new Tenant(TenantId.New(), "pair", [_cluster.Id]);
        EdgeNode Node(string name) => new(NodeId.New(), _cluster.Id, name, name, new NodeCapacity(64_000, 256_000_000_000), new GeoLocation(45, 7));
        var (src, n1, n2) = (Node("src"), Node("n1"), Node("n2"));
        var services = Enumerable.Range(0, 2).Select(i => new ServiceInstance(ServiceId.New(), tenant.Id, $"svc-{i}", src.Id, new WorkloadProfile(200 * MB, 0),
            new KpiTargets(60_000, 60_000, 50), Objective.MinDowntime)).ToList();
        var topology = new EdgeTopology([_cluster], [src, n1, n2],
            [new(LinkId.New(), src.Id, n1.Id, Bandwidth.FromGigabits(1), 2), new(LinkId.New(), src.Id, n2.Id, Bandwidth.FromGigabits(1), 2),
             new(LinkId.New(), n1.Id, n2.Id, Bandwidth.FromGigabits(10), 1)],
            services, services.Select(s => new UserGroup(UserGroupId.New(), s.Id, "users", n1.Id, 10)));
        var planner = new MigrationPlanner(topology);
        var burst = new BurstPlanner(planner, LinkLedger.Of(topology, [], Now));
        // θ_mig 1.4 times what one takes alone: the second of two over the same link would miss it.
        var alone = planner.Plan(services[0], tenant).Plan!;
        Assert.Equal(n1.Id, alone.Destination);
        var tight = new KpiTargets(60_000, alone.PredictedMigrationTimeMs * 1.4, 50);
        var batch = services.Select(s => new BurstRequest(s, tenant, new PlanningOptions { Targets = tight })).ToList();

        var schedule = burst.Joint(batch, new BurstPlanningOptions { SolverTimeLimit = TimeSpan.FromSeconds(10) });

        foreach (var e in schedule.Entries)
            output.WriteLine($"{e.Request.Service.Name}: to {topology.Node(e.Planning.Plan!.Destination).Name} start {e.StartMs:0} end {e.EndMs:0}, meets {e.MeetsTargets}");
        Assert.Equal("CP-SAT", schedule.Planner);
        Assert.Equal(2, schedule.MeetingTargets);
        Assert.Equal(2, schedule.Entries.Select(e => e.Planning.Plan!.Destination).Distinct().Count());
        Assert.All(schedule.Entries, e => Assert.Equal(0, e.StartMs));
    }

    [Fact]
    public void Joint_LedgerFullInBackToBackWindowsEndingMidMillisecond_SolverStillFindsTheSchedule()
    {
        var (planner, tenant, services, _, bottleneck) = Edge([(50 * MB, 30_000), (50 * MB, 30_000)]);
        // Another migration holds the whole link in two windows that meet at 1000.4 ms: rounded apart, they would overlap.
        var ledger = LinkLedger.Of(planner.Topology, [], Now).With(MigrationId.New(), [new LinkReservation(bottleneck.Id, bottleneck.Bandwidth)],
            [(0, 1000.4), (1000.4, 2000.7)]);
        var burst = new BurstPlanner(planner, ledger);

        var schedule = burst.Joint(Batch(tenant, services), new BurstPlanningOptions { SolverTimeLimit = TimeSpan.FromSeconds(10) });

        Assert.Equal("CP-SAT", schedule.Planner);
        Assert.Equal("Optimal", schedule.SolverStatus);
        Assert.Equal(2, schedule.MeetingTargets);
    }

    [Fact]
    public void Validate_NegativeLimitAndNoDestinations_FailsNamingEachKey()
    {
        var validator = new BurstPlanningOptionsValidator();

        var bad = validator.Validate(null, new BurstPlanningOptions { SolverTimeLimit = TimeSpan.FromSeconds(-1), SolverDestinations = 0 });
        var good = validator.Validate(null, new BurstPlanningOptions());

        Assert.True(bad.Failed);
        Assert.Contains(bad.Failures!, f => f.StartsWith("EdgePortal:Planning:SolverTimeLimit", StringComparison.Ordinal));
        Assert.Contains(bad.Failures!, f => f.StartsWith("EdgePortal:Planning:SolverDestinations", StringComparison.Ordinal));
        Assert.True(good.Succeeded);
    }

    [Fact]
    public void Plan_SharedBottleneck_NeverReservesMoreThanTheLinkWhileIndependentPlansDo()
    {
        var (planner, tenant, services, _, bottleneck) = Edge([(50 * MB, 12_000), (50 * MB, 12_000), (50 * MB, 12_000)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));
        var batch = Batch(tenant, services);

        var independent = burst.Independent(batch);
        var joint = burst.Plan(batch);

        // Alone, each would take the whole link from the start: together they ask three times what it carries.
        Assert.All(independent.Entries, e => Assert.Equal(0, e.StartMs));
        Assert.Equal(3e9, independent.Entries.Sum(e => e.Planning.Plan!.ReservedBandwidth.BitsPerSecond), 0);
        foreach (var e in joint.Entries)
            output.WriteLine($"{e.Request.Service.Name}: {e.Planning.Plan!.Capacity} start {e.StartMs:0} at {e.Planning.Plan.ReservedBandwidth.BitsPerSecond / 1e6:0.###} Mbit/s, sends {string.Join(", ", LinkLedger.SendingWindows(e.Planning.Plan, e.StartMs).Select(w => $"[{w.FromMs:0}, {w.UntilMs:0})"))}, meets {e.MeetsTargets}");
        var peak = PeakOn(joint);
        Assert.True(peak <= bottleneck.Bandwidth.BitsPerSecond * (1 + 1e-9), $"joint plans reserve {peak} bit/s at once");
        Assert.Equal(3, joint.MeetingTargets);
        Assert.True(joint.MakespanMs > independent.MakespanMs, "the joint makespan counts the waits the independent one hides");
    }

    [Fact]
    public void Plan_UrgentServiceWithLooseTargets_GoesFirst()
    {
        var (planner, tenant, services, _, _) = Edge([(80 * MB, 5_000), (80 * MB, 30_000), (80 * MB, 5_000)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));

        var schedule = burst.Plan(Batch(tenant, services, urgent: 1));

        Assert.Same(services[1], schedule.Entries[0].Request.Service);
        Assert.Equal(0, schedule.Entries[0].StartMs);
        Assert.True(schedule.Entries[0].MeetsTargets);
        // The two tight ones send in the gaps the urgent one leaves while it dumps and restores: all three meet their targets.
        Assert.Equal(3, schedule.MeetingTargets);
        Assert.True(PeakOn(schedule) <= 1e9 * (1 + 1e-9));
    }

    [Fact]
    public void Exact_TooManyMigrations_RefusesNamingTheLimit()
    {
        var (planner, tenant, services, _, _) = Edge([.. Enumerable.Repeat((10 * MB, 5_000d), 9)]);
        var burst = new BurstPlanner(planner, LinkLedger.Of(planner.Topology, [], Now));

        var error = Assert.Throws<ArgumentException>(() => burst.Exact(Batch(tenant, services)));

        Assert.Contains("at most 8", error.Message);
    }

    /// <summary>The most the schedule's plans reserve on the bottleneck (every path crosses it) at any one time: each holds its rate while it sends, from its predicted start.</summary>
    private static double PeakOn(BurstSchedule schedule)
    {
        var sending = schedule.Entries.SelectMany(e => LinkLedger.SendingWindows(e.Planning.Plan!, e.StartMs)
            .Select(w => (w.FromMs, w.UntilMs, Rate: e.Planning.Plan!.ReservedBandwidth.BitsPerSecond))).ToList();
        return sending.Max(at => sending.Where(w => w.FromMs <= at.FromMs && at.FromMs < w.UntilMs).Sum(w => w.Rate));
    }
}
