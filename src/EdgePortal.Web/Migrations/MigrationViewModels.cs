using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Migrations;

/// <summary>A migration as the API and the pages show it: the aggregate plus the figures derived from it.</summary>
public sealed record MigrationViewModel
{
    public required MigrationId Id { get; init; }
    public required TenantId TenantId { get; init; }
    public required ServiceId ServiceId { get; init; }
    public required string ServiceName { get; init; }
    public required ClusterId ClusterId { get; init; }
    public required MigrationState State { get; init; }
    public required MigrationStrategy Strategy { get; init; }
    public required NodeId Source { get; init; }
    public required NodeId Destination { get; init; }
    public required MigrationTrigger Trigger { get; init; }
    public required string RequestedBy { get; init; }
    public required KpiTargets Targets { get; init; }
    public required Objective Objective { get; init; }
    public required MigrationPlan Plan { get; init; }
    public required IReadOnlyList<MigrationStep> Steps { get; init; }
    public required double Progress { get; init; }
    public required double PredictedDowntimeMs { get; init; }
    public required double PredictedMigrationTimeMs { get; init; }
    /// <summary>When it is predicted to start: acceptance plus its wait for a slot and for bandwidth (<see cref="MigrationPlan.PredictedStartMs"/>).</summary>
    public required DateTimeOffset PredictedStartAt { get; init; }
    /// <summary>From acceptance to the end, waits included: what a queued migration's user should expect.</summary>
    public required double PredictedCompletionMs { get; init; }
    /// <summary>The bandwidth it holds on each link of its path while it is not finished.</summary>
    public required IReadOnlyList<LinkReservation> Reservations { get; init; }
    public double? MeasuredDowntimeMs { get; init; }
    public double? MeasuredMigrationTimeMs { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? FailureReason { get; init; }
    public int? FailedStep { get; init; }
    /// <summary>For a queued migration: what it waits for.</summary>
    public string? WaitingFor { get; init; }
    /// <summary>The batch it was planned with (<c>GET /api/v1/batches/{id}</c>, the page <c>/batches/{id}</c>), or null when it was requested alone.</summary>
    public BatchId? BatchId { get; init; }
    public required long Version { get; init; }

    public static MigrationViewModel From(Migration m, string? waitingFor = null) => new()
    {
        Id = m.Id,
        TenantId = m.TenantId,
        ServiceId = m.ServiceId,
        ServiceName = m.ServiceName,
        ClusterId = m.ClusterId,
        BatchId = m.BatchId,
        State = m.State,
        Strategy = m.Strategy,
        Source = m.Source,
        Destination = m.Destination,
        Trigger = m.Trigger,
        RequestedBy = m.RequestedBy,
        Targets = m.Targets,
        Objective = m.Objective,
        Plan = m.Plan,
        Steps = m.Steps,
        Progress = m.Progress,
        PredictedDowntimeMs = m.Plan.PredictedDowntimeMs,
        PredictedMigrationTimeMs = m.Plan.PredictedMigrationTimeMs,
        PredictedStartAt = m.CreatedAt.AddMilliseconds(m.Plan.PredictedStartMs),
        PredictedCompletionMs = m.Plan.PredictedCompletionMs,
        Reservations = m.Reservations,
        MeasuredDowntimeMs = m.MeasuredDowntimeMs,
        MeasuredMigrationTimeMs = m.MeasuredMigrationTimeMs,
        CreatedAt = m.CreatedAt,
        StartedAt = m.StartedAt,
        FinishedAt = m.FinishedAt,
        FailureReason = m.FailureReason,
        FailedStep = m.FailedStep,
        WaitingFor = m.State == MigrationState.Queued ? waitingFor : null,
        Version = m.Version,
    };
}
