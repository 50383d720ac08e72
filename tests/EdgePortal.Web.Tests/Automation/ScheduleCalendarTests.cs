using EdgePortal.Web.Scheduling;

namespace EdgePortal.Web.Tests.Automation;

public sealed class ScheduleCalendarTests
{
    private readonly QuartzScheduleCalendar _calendar = new();

    [Fact]
    public void NextFireTimes_DailyNineInRomeAcrossSpringForward_MovesFromEightToSevenUtc()
    {
        // Europe/Rome goes from UTC+1 to UTC+2 at 02:00 on Sunday 29 March 2026.
        var times = _calendar.NextFireTimes("0 0 9 * * ?", "Europe/Rome", new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero), 4);

        Assert.Equal(
        [
            new DateTimeOffset(2026, 3, 28, 8, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 29, 7, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 30, 7, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 31, 7, 0, 0, TimeSpan.Zero),
        ], times);
    }

    [Fact]
    public void NextFireTimes_DailyNineInRomeAcrossFallBack_MovesFromSevenToEightUtc()
    {
        // Back to UTC+1 at 03:00 on Sunday 25 October 2026.
        var times = _calendar.NextFireTimes("0 0 9 * * ?", "Europe/Rome", new DateTimeOffset(2026, 10, 24, 0, 0, 0, TimeSpan.Zero), 2);

        Assert.Equal([new DateTimeOffset(2026, 10, 24, 7, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 25, 8, 0, 0, TimeSpan.Zero)], times);
    }

    [Fact]
    public void NextFireTimes_HalfPastTwoOnSpringForwardNight_NeverFiresInTheMissingHourAndNeverTwice()
    {
        var times = _calendar.NextFireTimes("0 30 2 * * ?", "Europe/Rome", new DateTimeOffset(2026, 3, 28, 0, 0, 0, TimeSpan.Zero), 3);

        Assert.Equal(3, times.Distinct().Count());
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 1, 30, 0, TimeSpan.Zero), times[0]);
        var rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
        Assert.All(times, t => Assert.False(rome.IsInvalidTime(TimeZoneInfo.ConvertTime(t, rome).DateTime)));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), times[^1]);
    }

    [Theory]
    [InlineData("not a cron")]
    [InlineData("0 0 25 * * ?")]
    [InlineData("* * * * *  * * *")]
    [InlineData("")]
    public void ValidateCron_BadExpression_SaysWhy(string cron)
        => Assert.False(string.IsNullOrWhiteSpace(_calendar.ValidateCron(cron)));

    [Fact]
    public void ValidateTimeZone_UnknownZone_SaysWhy()
    {
        Assert.Null(_calendar.ValidateTimeZone("Europe/Rome"));
        Assert.Contains("Mars/Olympus", _calendar.ValidateTimeZone("Mars/Olympus"));
    }
}
