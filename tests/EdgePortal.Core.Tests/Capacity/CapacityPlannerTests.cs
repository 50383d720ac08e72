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
        var edge = new PlanningTopology();
        // src–n2 is full for 1 s (so is src–n1, which runs over it), n2–n1 for a minute: n2 frees first.
        var shortOnN2 = LedgerSamples.Holding(edge, 9_000, 1_000);
        var longOnN1 = LedgerSamples.Holding(edge, 1_000, 60_000);

        var result = Planner(edge, shortOnN2, longOnN1).Plan(edge.Service, edge.Tenant, new PlanningOptions { Targets = new KpiTargets(2_000, 60_000, 10) });

        Assert.True(result.Feasible);
        Assert.Equal(CapacityChoice.Wait, result.Plan!.Capacity);
        Assert.Equal(edge.N2.Id, result.Plan.Destination);
        Assert.Equal(1_000, result.Plan.PredictedStartMs, 6);
        Assert.Contains("on the path to n2", result.Plan.Rationale);
    }

    [Fact]
    public void Plan_OnlyTheBestDestinationAndItFreesSoon_WaitsForTheReleaseAndMeetsTheTargets()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);

        var result = Planner(edge, LedgerSamples.Holding(edge, 1_000, 1_000)).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N1.Id });

        Assert.True(result.Feasible);
        Assert.Equal(CapacityChoice.Wait, result.Plan!.Capacity);
        Assert.Equal(1_000, result.Plan.PredictedStartMs, 6);
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
        Assert.Equal(60_000, result.Plan.PredictedStartMs, 6);
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
        Assert.Equal(20_000, result.Plan.PredictedStartMs, 6);
        Assert.Equal(1e9, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
    }
}
