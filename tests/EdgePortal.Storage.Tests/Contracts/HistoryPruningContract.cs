using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>Retention: the oldest history of each kind goes, a bounded batch at a time; what is unfinished or recent stays.</summary>
public abstract class HistoryPruningContract(TestStore store) : StoreContract(store)
{
    private static readonly DateTimeOffset Cutoff = T0.AddDays(10);

    [Fact]
    public void Prune_Migrations_DeletesOnlyFinishedOnesOlderThanTheCutoffOldestFirst()
    {
        var service = Service(TenantId.New(), "svc", NodeId.New());
        var states = new[] { MigrationState.Completed, MigrationState.Running, MigrationState.RolledBack, MigrationState.Queued, MigrationState.Failed, MigrationState.Cancelled, MigrationState.Completed };
        var saved = states.Select((state, i) =>
        {
            var migration = DriveTo(NewMigration(service, ClusterId.New(), T0.AddDays(i * 3)), state);
            Migrations.Save(migration);
            return migration;
        }).ToList();

        Assert.Equal(1, Store.Pruner.Prune(HistoryKind.Migrations, Cutoff, max: 1));
        Assert.Null(Migrations.Find(saved[0].Id));
        Assert.Equal(1, Store.Pruner.Prune(HistoryKind.Migrations, Cutoff, max: 10));
        Assert.Equal(0, Store.Pruner.Prune(HistoryKind.Migrations, Cutoff, max: 10));

        // Days 0..9 held a Completed, a Running, a RolledBack and a Queued one: the two finished went, the unfinished stay.
        Assert.Equal([saved[1].Id, saved[3].Id, saved[4].Id, saved[5].Id, saved[6].Id], Migrations.List(new MigrationQuery()).Select(m => m.Id).Reverse());
        Assert.Equal(2, Migrations.Unfinished().Count);
    }

    [Fact]
    public void Prune_Audit_DeletesEntriesOlderThanTheCutoffAndNothingElse()
    {
        var entries = Enumerable.Range(0, 6).Select(i => new AuditEntry { Id = Guid.NewGuid(), At = T0.AddDays(i * 4), Actor = "ci", Action = AuditActions.Plan }).ToList();
        foreach (var entry in entries)
            Store.Audit.Append(entry);

        Assert.Equal(3, Store.Pruner.Prune(HistoryKind.Audit, Cutoff, max: 100));

        Assert.Equal(entries.Skip(3).Select(e => e.Id).Reverse(), Store.Audit.Query(new AuditQuery()).Select(e => e.Id));
    }

    [Fact]
    public void Prune_ScheduleRunsAndDecisions_EachByItsOwnTime()
    {
        var schedule = ScheduleId.New();
        var service = ServiceId.New();
        for (var i = 0; i < 4; i++)
        {
            Store.Schedules.SaveRun(new ScheduleRun(ScheduleRunId.New(), schedule, "nightly", null, T0.AddDays(i * 6), false, false, ScheduleRunOutcome.NothingToDo, "", [], null));
            Store.Decisions.Save(new AutomationDecision(AutomationDecisionId.New(), T0.AddDays(i * 6 + 1), service, "svc", TenantId.New(), AutomationAction.NoFeasiblePlan,
                "latency", 9, 5, 3, false, NodeId.New(), null, null, "no node", null, null));
        }

        Assert.Equal(2, Store.Pruner.Prune(HistoryKind.ScheduleRuns, Cutoff, max: 100));
        Assert.Equal(2, Store.Pruner.Prune(HistoryKind.Decisions, Cutoff, max: 100));

        Assert.All(Store.Schedules.Runs(schedule), r => Assert.True(r.FiredAt >= Cutoff));
        Assert.Equal(2, Store.Schedules.Runs(schedule).Count);
        Assert.All(Store.Decisions.List(service), d => Assert.True(d.At >= Cutoff));
        Assert.Equal(2, Store.Decisions.List(service).Count);
    }

    [Fact]
    public void Prune_ZeroBatch_DeletesNothing()
    {
        Store.Audit.Append(new AuditEntry { Id = Guid.NewGuid(), At = T0, Actor = "ci", Action = AuditActions.Plan });

        Assert.Equal(0, Store.Pruner.Prune(HistoryKind.Audit, Cutoff, max: 0));
        Assert.Single(Store.Audit.Query(new AuditQuery()));
    }
}
