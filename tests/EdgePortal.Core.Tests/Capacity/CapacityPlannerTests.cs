using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Core.Tests.Planning;

namespace EdgePortal.Core.Tests.Capacity;

/// <summary>
/// The planner on residual bandwidth over <see cref="PlanningTopology"/>: the users are at n1, whose path from src runs
/// src–n2 (10 Gbit/s) then n2–n1 (1 Gbit/s); n2 is the next destination, over src–n2 alone.
/// </summary>
public sealed class CapacityPlannerTests
{
    private static CapacityPlanner Planner(PlanningTopology edge, params Migration[] inFlight)
        => new(new MigrationPlanner(edge.Topology), LinkLedger.Of(edge.Topology, inFlight, LedgerSamples.Now));

    [Fact]
    public void Plan_ResidualMeetsTargets_ReservesNoMoreThanTheResidualAndStartsNow()
    {
        var edge = new PlanningTopology();

        var result = Planner(edge, LedgerSamples.Holding(edge, 600, 60_000)).Plan(edge.Service, edge.Tenant);

        Assert.True(result.Feasible);
        Assert.Equal(edge.N1.Id, result.Plan!.Destination);
        Assert.Equal(CapacityChoice.None, result.Plan.Capacity);
        Assert.Equal(0, result.Plan.PredictedStartMs);
        Assert.True(result.Plan.ReservedBandwidth.BitsPerSecond <= 400e6 + 1, $"reserved {result.Plan.ReservedBandwidth}");
        Assert.Contains("residual bandwidth", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_NothingHeld_PlansAsOnTheWholePath()
    {
        var edge = new PlanningTopology();

        var alone = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant);
        var result = Planner(edge).Plan(edge.Service, edge.Tenant);

        Assert.Equal(alone.Plan!.Steps, result.Plan!.Steps);
        Assert.Equal(alone.Plan with { Steps = result.Plan.Steps }, result.Plan);
    }

    [Fact]
    public void Plan_BestPathFullAndAnotherFree_GoesToTheOtherDestination()
    {
        var edge = new PlanningTopology();

        var result = Planner(edge, LedgerSamples.Holding(edge, 1_000, 60_000)).Plan(edge.Service, edge.Tenant);

        Assert.True(result.Feasible);
        Assert.Equal(edge.N2.Id, result.Plan!.Destination);
        Assert.Equal(CapacityChoice.OtherDestination, result.Plan.Capacity);
        Assert.Equal(0, result.Plan.PredictedStartMs);
        Assert.Contains("goes to n2 instead", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_BestPathFullAndTheFreeDestinationFarFromTheUsers_DoesNotGoThere()
    {
        var edge = new PlanningTopology();
        // Within 2 ms of the users only n1 serves them: n2's free path would meet the migration's targets and miss its point.
        var options = new PlanningOptions { Targets = new KpiTargets(2_000, 5_000, 2) };

        var result = Planner(edge, LedgerSamples.Holding(edge, 1_000, 60_000)).Plan(edge.Service, edge.Tenant, options);

        Assert.Equal(edge.N1.Id, result.Plan!.Destination);
        Assert.NotEqual(CapacityChoice.OtherDestination, result.Plan.Capacity);
    }

    [Fact]
    public void Plan_BestPathHeldLongerThanTheNextOnesWait_WaitsAtTheNextDestination()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        // src–n2 is full for 3 s (so is src–n1, which runs over it), n2–n1 for a minute: n2 frees first.
        var shortOnN2 = LedgerSamples.Holding(edge, 10_000, 3_000);
        var longOnN1 = LedgerSamples.Holding(edge, 1_000, 60_000);

        var result = Planner(edge, shortOnN2, longOnN1).Plan(edge.Service, edge.Tenant, new PlanningOptions { Targets = new KpiTargets(2_000, 60_000, 10) });

        Assert.True(result.Feasible);
        Assert.True(CapacityChoice.Wait == result.Plan!.Capacity, $"{edge.Topology.Node(result.Plan.Destination).Name} {result.Plan.PredictedStartMs} {result.Plan.Rationale}");
        Assert.Equal(edge.N2.Id, result.Plan.Destination);
        // It starts so that it first sends when the path frees: its profile runs while the other still sends.
        Assert.Equal(3_000 - Lead(result.Plan), result.Plan.PredictedStartMs, 6);
        Assert.Contains("on the path to n2", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_OnlyTheBestDestinationAndItFreesSoon_WaitsForTheReleaseAndMeetsTheTargets()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);

        var result = Planner(edge, LedgerSamples.Holding(edge, 1_000, 3_000)).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.True(result.Feasible);
        Assert.Equal(CapacityChoice.Wait, result.Plan!.Capacity);
        Assert.Equal(3_000 - Lead(result.Plan), result.Plan.PredictedStartMs, 6);
        // θ_mig bounds T_mig from acceptance (the wait included; the profile and clean-up are outside the model's T_mig).
        Assert.True(result.Plan.PredictedStartMs + result.Plan.PredictedMigrationTimeMs <= edge.Service.Targets.MaxMigrationTimeMs);
        Assert.Equal(1e9, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.Contains("predicted start in", result.Summary);
    }

    [Fact]
    public void Plan_OnlyTheBestDestinationHeldPastTheTarget_ReservesLessAndPredictsLonger()
    {
        // 100 MB: feasible on the whole 1 Gbit/s (≈ 3 s), but the pre-dump alone takes 8 s on the 100 Mbit/s left.
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        var alone = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        var result = Planner(edge, LedgerSamples.Holding(edge, 900, 60_000)).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.True(alone.Feasible);
        Assert.False(result.Feasible);
        Assert.Equal(CapacityChoice.ReserveLess, result.Plan!.Capacity);
        Assert.True(result.Plan.ReservedBandwidth.BitsPerSecond <= 100e6 + 1);
        Assert.True(result.Plan.PredictedMigrationTimeMs > alone.Plan!.PredictedMigrationTimeMs);
        Assert.Contains("reserves the", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_PathFullWithNoOtherDestination_WaitsForTheFirstReleaseEvenIfItMisses()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);

        var result = Planner(edge, LedgerSamples.Holding(edge, 1_000, 60_000)).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.False(result.Feasible);
        Assert.Equal(CapacityChoice.Wait, result.Plan!.Capacity);
        Assert.Equal(60_000 - Lead(result.Plan), result.Plan.PredictedStartMs, 6);
        Assert.Equal(PlanConstraints.MigrationTime, result.Plan.BindingConstraint);
        Assert.Contains("still misses them", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_PathFullUntilTheLastOfManyReleases_WaitsForItRatherThanCrawlingAtTheFloor()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        // Twenty holdings of the whole 1 Gbit/s link, ending one second apart: only after the twentieth is anything left.
        var holdings = Enumerable.Range(1, 20).Select(i => LedgerSamples.Holding(edge, 1_000, i * 1_000)).ToArray();

        var result = Planner(edge, holdings).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.Equal(CapacityChoice.Wait, result.Plan!.Capacity);
        Assert.Equal(20_000 - Lead(result.Plan), result.Plan.PredictedStartMs, 6);
        Assert.Equal(1e9, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
    }

    [Fact]
    public void Plan_PathHeldOnlyWhileAnotherSends_SendsInTheGapAtTheFullRate()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        // Another migration sends at the full 1 Gbit/s for 1.5 s, does 18.5 s of dump work, then sends again for 1 s:
        // held for its whole 21 s, the path would keep this one past its 5 s target.
        var other = LedgerSamples.Sending(edge, 1_000,
            [new(StepKind.Transfer, 0, 1_500, false, 1_500), new(StepKind.Restore, 0, 18_500, false, 0), new(StepKind.Transfer, 0, 1_000, true, 1_000)]);
        var planner = Planner(edge, other);

        var result = planner.Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.True(result.Feasible, result.Plan!.Rationale);
        Assert.Equal(CapacityChoice.Wait, result.Plan.Capacity);
        Assert.Equal(1_500 - Lead(result.Plan), result.Plan.PredictedStartMs, 6);
        Assert.Equal(1e9, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.True(planner.Ledger.Fits(result.Plan));
        // Both on the ledger: never more than the link carries.
        var both = planner.Ledger.With(MigrationId.New(), LinkLedger.ReservationsOf(edge.Topology, result.Plan), result.Plan);
        Assert.True(both.PeakReserved(edge.Links[2].Id, 0, double.PositiveInfinity) <= 1e9 + 1);
        Assert.True(LinkLedger.SendingWindows(result.Plan, result.Plan.PredictedStartMs)[^1].UntilMs <= 20_000);
    }

    [Fact]
    public void Plan_ProfileRunsWhileAnotherSends_StartsNow()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        // The path is full for less than this plan's profile: it first sends once the other is done.
        var alone = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });
        var other = LedgerSamples.Holding(edge, 1_000, Lead(alone.Plan!) / 2);

        var result = Planner(edge, other).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.Equal(CapacityChoice.None, result.Plan!.Capacity);
        Assert.Equal(0, result.Plan.PredictedStartMs);
        Assert.Equal(alone.Plan!.ReservedBandwidth, result.Plan.ReservedBandwidth);
    }

    /// <summary>How long after its start the plan first sends.</summary>
    private static double Lead(MigrationPlan plan) => LinkLedger.SendingWindows(plan, 0)[0].FromMs;
}
