namespace EdgePortal.Core.Scheduling;

/// <summary>
/// Cron arithmetic, which Core leaves to the scheduler the host runs (Quartz in the portal): whether an
/// expression and a time zone are valid, and when a cron expression fires next.
/// </summary>
public interface IScheduleCalendar
{
    /// <summary>Null when valid; otherwise what is wrong with the expression, in words.</summary>
    string? ValidateCron(string? cron);

    /// <summary>Null when the zone is known; otherwise why not.</summary>
    string? ValidateTimeZone(string? timeZone);

    /// <summary>The next <paramref name="count"/> fire times strictly after <paramref name="after"/>, in UTC.</summary>
    IReadOnlyList<DateTimeOffset> NextFireTimes(string cron, string timeZone, DateTimeOffset after, int count);
}
