using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Tests.Execution;

namespace EdgePortal.Core.Tests.Capacity;

/// <summary>
/// The coordinator's ledger over <see cref="EngineHarness"/>'s edge: cache and stream both run on a and their users are
/// at c, reached over a–b–c (two 1 Gbit/s links).
/// </summary>
public sealed class CoordinatorReservationTests
{
    [Fact]
    public async Task Start_SecondMigrationOverAHeldPath_NeverReservesMoreThanTheLinksCarry()
    {
        await using var h = new EngineHarness();
        var topology = h.Inventory.Topology();

        var first = h.Start(EngineHarness.Cache);
        var second = h.Start(EngineHarness.Stream);

        Assert.NotEmpty(first.Reservations);
        Assert.Equal(CapacityChoice.None, first.Plan.Capacity);
        Assert.NotEqual(CapacityChoice.None, second.Plan.Capacity);
        var ledger = h.Coordinator.Ledger(topology);
        Assert.Equal(2, ledger.Holders);
        foreach (var link in topology.Links)
            Assert.True(ledger.PeakReserved(link.Id, 0, double.PositiveInfinity) <= link.Bandwidth.BitsPerSecond * (1 + 1e-9),
                $"link {link.Id} carries {ledger.PeakReserved(link.Id, 0, double.PositiveInfinity)} bit/s: {string.Join(" | ", ledger.On(link.Id))} {second.Plan.Rationale}");
        Assert.Equal(second.Reservations, h.Migrations.Find(second.Id)!.Reservations);
    }

    [Fact]
    public async Task Ledger_MigrationEnds_ReleasesItsReservationsForTheNextPlan()
    {
        await using var h = new EngineHarness();
        var topology = h.Inventory.Topology();
        var first = h.Start(EngineHarness.Cache);

        var stored = h.Migrations.Find(first.Id)!;
        stored.Cancel("operator", h.Clock.GetUtcNow());
        h.Migrations.Save(stored);
        var second = h.Start(EngineHarness.Stream);

        Assert.Equal(0, h.Coordinator.Ledger(topology).On(first.Reservations[0].Link).Count(x => x.Migration == first.Id));
        Assert.Equal(CapacityChoice.None, second.Plan.Capacity);
        Assert.Equal(first.Plan.Destination, second.Plan.Destination);
    }

    [Fact]
    public async Task Ledger_NewProcessOnTheSameStores_HoldsWhatTheMigrationsInFlightReserved()
    {
        Migration first;
        var migrations = new EdgePortal.Testing.InMemoryMigrationRepository();
        await using (var before = new EngineHarness(migrations: migrations))
            first = before.Start(EngineHarness.Cache);

        await using var after = new EngineHarness(migrations: migrations);
        var ledger = after.Coordinator.Ledger(after.Inventory.Topology());

        Assert.Equal(1, ledger.Holders);
        // Held while it sends, from its start: the first window is the pre-dump's transfer, after the profile.
        var sends = EdgePortal.Core.Capacity.LinkLedger.SendingWindows(first.Plan, 0)[0].FromMs;
        foreach (var reservation in first.Reservations)
            Assert.Equal(reservation.Bandwidth.BitsPerSecond, ledger.ReservedAt(reservation.Link, sends), 0);
    }

    [Fact]
    public async Task StartBatch_UrgentRequestListedLast_IsPlannedFirstAndResultsKeepTheRequestOrder()
    {
        await using var h = new EngineHarness();
        MigrationRequest Request(ServiceId service, bool urgent = false)
            => new() { ServiceId = service, RequestedBy = "test", AcceptTargetMiss = true, Urgent = urgent };

        var results = h.Coordinator.StartBatch([Request(EngineHarness.Cache), Request(ServiceId.New()), Request(EngineHarness.Stream, urgent: true)]);

        var cache = Assert.IsType<MigrationRequestResult.Accepted>(results[0]).Migration;
        Assert.IsType<MigrationRequestResult.NotFound>(results[1]);
        var stream = Assert.IsType<MigrationRequestResult.Accepted>(results[2]).Migration;
        Assert.Equal(CapacityChoice.None, stream.Plan.Capacity);
        Assert.Equal(0, stream.Plan.PredictedStartMs);
        Assert.NotEqual(CapacityChoice.None, cache.Plan.Capacity);
        Assert.True(cache.CreatedAt >= stream.CreatedAt);
    }

