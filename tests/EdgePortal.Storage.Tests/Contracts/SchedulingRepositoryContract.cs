using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class SchedulingRepositoryContract(TestStore store) : StoreContract(store)
{
    private static Schedule Schedule(string name, TenantId? tenant = null)
        => new(ScheduleId.New(), name, ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC", ScheduleTarget.ForLabels(new Dictionary<string, string> { ["tier"] = "edge" }),
            new KpiTargets(2_000, 5_000, 5), Objective.MinDowntime, false, MisfirePolicy.Skip, T0, T0, "ci", tenant, respectMaintenanceWindows: true);

    private static ScheduleRun Run(ScheduleId schedule, DateTimeOffset at)
        => new(ScheduleRunId.New(), schedule, "nightly", at, at, false, false, ScheduleRunOutcome.Started, "started 1", [MigrationId.New()], null);

    [Fact]
    public void Schedules_SaveFindListDelete_RoundTripAndOrderByNameIgnoringCase()
    {
        var beta = Schedule("beta", TenantId.New());
        var alpha = Schedule("Alpha");
        Store.Schedules.Save(beta);
        Store.Schedules.Save(alpha);

        Assert.Equal(["Alpha", "beta"], Store.Schedules.List().Select(s => s.Name));
        var found = Store.Schedules.Find(beta.Id)!;
        Assert.Equal((beta.Cron, beta.TenantId, beta.Misfire, beta.RespectMaintenanceWindows, beta.Targets), (found.Cron, found.TenantId, found.Misfire, found.RespectMaintenanceWindows, found.Targets));
        Assert.Equal(beta.Target.Labels, found.Target.Labels);
        Assert.True(Store.Schedules.Delete(beta.Id));
        Assert.False(Store.Schedules.Delete(beta.Id));
        Assert.Null(Store.Schedules.Find(beta.Id));
    }

    [Fact]
    public void Runs_OfOneSchedule_NewestFirstWithTiesByIdAndLimited()
    {
        var schedule = ScheduleId.New();
        var runs = Enumerable.Range(0, 7).Select(i => Run(schedule, T0.AddMinutes(i / 2))).ToList();
        foreach (var run in runs)
            Store.Schedules.SaveRun(run);
        Store.Schedules.SaveRun(Run(ScheduleId.New(), T0.AddHours(1)));

        var listed = Store.Schedules.Runs(schedule, limit: 5);

        Assert.Equal(runs.OrderByDescending(r => HistoryCursor.At(r.FiredAt, r.Id.Value)).Take(5).Select(r => r.Id), listed.Select(r => r.Id));
        var oldest = runs.MinBy(r => HistoryCursor.At(r.FiredAt, r.Id.Value))!;
        Assert.Equal(oldest.Migrations, Store.Schedules.Runs(schedule, 10)[^1].Migrations);
    }

    [Fact]
    public void Windows_ByCluster_OnlyThatClustersOrderedByName()
    {
        var centro = ClusterId.New();
        var nord = ClusterId.New();
        var night = new MaintenanceWindow(MaintenanceWindowId.New(), centro, "night", [DayOfWeek.Monday, DayOfWeek.Friday], new TimeOnly(1, 30), TimeSpan.FromHours(2), "Europe/Rome");
        var dawn = new MaintenanceWindow(MaintenanceWindowId.New(), centro, "Dawn", [DayOfWeek.Sunday], new TimeOnly(5, 0), TimeSpan.FromMinutes(45), "UTC");
        var other = new MaintenanceWindow(MaintenanceWindowId.New(), nord, "any", [DayOfWeek.Sunday], new TimeOnly(5, 0), TimeSpan.FromMinutes(45), "UTC");
        foreach (var window in new[] { night, dawn, other })
            Store.Windows.Save(window);

        Assert.Equal(["Dawn", "night"], Store.Windows.List(centro).Select(w => w.Name));
        Assert.Equal(3, Store.Windows.List().Count);
        Assert.Equal(night.Days, Store.Windows.Find(night.Id)!.Days);
        Assert.True(Store.Windows.Delete(other.Id));
        Assert.Empty(Store.Windows.List(nord));
    }

    [Fact]
    public void Decisions_ByService_NewestFirstAndLimited()
    {
        var service = ServiceId.New();
        var decisions = Enumerable.Range(0, 4).Select(i => new AutomationDecision(AutomationDecisionId.New(), T0.AddMinutes(i), i == 3 ? ServiceId.New() : service, "svc",
            TenantId.New(), AutomationAction.Migrated, "latency", 9.5, 5, 3, i == 1, NodeId.New(), NodeId.New(), MigrationId.New(), "over target", "plan", "nearest")).ToList();
        foreach (var decision in decisions)
            Store.Decisions.Save(decision);

        Assert.Equal([decisions[2].Id, decisions[1].Id], Store.Decisions.List(service, limit: 2).Select(d => d.Id));
        Assert.Equal(decisions.AsEnumerable().Reverse().Select(d => d.Id), Store.Decisions.List().Select(d => d.Id));
        Assert.True(Store.Decisions.List(service, 10).Single(d => d.Id == decisions[1].Id).Urgent);
    }

    [Fact]
    public void Drains_SaveAgain_ReplacesAndListsNewestFirst()
    {
        var node = NodeId.New();
        var older = new DrainOperation(DrainId.New(), node, "a", "ci", T0, null, DrainState.Running, [new DrainItem(ServiceId.New(), "svc", 2.5, DrainItemState.Pending, null, null)]);
        var newer = new DrainOperation(DrainId.New(), node, "b", "ci", T0.AddHours(1), null, DrainState.Running, []);
        Store.Drains.Save(older);
        Store.Drains.Save(newer);
        var moved = older.WithItem(older.Items[0] with { State = DrainItemState.Moved, MigrationId = MigrationId.New() }).FinishIfDone(T0.AddMinutes(5));

        Store.Drains.Save(moved);

        Assert.Equal([newer.Id, older.Id], Store.Drains.List().Select(d => d.Id));
        var stored = Store.Drains.Find(older.Id)!;
        Assert.Equal((DrainState.Completed, DrainItemState.Moved), (stored.State, stored.Items[0].State));
    }
}
