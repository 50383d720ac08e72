using EdgePortal.Core.Batches;
using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Core.Tests.Capacity;
using EdgePortal.Core.Tests.Execution;
using EdgePortal.Core.Tests.Planning;

namespace EdgePortal.Core.Tests.Batches;

public sealed class BatchReportTests
{
    private static readonly DateTimeOffset Now = LedgerSamples.Now;

    /// <summary>A migration of the topology's service to n1 sending at <paramref name="megabits"/> through one transfer of <paramref name="runMs"/>.</summary>
    private static Migration Planned(PlanningTopology edge, double megabits, double runMs, KpiTargets targets, double startMs = 0,
        CapacityChoice capacity = CapacityChoice.None, bool feasible = true, double downtimeMs = 100)
    {
        var template = LedgerSamples.Sending(edge, megabits, [new PlannedStep(StepKind.Transfer, 0, runMs, true, runMs)], start: false);
        var plan = template.Plan with
        {
            PredictedStartMs = startMs, Capacity = capacity, Feasible = feasible, PredictedDowntimeMs = downtimeMs,
            BindingConstraint = feasible ? null : "θ_mig",
        };
        return Migration.Create(edge.Service, edge.ClusterA.Id, plan, targets, Objective.MinDowntime, MigrationTrigger.Drain, "test", Now,
            LinkLedger.ReservationsOf(edge.Topology, plan), BatchId.New());
    }

    [Fact]
    public void Of_SecondWaitsForBandwidth_LinkLoadStacksTheSendingWindowsAndItsMissSaysItWaited()
    {
        var edge = new PlanningTopology();
        var first = Planned(edge, 300, 10_000, new KpiTargets(60_000, 60_000, 100));
        var waiting = Planned(edge, 200, 5_000, new KpiTargets(60_000, 8_000, 100), startMs: 5_000, capacity: CapacityChoice.Wait);

        var report = BatchReport.Of(BatchId.New(), [waiting, first], edge.Topology, Now)!;

        Assert.Equal([first.Id, waiting.Id], report.Migrations.Select(m => m.MigrationId));
        var second = report.Migrations[1];
        Assert.Equal((Now.AddSeconds(5), Now.AddSeconds(10)), (second.PredictedStart, second.PredictedEnd));
        Assert.Null(second.ActualStart);
        // n2–n1 (1 Gbit/s): 300 Mbit/s from 0, 500 while both send, nothing once both have sent.
        var link = report.Links.Single(l => l.LinkId == edge.Links[2].Id);
        Assert.Equal(1e9, link.CapacityBitsPerSecond);
        Assert.Equal([(Now, 300e6), (Now.AddSeconds(5), 500e6), (Now.AddSeconds(10), 0d)], link.Load.Select(p => (p.At, p.ReservedBitsPerSecond)));
        Assert.False(link.Overbooked);
        Assert.True(report.Migrations[0].MeetsTargets);
        var miss = Assert.Single(second.Misses);
        Assert.Equal((BatchTarget.MigrationTime, 10_000d, false), (miss.Target, miss.ValueMs, miss.Measured));
        Assert.Equal([MissReason.WaitedForBandwidth], miss.Reasons);
        Assert.Contains("waited 5.0 s for bandwidth", miss.Explanation);
        Assert.Equal(1, report.MeetingTargets);
    }

    [Fact]
    public void Of_CompletedLongerThanPredicted_MissesBothTargetsMeasuredBecauseItRanLonger()
    {
        var edge = new PlanningTopology();
        var migration = Planned(edge, 300, 2_000, new KpiTargets(1_000, 3_000, 100), downtimeMs: 500);
        migration.Start(Now);
        migration.BeginStep(0, Now);
        migration.CompleteStep(0, 4_000, null, Now.AddSeconds(4));
        migration.Complete(Now.AddSeconds(4));

        var entry = BatchReport.Of(BatchId.New(), [migration], edge.Topology, Now.AddSeconds(5))!.Migrations.Single();

        Assert.Equal((Now, Now.AddSeconds(4)), (entry.ActualStart, entry.ActualEnd));
        Assert.Equal([BatchTarget.Downtime, BatchTarget.MigrationTime], entry.Misses.Select(m => m.Target));
        Assert.All(entry.Misses, m => Assert.True(m.Measured));
        Assert.All(entry.Misses, m => Assert.Equal([MissReason.RanLonger], m.Reasons));
        Assert.Equal(4_000, entry.Misses[0].ValueMs);
    }

    [Fact]
    public void Of_RolledBackAfterAPlannedMiss_MissesTheMigrationTimeBecauseItDidNotComplete()
    {
        var edge = new PlanningTopology();
        var migration = Planned(edge, 300, 2_000, new KpiTargets(1_000, 1_500, 100), feasible: false, capacity: CapacityChoice.ReserveLess);
        migration.Start(Now);
        migration.BeginStep(0, Now);
        migration.FailStep(0, "link down", 100, Now.AddMilliseconds(100));
        migration.CompleteRollback("rolled back", Now.AddMilliseconds(200));

        var report = BatchReport.Of(BatchId.New(), [migration], edge.Topology, Now.AddSeconds(1))!;

        var miss = Assert.Single(report.Migrations.Single().Misses);
        Assert.Equal(BatchTarget.MigrationTime, miss.Target);
        Assert.Equal([MissReason.DidNotComplete, MissReason.PlannedToMiss, MissReason.ReservedLess], miss.Reasons);
        Assert.Equal(Now.AddMilliseconds(200), report.ActualEnd);
    }

    [Fact]
    public void Of_NoMigrations_IsNull()
        => Assert.Null(BatchReport.Of(BatchId.New(), [], new PlanningTopology().Topology, Now));

    [Fact]
    public async Task StartBatch_TwoBatches_StampsOneIdPerBatchOnEveryMigrationAndNoneOnASingleStart()
    {
        await using var h = new EngineHarness();
        static MigrationRequest Request(ServiceId id) => new() { ServiceId = id, RequestedBy = "test", AcceptTargetMiss = true };

        var batch = h.Coordinator.StartBatch([Request(EngineHarness.Cache), Request(EngineHarness.Stream)]);
        var ids = batch.Select(r => Assert.IsType<MigrationRequestResult.Accepted>(r).Migration.BatchId).ToList();
        var alone = h.Start(EngineHarness.Other);
        var next = Assert.IsType<MigrationRequestResult.Accepted>(h.Coordinator.StartBatch([Request(EngineHarness.Diverging)]).Single());

        Assert.NotNull(ids[0]);
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(2, h.Migrations.List(new MigrationQuery(Batch: ids[0])).Count);
        Assert.Null(h.Migrations.Find(alone.Id)!.BatchId);
        Assert.NotNull(next.Migration.BatchId);
        Assert.NotEqual(ids[0], next.Migration.BatchId);
    }
}
