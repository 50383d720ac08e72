namespace EdgePortal.Core.Domain;

/// <summary>
/// A weekly time span in which automatic migrations may start on a cluster: on the given days, from
/// <see cref="Start"/> (local time in <see cref="TimeZone"/>) for <see cref="Duration"/>. A window may run past
/// midnight. A cluster without windows is always open; one with windows is open only inside one of them.
/// </summary>
public sealed record MaintenanceWindow
{
    public MaintenanceWindow(MaintenanceWindowId id, ClusterId clusterId, string name, IReadOnlyList<DayOfWeek> days, TimeOnly start,
        TimeSpan duration, string timeZone)
    {
        if (days is null || days.Count == 0)
            throw new ArgumentException("A maintenance window needs at least one day.", nameof(days));
        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A window lasts more than 0 and at most 24 hours.");
        Id = id;
        ClusterId = clusterId;
        Name = Guard.Name(name, nameof(name));
        Days = [.. days.Distinct().Order()];
        Start = start;
        Duration = duration;
        TimeZone = Guard.Name(timeZone, nameof(timeZone));
    }

    public MaintenanceWindowId Id { get; }
    public ClusterId ClusterId { get; }
    public string Name { get; }
    public IReadOnlyList<DayOfWeek> Days { get; }
    public TimeOnly Start { get; }
    public TimeSpan Duration { get; }
    public string TimeZone { get; }

    /// <summary>Whether <paramref name="instant"/> falls inside the window (a start today, or one yesterday that runs past midnight).</summary>
    public bool Contains(DateTimeOffset instant)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        foreach (var daysBack in (int[])[0, 1])
        {
            var day = local.Date.AddDays(-daysBack);
            if (!Days.Contains(day.DayOfWeek))
                continue;
            var start = day + Start.ToTimeSpan();
            if (local >= start && local < start + Duration)
                return true;
        }
        return false;
    }

    /// <summary>"Mon, Wed 02:00–04:00 Europe/Rome".</summary>
    public string Describe()
    {
        var end = Start.Add(Duration);
        return $"{string.Join(", ", Days.Select(d => d.ToString()[..3]))} {Start:HH\\:mm}–{end:HH\\:mm} {TimeZone}";
    }
}
