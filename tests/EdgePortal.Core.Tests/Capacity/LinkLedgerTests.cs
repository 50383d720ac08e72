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
            Steps = [new PlannedStep(StepKind.Transfer, 0, 3_000, true, 3_000)],
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

    /// <summary>A pre-copy profile: 1 s profile, a 2 s pre-dump sending its first 0.5 s, a 1 s round sending 0.2 s, a 0.3 s dump, a 0.1 s transfer, restore and clean-up.</summary>
    private static PlannedStep[] Rounds() =>
    [
        new(StepKind.Profile, 0, 1_000, false, 0),
        new(StepKind.PreDump, 0, 2_000, false, 500),
        new(StepKind.PreDump, 1, 1_000, false, 200),
        new(StepKind.Checkpoint, 0, 300, true, 0),
        new(StepKind.Transfer, 0, 100, true, 100),
        new(StepKind.Restore, 0, 200, true, 0),
        new(StepKind.CleanUp, 0, 50, false, 0),
    ];

    [Fact]
    public void Of_PlanThatSendsInRounds_HoldsItsRateOnlyWhileItSends()
    {
        var edge = new PlanningTopology();
        var ledger = LinkLedger.Of(edge.Topology, [LedgerSamples.Sending(edge, 800, Rounds())], Now);
        var link = edge.Links[2].Id;

        // Sending: [1000, 1500), [3000, 3200), [4300, 4400); profile and dump work leave the link to others.
        Assert.Equal([0d, 800e6, 0, 800e6, 0, 800e6, 0], new double[] { 500, 1_200, 2_000, 3_100, 3_500, 4_350, 4_500 }.Select(t => ledger.ReservedAt(link, t)));
        Assert.Equal([1_500d, 3_200d, 4_400d], ledger.ReleasesOn(edge.Src.Id, edge.N1.Id));
        Assert.Equal(1e9, ledger.Residual(edge.Src.Id, edge.N1.Id, [(1_500, 3_000), (3_200, 4_300)]).BitsPerSecond, 0);
        Assert.Equal(200e6, ledger.Residual(edge.Src.Id, edge.N1.Id, [(1_500, 3_000), (3_100, 3_150)]).BitsPerSecond, 0);
    }

    [Fact]
    public void Of_RunningMigrationInALaterStep_LaysTheRestOutFromThatStepsStart()
    {
        var edge = new PlanningTopology();
        var migration = LedgerSamples.Sending(edge, 800, Rounds(), start: false);
        var started = Now.AddSeconds(-10);
        migration.Start(started);
        // The pre-dump ran late: round 1 began 8.5 s after the start, 1.5 s ago, and runs past its predicted 1 s.
        migration.BeginStep(0, started);
        migration.CompleteStep(0, 1_000, null, started.AddSeconds(1));
        migration.BeginStep(1, started.AddSeconds(1));
        migration.CompleteStep(1, 7_500, null, started.AddSeconds(8.5));
        migration.BeginStep(2, started.AddSeconds(8.5));

        var ledger = LinkLedger.Of(edge.Topology, [migration], Now);

        // Round 1 (its 0.2 s of sending long past) is expected to end now; the final transfer follows the 0.3 s dump.
        Assert.Equal([(300d, 400d)], LinkLedger.Windows(migration, Now));
        Assert.Equal(800e6, ledger.ReservedAt(edge.Links[2].Id, 350), 0);
        Assert.Equal(0, ledger.ReservedAt(edge.Links[2].Id, 100));
    }

    [Fact]
    public void Of_PlanStoredWithoutAProfile_HoldsFromItsStartForItsWholeMigrationTime()
    {
        var edge = new PlanningTopology();
        // Stored before plans said when they send: no step has SendingMs.
        var legacy = LedgerSamples.Sending(edge, 300, [.. Rounds().Select(s => s with { SendingMs = null })]);

        var ledger = LinkLedger.Of(edge.Topology, [legacy], Now);

        Assert.False(LinkLedger.HasProfile(legacy.Plan));
        Assert.Equal(300e6, ledger.ReservedAt(edge.Links[2].Id, 0), 0);
        Assert.Equal(300e6, ledger.ReservedAt(edge.Links[2].Id, 2_500), 0);
        Assert.Equal([legacy.Plan.PredictedMigrationTimeMs], ledger.ReleasesOn(edge.Src.Id, edge.N1.Id));
    }

    [Fact]
    public void SendingWindows_PlannerPlan_EveryWindowIsTheNetworkPartOfASendingStep()
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        var plan = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant).Plan!;

        var windows = LinkLedger.SendingWindows(plan, 0);

        Assert.True(LinkLedger.HasProfile(plan));
        Assert.All(plan.Steps, s => Assert.Equal(PlannedStep.Sends(s.Kind), s.SendingMs > 0));
        // The 100 MB pre-dump (whole pages, a little more) at the reserved rate, first of all; the windows add up to no more than the sending steps.
        Assert.Equal(plan.Steps.First(s => s.Kind == StepKind.Profile).PredictedMs, windows[0].FromMs, 6);
        var stateMs = 100_000_000 * 8_000d / plan.ReservedBandwidth.BitsPerSecond;
        Assert.InRange(plan.Steps.First(s => PlannedStep.Sends(s.Kind)).SendingMs!.Value, stateMs, stateMs * 1.05);
        Assert.True(windows.Sum(w => w.UntilMs - w.FromMs) <= plan.Steps.Where(s => PlannedStep.Sends(s.Kind)).Sum(s => s.PredictedMs) + 1e-6);
    }
}
