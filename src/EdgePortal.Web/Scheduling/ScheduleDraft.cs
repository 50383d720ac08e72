using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;

namespace EdgePortal.Web.Scheduling;

/// <summary>
/// A schedule as a form or a request body holds it: loose strings and optionals. <see cref="TryBuild"/> checks every
/// field (cron and time zone by the scheduler's own rules) and names each bad one, so the API and the page say the same thing.
/// </summary>
public sealed class ScheduleDraft
{
    public string? Name { get; set; }
    public ScheduleKind Kind { get; set; } = ScheduleKind.Cron;
    public DateTimeOffset? RunAt { get; set; }
    public string? Cron { get; set; }
    public string? TimeZone { get; set; } = "UTC";
    public ScheduleTargetKind TargetKind { get; set; } = ScheduleTargetKind.Service;
    public Guid? ServiceId { get; set; }
    public string? Labels { get; set; }
    public Guid? NodeId { get; set; }
    public double? MaxDowntimeMs { get; set; }
    public double? MaxMigrationTimeMs { get; set; }
    public double? MaxUserLatencyMs { get; set; }
    public Objective? Objective { get; set; }
    public MisfirePolicy Misfire { get; set; } = MisfirePolicy.RunOnceLate;
    /// <summary>Hold timed firings to the clusters' maintenance windows; on by default, as for every unattended migration.</summary>
    public bool RespectMaintenanceWindows { get; set; } = true;
    public bool Paused { get; set; }

    public static ScheduleDraft From(Schedule s) => new()
    {
        Name = s.Name,
        Kind = s.Kind,
        RunAt = s.RunAt,
        Cron = s.Cron,
        TimeZone = s.TimeZone,
        TargetKind = s.Target.Kind,
        ServiceId = s.Target.ServiceId?.Value,
        Labels = s.Target.Labels is { } l ? ScheduleTarget.FormatLabels(l) : null,
        NodeId = s.Target.NodeId?.Value,
        MaxDowntimeMs = s.Targets?.MaxDowntimeMs,
        MaxMigrationTimeMs = s.Targets?.MaxMigrationTimeMs,
        MaxUserLatencyMs = s.Targets?.MaxUserLatencyMs,
        Objective = s.Objective,
        Misfire = s.Misfire,
        RespectMaintenanceWindows = s.RespectMaintenanceWindows,
        Paused = s.Paused,
    };

    /// <summary>The tenant the schedule acts for (only its services, no node drains); null for the provider. Kept from an edited schedule.</summary>
    public TenantId? Tenant { get; set; }

    /// <summary>How many fire times <see cref="CronProblem"/> looks at for two that come too close.</summary>
    private const int IntervalSample = 500;

