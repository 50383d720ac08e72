using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

/// <summary>
/// Something that happened to a migration. <see cref="Sequence"/> orders a migration's events
/// (it is the aggregate's version after the change), so a subscriber can detect a gap or a repeat.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(MigrationQueued), "queued")]
[JsonDerivedType(typeof(MigrationStarted), "started")]
[JsonDerivedType(typeof(StepStarted), "stepStarted")]
[JsonDerivedType(typeof(StepCompleted), "stepCompleted")]
[JsonDerivedType(typeof(StepFailed), "stepFailed")]
[JsonDerivedType(typeof(StepRetrying), "stepRetrying")]
[JsonDerivedType(typeof(MigrationResumed), "resumed")]
[JsonDerivedType(typeof(RollbackStarted), "rollbackStarted")]
[JsonDerivedType(typeof(MigrationFinished), "finished")]
public abstract record MigrationEvent(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence);

public sealed record MigrationQueued(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    MigrationStrategy Strategy, NodeId Source, NodeId Destination) : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record MigrationStarted(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence)
    : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record StepStarted(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    int Index, StepKind Kind, int Round, bool IsDowntime, double PredictedMs) : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record StepCompleted(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    int Index, StepKind Kind, int Round, bool IsDowntime, double PredictedMs, double MeasuredMs, string? Message)
    : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record StepFailed(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    int Index, StepKind Kind, string Error) : MigrationEvent(MigrationId, TenantId, At, Sequence);

/// <summary>Attempt <paramref name="Attempt"/> of a step failed with an error the runtime expects to pass; it runs again after the wait.</summary>
public sealed record StepRetrying(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    int Index, StepKind Kind, int Attempt, string Error, double RetryAfterMs) : MigrationEvent(MigrationId, TenantId, At, Sequence);

/// <summary>A migration left in flight by a stopped process continues from step <paramref name="NextStep"/>.</summary>
public sealed record MigrationResumed(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence, int NextStep, string Reason)
    : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record RollbackStarted(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence, string Reason)
    : MigrationEvent(MigrationId, TenantId, At, Sequence);

public sealed record MigrationFinished(MigrationId MigrationId, TenantId TenantId, DateTimeOffset At, long Sequence,
    MigrationState State, string? Message, double? MeasuredDowntimeMs, double? MeasuredMigrationTimeMs)
    : MigrationEvent(MigrationId, TenantId, At, Sequence);
