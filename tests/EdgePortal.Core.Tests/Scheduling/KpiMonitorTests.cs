using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;

namespace EdgePortal.Core.Tests.Scheduling;

public sealed class KpiMonitorTests
{
    private static readonly ServiceId Service = ServiceId.New();

    [Fact]
    public void Observe_OscillatingAcrossTheTarget_NeverSustained()
    {
        var monitor = new KpiMonitor(consecutive: 3, margin: 0.1);

        var kinds = Enumerable.Range(0, 20).Select(i => monitor.Observe(Service, i % 2 == 0 ? 3.9 : 6.0, 4).Kind).ToList();

        Assert.DoesNotContain(KpiVerdictKind.Sustained, kinds);
    }

    [Fact]
    public void Observe_WithinTheBand_HoldsTheCountWithoutAddingToIt()
    {
        var monitor = new KpiMonitor(consecutive: 3, margin: 0.1);

        monitor.Observe(Service, 5, 4);
        monitor.Observe(Service, 5, 4);
        var inBand = monitor.Observe(Service, 4.2, 4);
        var third = monitor.Observe(Service, 5, 4);

        Assert.Equal(KpiVerdictKind.InBand, inBand.Kind);
        Assert.Equal(2, inBand.Consecutive);
        Assert.Equal(KpiVerdictKind.Sustained, third.Kind);
    }

    [Fact]
    public void Observe_SlightlyOverTargetForever_NeverCountsInsideTheMargin()
    {
        var monitor = new KpiMonitor(consecutive: 2, margin: 0.1);

        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(KpiVerdictKind.InBand, monitor.Observe(Service, 4.3, 4).Kind));
    }

    [Fact]
    public void Observe_NViolationsInARow_SustainedOnTheNth()
    {
        var monitor = new KpiMonitor(consecutive: 3, margin: 0);

        Assert.Equal(KpiVerdictKind.Violating, monitor.Observe(Service, 8, 4).Kind);
        Assert.Equal(KpiVerdictKind.Violating, monitor.Observe(Service, 8, 4).Kind);
        var verdict = monitor.Observe(Service, 8, 4);

        Assert.Equal(KpiVerdictKind.Sustained, verdict.Kind);
        Assert.Equal(1.0, verdict.Severity, 6);
    }

    [Fact]
    public void MayStart_ClosedWindow_OnlyWhenUrgent()
    {
        Assert.True(MaintenanceWindows.MayStart(windowOpen: true, severity: 0.1, urgentSeverity: 1));
        Assert.False(MaintenanceWindows.MayStart(windowOpen: false, severity: 0.9, urgentSeverity: 1));
        Assert.True(MaintenanceWindows.MayStart(windowOpen: false, severity: 1.0, urgentSeverity: 1));
    }
}

public sealed class MaintenanceWindowTests
{
    private static readonly ClusterId Cluster = ClusterId.New();

    private static MaintenanceWindow Window(DayOfWeek day, int hour, double hours, string zone = "Europe/Rome")
        => new(MaintenanceWindowId.New(), Cluster, "Night", [day], new TimeOnly(hour, 0), TimeSpan.FromHours(hours), zone);

    [Fact]
    public void Contains_LocalTimeInsideWindow_TrueAndOutsideFalse()
    {
        // Tuesday 14 July 2026: Rome is UTC+2, so 02:30 local is 00:30 UTC.
        var window = Window(DayOfWeek.Tuesday, 2, 2);

        Assert.True(window.Contains(new DateTimeOffset(2026, 7, 14, 0, 30, 0, TimeSpan.Zero)));
        Assert.False(window.Contains(new DateTimeOffset(2026, 7, 14, 2, 30, 0, TimeSpan.Zero)));
        Assert.False(window.Contains(new DateTimeOffset(2026, 7, 15, 0, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Contains_WindowPastMidnight_OpenEarlyNextDay()
    {
        var window = Window(DayOfWeek.Saturday, 23, 3, "UTC");

        Assert.True(window.Contains(new DateTimeOffset(2026, 7, 19, 1, 0, 0, TimeSpan.Zero))); // Sunday 01:00
        Assert.False(window.Contains(new DateTimeOffset(2026, 7, 19, 2, 30, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void IsOpen_ClusterWithoutWindows_AlwaysOpen()
    {
        var elsewhere = new MaintenanceWindow(MaintenanceWindowId.New(), ClusterId.New(), "x", [DayOfWeek.Monday], new TimeOnly(0, 0), TimeSpan.FromMinutes(1), "UTC");

        Assert.True(MaintenanceWindows.IsOpen([], Cluster, DateTimeOffset.UtcNow));
        Assert.True(MaintenanceWindows.IsOpen([elsewhere], Cluster, DateTimeOffset.UtcNow));
    }
}
