namespace EdgePortal.Core.Domain;

/// <summary>When a schedule fires: once at an instant, or on a cron expression read in a time zone.</summary>
public enum ScheduleKind
{
    OneShot,
    Cron,
}

/// <summary>What a schedule moves.</summary>
public enum ScheduleTargetKind
{
    /// <summary>One service.</summary>
    Service,
    /// <summary>Every service whose labels include all of the selector's pairs.</summary>
    LabelSelector,
    /// <summary>Every service on one node: a drain.</summary>
    Node,
}

/// <summary>What a schedule does about a firing it missed (EdgePortal was down, or the scheduler was busy).</summary>
public enum MisfirePolicy
{
    /// <summary>Run once, late, as soon as possible (however many firings were missed).</summary>
    RunOnceLate,
    /// <summary>Skip the missed firing and record that it was skipped; wait for the next one.</summary>
    Skip,
}

/// <summary>The services a schedule acts on.</summary>
public sealed record ScheduleTarget
{
    public ScheduleTarget(ScheduleTargetKind kind, ServiceId? serviceId = null, IReadOnlyDictionary<string, string>? labels = null, NodeId? nodeId = null)
    {
        switch (kind)
        {
            case ScheduleTargetKind.Service when serviceId is null:
                throw new ArgumentException("A service target needs a service id.", nameof(serviceId));
            case ScheduleTargetKind.LabelSelector when labels is null || labels.Count == 0:
                throw new ArgumentException("A label selector needs at least one label.", nameof(labels));
            case ScheduleTargetKind.Node when nodeId is null:
                throw new ArgumentException("A node target needs a node id.", nameof(nodeId));
        }
        Kind = kind;
        ServiceId = kind == ScheduleTargetKind.Service ? serviceId : null;
        Labels = kind == ScheduleTargetKind.LabelSelector ? labels : null;
        NodeId = kind == ScheduleTargetKind.Node ? nodeId : null;
    }

    public ScheduleTargetKind Kind { get; }
    public ServiceId? ServiceId { get; }
    public IReadOnlyDictionary<string, string>? Labels { get; }
    public NodeId? NodeId { get; }

    public static ScheduleTarget ForService(ServiceId service) => new(ScheduleTargetKind.Service, serviceId: service);
    public static ScheduleTarget ForLabels(IReadOnlyDictionary<string, string> labels) => new(ScheduleTargetKind.LabelSelector, labels: labels);
    public static ScheduleTarget ForNode(NodeId node) => new(ScheduleTargetKind.Node, nodeId: node);

    /// <summary>Whether a service matches this target (a node target matches what runs on the node).</summary>
    public bool Matches(ServiceInstance service) => Kind switch
    {
        ScheduleTargetKind.Service => service.Id == ServiceId,
        ScheduleTargetKind.LabelSelector => Labels!.All(l => service.Labels.TryGetValue(l.Key, out var v) && v == l.Value),
        ScheduleTargetKind.Node => service.NodeId == NodeId,
        _ => false,
    };

    /// <summary>The selector as written: <c>app=leaderboard,tier=interactive</c>.</summary>
    public static string FormatLabels(IReadOnlyDictionary<string, string> labels) => string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));

    /// <summary>Reads <c>key=value[,key=value]</c>; null with a reason when it is not that.</summary>
    public static IReadOnlyDictionary<string, string>? ParseLabels(string? text, out string? error)
    {
        error = null;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
            {
                error = $"'{InputLimits.Echo(part)}' is not key=value.";
                return null;
            }
            var (key, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (key.Length > InputLimits.Label || value.Length > InputLimits.Label)
            {
                error = $"'{InputLimits.Echo(part)}': a label's key and value are at most {InputLimits.Label} characters each.";
                return null;
            }
            labels[key] = value;
            if (labels.Count > InputLimits.LabelCount)
            {
                error = $"at most {InputLimits.LabelCount} labels.";
                return null;
            }
        }
        if (labels.Count == 0)
            error = "A label selector needs at least one key=value pair.";
        return labels.Count == 0 ? null : labels;
    }
}

