using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Core.Tests.Planning;

namespace EdgePortal.Core.Tests.Capacity;

public sealed class LinkLedgerTests
{
    private static readonly DateTimeOffset Now = LedgerSamples.Now;

    private static Migration Holding(PlanningTopology edge, double megabits, double durationMs, bool start = true)
        => LedgerSamples.Holding(edge, megabits, durationMs, start);

    [Fact]
    public void ReservationsOf_MultiHopPlan_HoldsTheBandwidthOnEveryLinkOfThePath()
    {
        var edge = new PlanningTopology();
        var migration = Holding(edge, 300, 10_000);

        // src → n1 runs src–n2, n2–n1 (7 ms) rather than the direct 10 ms link.
        Assert.Equal([edge.Links[1].Id, edge.Links[2].Id], migration.Reservations.Select(r => r.Link));
        Assert.All(migration.Reservations, r => Assert.Equal(Bandwidth.FromMegabits(300), r.Bandwidth));
    }

    [Fact]
    public void Residual_TwoMigrationsOnThePath_IsTheNarrowestLinkLessWhatTheyHold()
    {
        var edge = new PlanningTopology();
        var ledger = LinkLedger.Of(edge.Topology, [Holding(edge, 300, 10_000), Holding(edge, 200, 5_000)], Now);

        Assert.Equal(500e6, ledger.ReservedAt(edge.Links[2].Id), 0);
        Assert.Equal(500e6, ledger.Residual(edge.Src.Id, edge.N1.Id).BitsPerSecond, 0);
        // From 5 s on only the first holds; from 10 s nothing does.
        Assert.Equal(700e6, ledger.Residual(edge.Src.Id, edge.N1.Id, 5_000, 8_000).BitsPerSecond, 0);
        Assert.Equal(1e9, ledger.Residual(edge.Src.Id, edge.N1.Id, 10_000).BitsPerSecond, 0);
        Assert.Equal([5_000d, 10_000d], ledger.ReleasesOn(edge.Src.Id, edge.N1.Id));
        // n7 is reached over src–n2 and n2–n7: only src–n2 is shared, and it has 10 Gbit/s.
        Assert.Equal(9.5e9, ledger.Residual(edge.Src.Id, edge.N7.Id).BitsPerSecond, 0);
    }

    [Fact]
    public void Of_MigrationEnded_ReleasesItsReservations()
    {
        var edge = new PlanningTopology();
        var ended = Holding(edge, 300, 10_000, start: false);
        ended.Cancel("operator", Now.AddSeconds(1));
        var held = Holding(edge, 200, 10_000);

        var ledger = LinkLedger.Of(edge.Topology, [ended, held], Now);

        Assert.Equal(1, ledger.Holders);
        Assert.Equal(200e6, ledger.ReservedAt(edge.Links[2].Id), 0);
        Assert.NotEmpty(ended.Reservations);
    }

    [Fact]
    public void Of_QueuedMigrationToStartLater_HoldsFromItsPredictedStart()
    {
        var edge = new PlanningTopology();
        var plan = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant).Plan! with
        {
            ReservedBandwidth = Bandwidth.FromMegabits(400),
            PredictedMigrationTimeMs = 3_000,
            PredictedStartMs = 2_000,
            Capacity = CapacityChoice.Wait,
        };
        var queued = Migration.Create(edge.Service, edge.ClusterA.Id, plan, edge.Service.Targets, Objective.MinDowntime, MigrationTrigger.Api,
            "test", Now, LinkLedger.ReservationsOf(edge.Topology, plan));

        var ledger = LinkLedger.Of(edge.Topology, [queued], Now);

        Assert.Equal(0, ledger.ReservedAt(edge.Links[2].Id, 1_000));
        Assert.Equal(400e6, ledger.ReservedAt(edge.Links[2].Id, 2_000), 0);
        Assert.Equal(0, ledger.ReservedAt(edge.Links[2].Id, 5_000));
        Assert.Equal(600e6, ledger.Residual(edge.Src.Id, edge.N1.Id).BitsPerSecond, 0);
    }
}
