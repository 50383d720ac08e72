using EdgePortal.Core.Scheduling;
using Quartz;

namespace EdgePortal.Web.Scheduling;

/// <summary>Cron arithmetic by Quartz's own <see cref="CronExpression"/>: what the scheduler accepts is what the API accepts.</summary>
public sealed class QuartzScheduleCalendar : IScheduleCalendar
{
    public string? ValidateCron(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
            return "A cron expression is required (Quartz format: seconds minutes hours day-of-month month day-of-week [year], e.g. '0 0 2 * * ?').";
        try
        {
            _ = new CronExpression(cron.Trim());
            return null;
        }
        catch (FormatException e)
        {
            return $"'{cron}' is not a valid cron expression: {e.Message}";
        }
    }

    public string? ValidateTimeZone(string? timeZone)
    {
        if (string.IsNullOrWhiteSpace(timeZone))
            return "A time zone is required (an IANA id such as Europe/Rome, or UTC).";
        return TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out _) ? null : $"'{timeZone}' is not a known time zone (use an IANA id such as Europe/Rome).";
    }

    public IReadOnlyList<DateTimeOffset> NextFireTimes(string cron, string timeZone, DateTimeOffset after, int count)
    {
        var expression = new CronExpression(cron.Trim(), TimeZoneInfo.FindSystemTimeZoneById(timeZone.Trim()));
        var times = new List<DateTimeOffset>(count);
        var from = after;
        while (times.Count < count && expression.GetNextValidTimeAfter(from) is { } next)
        {
            times.Add(next.ToUniversalTime());
            from = next;
        }
        return times;
    }
}
