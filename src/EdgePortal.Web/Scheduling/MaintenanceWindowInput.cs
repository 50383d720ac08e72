using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;

namespace EdgePortal.Web.Scheduling;

/// <summary>
/// A maintenance window as the page's form and <c>POST</c>/<c>PUT /api/v1/clusters/{id}/windows</c> give it: days by name,
/// start as HH:mm, duration in minutes, an IANA time zone (UTC when left out).
/// </summary>
public sealed record MaintenanceWindowBody(string? Name, IReadOnlyList<string>? Days, string? Start, int? DurationMinutes, string? TimeZone);

/// <summary>Reads a maintenance window from loose input (the API body, the page's form), naming each bad field.</summary>
public static class MaintenanceWindowInput
{
    public static MaintenanceWindow? TryBuild(ClusterId cluster, MaintenanceWindowId id, string? name, IEnumerable<string>? days, string? start,
        int? durationMinutes, string? timeZone, IScheduleCalendar calendar, Action<string, string> error)
    {
        var ok = true;
        void Fail(string field, string message)
        {
            ok = false;
            error(field, message);
        }
        if (string.IsNullOrWhiteSpace(name))
            Fail("name", "name is required.");
        else if (InputLimits.TooLong("name", name.Trim(), InputLimits.Name) is { } nameTooLong)
            Fail("name", nameTooLong);
        var parsedDays = new List<DayOfWeek>();
        var given = days?.ToList() ?? [];
        if (given.Count > 7 * 2)
        {
            Fail("days", $"days lists at most the 7 days of the week (was {given.Count} entries).");
            given = [];
        }
        foreach (var day in given)
        {
            if (Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var d) && !int.TryParse(day, out _))
                parsedDays.Add(d);
            else
                Fail("days", $"'{InputLimits.Echo(day)}' is not a day of the week (Monday … Sunday).");
        }
        if (parsedDays.Count == 0 && ok)
            Fail("days", "days needs at least one day of the week.");
        if (!TimeOnly.TryParseExact(start ?? "", "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var startTime))
            Fail("start", $"start must be a time as HH:mm (was '{InputLimits.Echo(start)}').");
        if (durationMinutes is not (>= 1 and <= 1440))
            Fail("durationMinutes", $"durationMinutes must lie in 1..1440 (was {durationMinutes?.ToString(CultureInfo.InvariantCulture) ?? "missing"}).");
        var zone = string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone.Trim();
        if (InputLimits.TooLong("timeZone", zone, InputLimits.Expression) is { } zoneTooLong)
            Fail("timeZone", zoneTooLong);
        else if (calendar.ValidateTimeZone(zone) is { } tzError)
            Fail("timeZone", tzError);
        return ok ? new MaintenanceWindow(id, cluster, name!.Trim(), parsedDays, startTime, TimeSpan.FromMinutes(durationMinutes!.Value), zone) : null;
    }
}