    [Fact]
    public async Task StartBatch_TwoRequests_EachStoredPlanSaysCpSatDecidedAndItsPlace()
    {
        await using var h = new EngineHarness();
        MigrationRequest Request(ServiceId service) => new() { ServiceId = service, RequestedBy = "test", AcceptTargetMiss = true };

        var results = h.Coordinator.StartBatch([Request(EngineHarness.Cache), Request(EngineHarness.Stream)], TimeSpan.FromSeconds(10));

        var plans = results.Select(r => h.Migrations.Find(Assert.IsType<MigrationRequestResult.Accepted>(r).Migration.Id)!.Plan).ToList();
        Assert.All(plans, p => Assert.Contains("One of a batch of 2, planned by CP-SAT (Optimal", p.Rationale));
        Assert.Equal(["number 1", "number 2"], plans.Select(p => p.Rationale.Contains("number 1 in that order", StringComparison.Ordinal) ? "number 1" : "number 2").Order());
    }

    [Fact]
    public async Task Start_ReservationsSwitchedOff_PlansOnTheWholePathAndReservesNothing()
    {
        await using var h = new EngineHarness(new EngineOptions { LinkReservations = false });

        var first = h.Start(EngineHarness.Cache);
        var second = h.Start(EngineHarness.Stream);

        Assert.Empty(first.Reservations);
        Assert.Equal(CapacityChoice.None, second.Plan.Capacity);
        Assert.Equal(first.Plan.ReservedBandwidth, second.Plan.ReservedBandwidth);
    }
}

/// <summary>The wait for one of the engine's slots, in the plan's predicted start.</summary>
public sealed class SlotForecastTests
{
    [Fact]
    public async Task Start_ClusterSlotTaken_PredictsTheStartWhenTheFirstEnds()
    {
        await using var h = new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 1, MaxOutboundPerNode = 1, LinkReservations = false });

        var first = h.Start(EngineHarness.Cache);
        var second = h.Start(EngineHarness.Other);

        Assert.Equal(0, first.Plan.PredictedStartMs);
        // The engine holds the slot for the whole run, the profile and clean-up too.
        Assert.Equal(first.Plan.PredictedRunMs, second.Plan.PredictedStartMs, 6);
        // The completion counts the whole run from its start: the profile and the clean-up too, which T_mig leaves out.
        Assert.Equal(second.Plan.PredictedStartMs + second.Plan.Steps.Sum(s => s.PredictedMs), second.Plan.PredictedCompletionMs, 6);
        Assert.True(second.Plan.PredictedRunMs > second.Plan.PredictedMigrationTimeMs);
        Assert.Contains("slots are taken", second.Plan.Rationale);
    }

    [Fact]
    public async Task Start_NodeSlotTakenButClusterFree_OnlyTheSameSourceWaits()
    {
        await using var h = new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 5, MaxOutboundPerNode = 1, LinkReservations = false });

        var first = h.Start(EngineHarness.Cache);
        var sameNode = h.Start(EngineHarness.Stream);
        var otherNode = h.Start(EngineHarness.Other);

        Assert.Equal(first.Plan.PredictedRunMs, sameNode.Plan.PredictedStartMs, 6);
        Assert.Equal(0, otherNode.Plan.PredictedStartMs);
    }

    [Fact]
    public async Task Start_RunningMigrationPartWayThrough_WaitsOnlyForWhatIsLeftOfIt()
    {
        await using var h = new EngineHarness(new EngineOptions { MaxConcurrentPerCluster = 1, MaxOutboundPerNode = 1, LinkReservations = false });
        var first = h.Start(EngineHarness.Cache);
        var stored = h.Migrations.Find(first.Id)!;
        stored.Start(h.Clock.GetUtcNow());
        h.Migrations.Save(stored);

        h.Clock.Advance(TimeSpan.FromMilliseconds(500));
        var second = h.Start(EngineHarness.Other);

        Assert.Equal(first.Plan.PredictedRunMs - 500, second.Plan.PredictedStartMs, 6);
    }
}
