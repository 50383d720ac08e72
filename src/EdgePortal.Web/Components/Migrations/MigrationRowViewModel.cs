using EdgePortal.Core.Domain;
using EdgePortal.Web.Migrations;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>One migration as a row of a list: what it moves, from where to where, how far it got, at what downtime.</summary>
public sealed record MigrationRowViewModel
{
    public required MigrationId Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required ServiceId ServiceId { get; init; }
    public required string ServiceName { get; init; }
    public required TenantId TenantId { get; init; }
    public required string TenantName { get; init; }
    public required ClusterId ClusterId { get; init; }
    public required string ClusterName { get; init; }
    public required MigrationStrategy Strategy { get; init; }
    public required MigrationState State { get; init; }
    public required MigrationTrigger Trigger { get; init; }
    public required string RequestedBy { get; init; }
    public required NodeId Source { get; init; }
    public required string SourceName { get; init; }
    public required NodeId Destination { get; init; }
    public required string DestinationName { get; init; }
    /// <summary>Fraction of the steps that succeeded, 0..1.</summary>
    public required double Progress { get; init; }
    public required int StepsDone { get; init; }
    public required int StepCount { get; init; }
    /// <summary>The step running now, when one is.</summary>
    public string? CurrentStep { get; init; }
    public required double PredictedDowntimeMs { get; init; }
    public double? MeasuredDowntimeMs { get; init; }
    public required double TargetDowntimeMs { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>For a queued migration: what it waits for.</summary>
    public string? WaitingFor { get; init; }
    public required long Version { get; init; }

    public bool IsInFlight => State is MigrationState.Running or MigrationState.RollingBack;

    public static MigrationRowViewModel From(MigrationViewModel m, InventoryNames names)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(names);
        return new MigrationRowViewModel
        {
            Id = m.Id,
            CreatedAt = m.CreatedAt,
            ServiceId = m.ServiceId,
            ServiceName = m.ServiceName,
            TenantId = m.TenantId,
            TenantName = names.Tenant(m.TenantId),
            ClusterId = m.ClusterId,
            ClusterName = names.Cluster(m.ClusterId),
            Strategy = m.Strategy,
            State = m.State,
            Trigger = m.Trigger,
            RequestedBy = m.RequestedBy,
            Source = m.Source,
            SourceName = names.Node(m.Source),
            Destination = m.Destination,
            DestinationName = names.Node(m.Destination),
            Progress = m.Progress,
            StepsDone = m.Steps.Count(s => s.Status == StepStatus.Succeeded),
            StepCount = m.Steps.Count,
            CurrentStep = m.Steps.FirstOrDefault(s => s.Status == StepStatus.Running)?.Label,
            PredictedDowntimeMs = m.PredictedDowntimeMs,
            MeasuredDowntimeMs = m.MeasuredDowntimeMs,
            TargetDowntimeMs = m.Targets.MaxDowntimeMs,
            FinishedAt = m.FinishedAt,
            WaitingFor = m.WaitingFor,
            Version = m.Version,
        };
    }
}