/// <summary>
/// A planned migration: when (one-shot, or cron in a time zone), what (a service, a label selector, a node),
/// with which KPI targets and objective (null: each service's own), paused or not, and what to do about a
/// missed firing. LiteDB holds schedules; the scheduler is told about them at start-up and on every change.
/// Changes go through the methods below, each of which validates and stamps the change.
/// <para>
/// A schedule fires unattended, so like the KPI monitor it can be held to the clusters' maintenance windows
/// (<see cref="RespectMaintenanceWindows"/>): a timed firing then migrates only the services whose cluster is inside a
/// window and records the others as deferred. "Run now" is a person acting, and is never held back.
/// </para>
/// </summary>
public sealed record Schedule
{
    public Schedule(ScheduleId id, string name, ScheduleKind kind, DateTimeOffset? runAt, string? cron, string timeZone,
        ScheduleTarget target, KpiTargets? targets, Objective? objective, bool paused, MisfirePolicy misfire,
        DateTimeOffset createdAt, DateTimeOffset updatedAt, string createdBy, TenantId? tenantId = null, bool respectMaintenanceWindows = false)
    {
        TenantId = tenantId;
        RespectMaintenanceWindows = respectMaintenanceWindows;
        if (kind == ScheduleKind.OneShot && runAt is null)
            throw new ArgumentException("A one-shot schedule needs runAt.", nameof(runAt));
        if (kind == ScheduleKind.Cron && string.IsNullOrWhiteSpace(cron))
            throw new ArgumentException("A cron schedule needs a cron expression.", nameof(cron));
        Id = id;
        Name = Guard.Name(name, nameof(name));
        Kind = kind;
        RunAt = kind == ScheduleKind.OneShot ? runAt : null;
        Cron = kind == ScheduleKind.Cron ? cron!.Trim() : null;
        TimeZone = Guard.Name(timeZone, nameof(timeZone));
        Target = target ?? throw new ArgumentNullException(nameof(target));
        Targets = targets;
        Objective = objective;
        Paused = paused;
        Misfire = misfire;
        CreatedAt = createdAt;
        UpdatedAt = updatedAt;
        CreatedBy = Guard.Name(createdBy, nameof(createdBy));
    }

    public ScheduleId Id { get; }
    /// <summary>The tenant whose rights the schedule acts with (its services only, its quotas); null for a provider schedule.</summary>
    public TenantId? TenantId { get; }
    public string Name { get; }
    public ScheduleKind Kind { get; }
    public DateTimeOffset? RunAt { get; }
    public string? Cron { get; }
    /// <summary>IANA (or Windows) id of the zone the cron expression is read in, e.g. Europe/Rome.</summary>
    public string TimeZone { get; }
    public ScheduleTarget Target { get; }
    public KpiTargets? Targets { get; }
    public Objective? Objective { get; }
    public bool Paused { get; }
    public MisfirePolicy Misfire { get; }
    /// <summary>Timed firings start migrations only on clusters inside a maintenance window (schedules stored before this existed: false).</summary>
    public bool RespectMaintenanceWindows { get; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset UpdatedAt { get; }
    public string CreatedBy { get; }

    public Schedule Pause(DateTimeOffset now) => Paused ? this : With(paused: true, now: now);

    public Schedule Resume(DateTimeOffset now) => Paused ? With(paused: false, now: now) : this;

    /// <summary>The same schedule (id, creation) with new settings.</summary>
    public Schedule Edit(string name, ScheduleKind kind, DateTimeOffset? runAt, string? cron, string timeZone, ScheduleTarget target,
        KpiTargets? targets, Objective? objective, MisfirePolicy misfire, bool respectMaintenanceWindows, DateTimeOffset now)
        => new(Id, name, kind, runAt, cron, timeZone, target, targets, objective, Paused, misfire, CreatedAt, now, CreatedBy, TenantId, respectMaintenanceWindows);

    private Schedule With(bool paused, DateTimeOffset now)
        => new(Id, Name, Kind, RunAt, Cron, TimeZone, Target, Targets, Objective, paused, Misfire, CreatedAt, now, CreatedBy, TenantId, RespectMaintenanceWindows);
}

/// <summary>How a firing of a schedule ended.</summary>
public enum ScheduleRunOutcome
{
    /// <summary>Every targeted service got a migration (or the drain started).</summary>
    Started,
    /// <summary>Some targeted services got a migration, others could not (see the detail).</summary>
    PartlyStarted,
    /// <summary>Nothing matched the target, or everything already ran where it should.</summary>
    NothingToDo,
    /// <summary>No migration could be started.</summary>
    Failed,
    /// <summary>A missed firing the schedule's misfire policy said to skip.</summary>
    SkippedMisfire,
    /// <summary>Every targeted service's cluster was outside its maintenance windows; nothing started (the schedule respects them).</summary>
    OutsideWindows,
}

/// <summary>One firing of a schedule and what it did.</summary>
public sealed record ScheduleRun(
    ScheduleRunId Id,
    ScheduleId ScheduleId,
    string ScheduleName,
    DateTimeOffset? ScheduledFor,
    DateTimeOffset FiredAt,
    bool Manual,
    bool Late,
    ScheduleRunOutcome Outcome,
    string Detail,
    IReadOnlyList<MigrationId> Migrations,
    DrainId? Drain);
