using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Tests.Automation;

/// <summary>A schedule that respects maintenance windows, firing on the real executor, coordinator and simulated edge.</summary>
public sealed class ScheduleWindowTests
{
    [Fact]
    public async Task Execute_RespectsWindowsAndClusterClosed_StartsNothingAndSaysWhichCluster()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        var cluster = CloseWindowOf(h, "leaderboard");

        var run = h.Get<ScheduleExecutor>().Execute(ScheduleFor(h, "leaderboard", respectWindows: true), h.Clock.GetUtcNow(), manual: false, late: false);

        Assert.Equal(ScheduleRunOutcome.OutsideWindows, run.Outcome);
        Assert.Contains($"leaderboard (cluster {cluster} is outside its maintenance windows)", run.Detail, StringComparison.Ordinal);
        Assert.Empty(run.Migrations);
        Assert.Empty(h.Migrations.List(new MigrationQuery(Service: h.Service("leaderboard").Id)));
    }

    [Fact]
    public async Task Execute_RunNowOutsideWindow_StartsTheMigration()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        CloseWindowOf(h, "leaderboard");

        var run = h.Get<ScheduleExecutor>().Execute(ScheduleFor(h, "leaderboard", respectWindows: true), null, manual: true, late: false);

        Assert.Equal(ScheduleRunOutcome.Started, run.Outcome);
        Assert.Equal(MigrationState.Completed, (await h.WaitFinishedAsync(Assert.Single(run.Migrations))).State);
    }

    [Fact]
    public async Task Execute_IgnoresWindows_StartsOutsideWindow()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        CloseWindowOf(h, "leaderboard");

        var run = h.Get<ScheduleExecutor>().Execute(ScheduleFor(h, "leaderboard", respectWindows: false), h.Clock.GetUtcNow(), manual: false, late: false);

        Assert.Equal(ScheduleRunOutcome.Started, run.Outcome);
        Assert.Single(run.Migrations);
    }

    [Fact]
    public async Task Execute_RespectsWindowsAndWindowOpen_StartsTheMigration()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        var now = h.Clock.GetUtcNow();
        var cluster = h.Inventory.FindNode(h.Service("leaderboard").NodeId)!.ClusterId;
        h.Windows.Save(new MaintenanceWindow(MaintenanceWindowId.New(), cluster, "Now", [now.DayOfWeek], TimeOnly.FromTimeSpan(now.TimeOfDay.Add(TimeSpan.FromMinutes(-1)) is var t && t > TimeSpan.Zero ? t : TimeSpan.Zero), TimeSpan.FromHours(2), "UTC"));

        var run = h.Get<ScheduleExecutor>().Execute(ScheduleFor(h, "leaderboard", respectWindows: true), now, manual: false, late: false);

        Assert.Equal(ScheduleRunOutcome.Started, run.Outcome);
        Assert.Single(run.Migrations);
    }

    [Fact]
    public async Task Execute_DrainRespectingWindowsOutsideWindow_DoesNotCordonTheNode()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        var node = h.Service("leaderboard").NodeId;
        CloseWindowOf(h, "leaderboard");
        var now = h.Clock.GetUtcNow();
        var drain = new Schedule(ScheduleId.New(), "drain", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC", ScheduleTarget.ForNode(node), null, null,
            false, MisfirePolicy.Skip, now, now, "test", null, respectMaintenanceWindows: true);

        var run = h.Get<ScheduleExecutor>().Execute(drain, now, manual: false, late: false);

        Assert.Equal(ScheduleRunOutcome.OutsideWindows, run.Outcome);
        Assert.Null(run.Drain);
        Assert.Equal(NodeStatus.Ready, h.Inventory.FindNode(node)!.Status);
    }

    [Fact]
    public async Task Execute_TimedDrainThenAgainWhileItRuns_BothAuditedUnderTheSchedule()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        var node = h.Inventory.FindNode(h.Service("leaderboard").NodeId)!;
        var now = h.Clock.GetUtcNow();
        var drain = new Schedule(ScheduleId.New(), "nightly drain", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC", ScheduleTarget.ForNode(node.Id), null, null,
            false, MisfirePolicy.Skip, now, now, "test", null);

        var first = h.Get<ScheduleExecutor>().Execute(drain, now, manual: false, late: false);
        var second = h.Get<ScheduleExecutor>().Execute(drain, now, manual: false, late: true);

        Assert.Equal(ScheduleRunOutcome.Started, first.Outcome);
        var entries = h.Get<IAuditLog>().Query(new AuditQuery(Action: AuditActions.NodeDrain));
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal("schedule:nightly drain", e.Actor));
        Assert.All(entries, e => Assert.Equal($"node {node.Name} ({node.Id})", e.Target));
        var started = Assert.Single(entries, e => e.Succeeded);
        Assert.StartsWith($"drain {first.Drain}:", started.Detail, StringComparison.Ordinal);
        var refused = Assert.Single(entries, e => !e.Succeeded);
        Assert.Equal(second.Detail, refused.Detail);
    }

    private static Schedule ScheduleFor(AutomationHarness h, string service, bool respectWindows)
    {
        var now = h.Clock.GetUtcNow();
        return new Schedule(ScheduleId.New(), $"move {service}", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC", ScheduleTarget.ForService(h.Service(service).Id),
            null, null, false, MisfirePolicy.Skip, now, now, "test", null, respectWindows);
    }

    /// <summary>A window on the service's cluster that is certainly closed now (it opens the day after tomorrow); its cluster's name.</summary>
    private static string CloseWindowOf(AutomationHarness h, string service)
    {
        var cluster = h.Inventory.FindNode(h.Service(service).NodeId)!.ClusterId;
        var later = h.Clock.GetUtcNow().AddDays(2);
        h.Windows.Save(new MaintenanceWindow(MaintenanceWindowId.New(), cluster, "Night", [later.DayOfWeek], new TimeOnly(0, 0), TimeSpan.FromHours(1), "UTC"));
        return h.Inventory.FindCluster(cluster)!.Name;
    }
}
