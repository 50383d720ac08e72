using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Security;

/// <summary>What the audit log records; the names are stable (they are filtered on and exported).</summary>
public static class AuditActions
{
    public const string LoginSucceeded = "login.succeeded";
    public const string LoginFailed = "login.failed";
    /// <summary>Written by older versions, which locked accounts; sign-ins are now delayed instead (<see cref="LoginThrottled"/>).</summary>
    public const string LoginLockedOut = "login.locked-out";
    /// <summary>A sign-in refused unchecked because it came too early after failed ones.</summary>
    public const string LoginThrottled = "login.throttled";
    public const string Logout = "logout";
    public const string Plan = "migration.plan";
    public const string Start = "migration.start";
    public const string Cancel = "migration.cancel";
    public const string ScheduleCreate = "schedule.create";
    public const string ScheduleUpdate = "schedule.update";
    public const string ScheduleDelete = "schedule.delete";
    public const string SchedulePause = "schedule.pause";
    public const string ScheduleResume = "schedule.resume";
    public const string ScheduleRunNow = "schedule.run-now";
    public const string UserCreate = "user.create";
    public const string UserChange = "user.change";
    public const string UserDelete = "user.delete";
    public const string KeyCreate = "apikey.create";
    public const string KeyRevoke = "apikey.revoke";
    public const string TenantCreate = "tenant.create";
    public const string TenantChange = "tenant.change";
    public const string CalibrationSave = "calibration.save";
    public const string ClusterRegister = "cluster.register";
    public const string NodeRetire = "node.retire";
    public const string NodeDrain = "node.drain";
    public const string NodeUncordon = "node.uncordon";
    public const string WindowCreate = "window.create";
    public const string WindowUpdate = "window.update";
    public const string WindowDelete = "window.delete";
    /// <summary>A bearer token that is no API key (unknown, expired, revoked); recorded rate-limited per address.</summary>
    public const string KeyRefused = "apikey.refused";
    /// <summary>Old history was pruned by its retention setting (the detail says how much of which kind).</summary>
    public const string HistoryPrune = "history.prune";

    public static IReadOnlyList<string> All { get; } =
    [
        LoginSucceeded, LoginFailed, LoginLockedOut, LoginThrottled, Logout, Plan, Start, Cancel, ScheduleCreate, ScheduleUpdate, ScheduleDelete,
        SchedulePause, ScheduleResume, ScheduleRunNow, UserCreate, UserChange, UserDelete, KeyCreate, KeyRevoke, TenantCreate, TenantChange,
        CalibrationSave, ClusterRegister, NodeRetire, NodeDrain, NodeUncordon, WindowCreate, WindowUpdate, WindowDelete, KeyRefused, HistoryPrune,
    ];
}

/// <summary>
/// One audit record: who did what, when, to what, within which tenant (null: provider-wide), and whether it was allowed. The
/// log links each entry to the one before (<see cref="AuditChain"/>): <see cref="Sequence"/>, <see cref="PreviousHash"/> and
/// <see cref="Hash"/> are set when it is appended, never by whoever records it.
/// </summary>
public sealed record AuditEntry
{
    public required Guid Id { get; init; }
    public required DateTimeOffset At { get; init; }
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public string Target { get; init; } = "";
    public string Detail { get; init; } = "";
    public Guid? TenantId { get; init; }
    public bool Succeeded { get; init; } = true;

    /// <summary>1, 2, 3… in the order the log took the entries; 0 until appended.</summary>
    public long Sequence { get; init; }

    /// <summary>The <see cref="Hash"/> of the entry before (<see cref="AuditChain.Genesis"/> for the first).</summary>
    public string PreviousHash { get; init; } = "";

    /// <summary>SHA-256 (hex) over this entry's content and <see cref="PreviousHash"/>.</summary>
    public string Hash { get; init; } = "";
}

/// <summary>
/// A filter over the audit log; every field optional. Newest first (time, then id), at most <see cref="Limit"/>, older
/// than <see cref="Before"/> when it continues a page.
/// </summary>
public sealed record AuditQuery(
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Actor = null,
    string? Action = null,
    TenantId? Tenant = null,
    int Limit = 500,
    HistoryCursor? Before = null)
{
    public static HistoryCursor CursorOf(AuditEntry entry) => HistoryCursor.At(entry.At, entry.Id);
}

/// <summary>
/// Append-only and hash-chained: entries are added and read, never changed or removed (but by retention, oldest first).
/// A provider appends atomically, even across replicas: it takes the head (highest <see cref="AuditEntry.Sequence"/>) and
/// stores <see cref="AuditChain.Link"/> of the new entry to it under one lock or transaction, so that two appends never get one
/// sequence number (a unique index on the sequence backs that up).
/// </summary>
public interface IAuditLog
{
    /// <summary>Links <paramref name="entry"/> to the head and stores it; returns it as stored (with sequence and hashes).</summary>
    AuditEntry Append(AuditEntry entry);

    IReadOnlyList<AuditEntry> Query(AuditQuery query);

    /// <summary>Up to <paramref name="limit"/> entries with a sequence above <paramref name="afterSequence"/>, in sequence order (for verification).</summary>
    IReadOnlyList<AuditEntry> Chain(long afterSequence, int limit);
}