    /// <summary>
    /// What is wrong with a cron expression in a time zone, or null: invalid, never firing, or firing twice within less than
    /// <paramref name="minInterval"/> (checked over its next 500 fire times, where any such pattern shows). The page says it
    /// as the user types; <see cref="TryBuild"/> refuses it.
    /// </summary>
    public static string? CronProblem(IScheduleCalendar calendar, string? cron, string? timeZone, DateTimeOffset now, TimeSpan minInterval)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (InputLimits.TooLong("cron", cron, InputLimits.Expression) is { } tooLong)
            return tooLong;
        if (calendar.ValidateCron(cron) is { } cronError)
            return cronError;
        if (calendar.ValidateTimeZone(timeZone) is not null)
            return null;
        var times = calendar.NextFireTimes(cron!, timeZone!, now, IntervalSample);
        if (times.Count == 0)
            return $"'{cron}' never fires after now.";
        for (var i = 1; i < times.Count; i++)
        {
            if (times[i] - times[i - 1] < minInterval)
                return $"'{cron}' fires every {Describe(times[i] - times[i - 1])} at times (e.g. {times[i - 1]:u} and {times[i]:u}); "
                    + $"a schedule may fire at most once every {Describe(minInterval)}.";
        }
        return null;
    }

    private static string Describe(TimeSpan span) => span switch
    {
        { TotalSeconds: < 60 } => $"{span.TotalSeconds:0.#} s",
        { TotalMinutes: < 60 } => $"{span.TotalMinutes:0.#} min",
        _ => $"{span.TotalHours:0.#} h",
    };

    /// <summary>
    /// Builds the schedule (a new one, or <paramref name="existing"/> edited), or fills <paramref name="errors"/> by field name.
    /// A cron expression must not fire more often than once every <paramref name="minCronInterval"/>.
    /// </summary>
    public bool TryBuild(Schedule? existing, IScheduleCalendar calendar, IInventoryRepository inventory, DateTimeOffset now, string createdBy,
        TimeSpan minCronInterval, out Schedule? schedule, out Dictionary<string, string> errors)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(inventory);
        errors = [];
        schedule = null;
        if (string.IsNullOrWhiteSpace(Name))
            errors["name"] = "name is required.";
        else if (InputLimits.TooLong("name", Name.Trim(), InputLimits.Name) is { } nameTooLong)
            errors["name"] = nameTooLong;
        if (InputLimits.TooLong("timeZone", TimeZone, InputLimits.Expression) is { } zoneTooLong)
            errors["timeZone"] = zoneTooLong;
        else if (calendar.ValidateTimeZone(TimeZone) is { } tzError)
            errors["timeZone"] = tzError;
        if (InputLimits.TooLong("target.labels", Labels, InputLimits.FreeText) is { } labelsTooLong)
            errors["target.labels"] = labelsTooLong;
        if (Kind == ScheduleKind.Cron)
        {
            if (CronProblem(calendar, Cron, TimeZone, now, minCronInterval) is { } cronError)
                errors["cron"] = cronError;
        }
        else if (RunAt is null)
            errors["runAt"] = "runAt is required for a one-shot schedule.";
        else if (RunAt <= now && existing?.RunAt != RunAt)
            errors["runAt"] = $"runAt must be in the future (was {RunAt:u}).";

        ScheduleTarget? target = null;
        switch (TargetKind)
        {
            case ScheduleTargetKind.Service when ServiceId is not { } sid:
                errors["target.serviceId"] = "target.serviceId is required for a service target.";
                break;
            case ScheduleTargetKind.Service when inventory.FindService(Core.Domain.ServiceId.From(ServiceId!.Value)) is not { } found
                || (Tenant is { } own && found.TenantId != own):
                errors["target.serviceId"] = $"No service has id {ServiceId}.";
                break;
            case ScheduleTargetKind.Service:
                target = ScheduleTarget.ForService(Core.Domain.ServiceId.From(ServiceId!.Value));
                break;
            case ScheduleTargetKind.LabelSelector when errors.ContainsKey("target.labels"):
                break;
            case ScheduleTargetKind.LabelSelector:
                var labels = ScheduleTarget.ParseLabels(Labels, out var labelError);
                if (labels is null)
                    errors["target.labels"] = $"target.labels: {labelError}";
                else
                    target = ScheduleTarget.ForLabels(labels);
                break;
            case ScheduleTargetKind.Node when Tenant is not null:
                errors["target.kind"] = "A node target drains the node, which is the provider's operation; a tenant's schedule targets services.";
                break;
            case ScheduleTargetKind.Node when NodeId is not { } nid:
                errors["target.nodeId"] = "target.nodeId is required for a node target.";
                break;
            case ScheduleTargetKind.Node when inventory.FindNode(Core.Domain.NodeId.From(NodeId!.Value)) is not { IsRetired: false }:
                errors["target.nodeId"] = $"No node has id {NodeId}.";
                break;
            case ScheduleTargetKind.Node:
                target = ScheduleTarget.ForNode(Core.Domain.NodeId.From(NodeId!.Value));
                break;
        }

        KpiTargets? targets = null;
        var given = new[] { MaxDowntimeMs, MaxMigrationTimeMs, MaxUserLatencyMs };
        if (given.Any(v => v is not null))
        {
            foreach (var (field, value) in new[] { ("maxDowntimeMs", MaxDowntimeMs), ("maxMigrationTimeMs", MaxMigrationTimeMs), ("maxUserLatencyMs", MaxUserLatencyMs) })
            {
                if (value is null)
                    errors[field] = $"{field} is required when any KPI target is given (give all three, or none to use each service's own).";
                else if (!double.IsFinite(value.Value) || value <= 0)
                    errors[field] = $"{field} must be a number > 0 (was {value}).";
            }
            if (!errors.Keys.Any(k => k.StartsWith("max", StringComparison.Ordinal)))
                targets = new KpiTargets(MaxDowntimeMs!.Value, MaxMigrationTimeMs!.Value, MaxUserLatencyMs!.Value);
        }

        if (errors.Count > 0)
            return false;
        schedule = existing is null
            ? new Schedule(ScheduleId.New(), Name!.Trim(), Kind, RunAt, Cron?.Trim(), TimeZone!.Trim(), target!, targets, Objective, Paused, Misfire, now, now, createdBy, Tenant, RespectMaintenanceWindows)
            : existing.Edit(Name!.Trim(), Kind, RunAt, Cron?.Trim(), TimeZone!.Trim(), target!, targets, Objective, Misfire, RespectMaintenanceWindows, now);
        return true;
    }
}
