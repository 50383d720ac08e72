using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using k8s;
using k8s.Models;

namespace EdgePortal.Web.Kubernetes;

/// <summary>What the controller writes to an EdgeMigration's status: the migration as it stands, or why it could not start.</summary>
public static class EdgeMigrationStatuses
{
    public const string Pending = "Pending";
    public const string Refused = "Refused";

    /// <summary>Condition types: whether the portal started the migration, and how it ended.</summary>
    public const string Accepted = "Accepted";
    public const string Succeeded = "Succeeded";
    public const string Deleting = "Deleting";

    /// <summary>The status of a resource whose migration is <paramref name="migration"/>.</summary>
    public static EdgeMigrationStatus Of(EdgeMigration resource, Migration migration, string cluster, IInventoryRepository inventory,
        DateTimeOffset now, string? deleting = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(migration);
        ArgumentNullException.ThrowIfNull(inventory);
        var old = resource.Status?.Conditions;
        var (completed, reason, message) = migration.State switch
        {
            MigrationState.Completed => ("True", "Completed", $"Completed in {Duration(migration.MeasuredMigrationTimeMs ?? 0)} with {Duration(migration.MeasuredDowntimeMs ?? 0)} of downtime (predicted {Duration(migration.Plan.PredictedDowntimeMs)})."),
            MigrationState.RolledBack or MigrationState.Cancelled or MigrationState.Failed => ("False", migration.State.ToString(), migration.FailureReason ?? migration.State.ToString()),
            _ => ("Unknown", migration.State.ToString(), $"Migration {migration.Id} is {migration.State}."),
        };
        var conditions = new List<V1Condition>
        {
            Condition(old, Accepted, "True", "Started", $"Migration {migration.Id} of {migration.ServiceName}: {migration.Plan.Strategy} from {NodeName(inventory, migration.Source)} to {NodeName(inventory, migration.Destination)}.", resource, now),
            Condition(old, Succeeded, completed, reason, message, resource, now),
        };
        if (deleting is not null)
            conditions.Add(Condition(old, Deleting, "True", "CancelRequested", deleting, resource, now));
        return new EdgeMigrationStatus
        {
            Phase = migration.State.ToString(),
            ObservedGeneration = resource.Generation(),
            MigrationId = migration.Id.ToString(),
            Cluster = cluster,
            Strategy = migration.Plan.Strategy.ToString(),
            Source = NodeName(inventory, migration.Source),
            Destination = NodeName(inventory, migration.Destination),
            Rationale = Clip(migration.Plan.Rationale, 4000),
            PredictedDowntimeMs = Math.Round(migration.Plan.PredictedDowntimeMs, 3),
            MeasuredDowntimeMs = migration.MeasuredDowntimeMs is { } d ? Math.Round(d, 3) : null,
            Downtime = migration.MeasuredDowntimeMs is { } measured ? Duration(measured) : $"~{Duration(migration.Plan.PredictedDowntimeMs)} predicted",
            StartedAt = migration.StartedAt?.UtcDateTime,
            FinishedAt = migration.FinishedAt?.UtcDateTime,
            FailureReason = migration.FailureReason is { } f ? Clip(f, 4000) : null,
            Steps = [.. migration.Steps.Take(200).Select(s => new EdgeMigrationStepStatus
            {
                Name = Clip(s.Label, 100),
                Status = s.Status.ToString(),
                Downtime = s.IsDowntime,
                PredictedMs = Math.Round(s.PredictedMs, 3),
                MeasuredMs = s.MeasuredMs is { } m ? Math.Round(m, 3) : null,
                StartedAt = s.StartedAt?.UtcDateTime,
                FinishedAt = s.FinishedAt?.UtcDateTime,
                Message = s.Message is { } text ? Clip(text, 4000) : null,
            })],
            Conditions = conditions,
        };
    }

    /// <summary>
    /// The status of a resource the portal did not start: <see cref="Refused"/> for good (a bad spec, a service that does not
    /// exist, no plan), or <see cref="Pending"/> when trying again may succeed (a migration of the service is running, the
    /// tenant is at its quota).
    /// </summary>
    public static EdgeMigrationStatus NotStarted(EdgeMigration resource, string cluster, bool final, string reason, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return new EdgeMigrationStatus
        {
            Phase = final ? Refused : Pending,
            ObservedGeneration = resource.Generation(),
            Cluster = cluster,
            Rationale = Clip(message, 4000),
            Conditions = [Condition(resource.Status?.Conditions, Accepted, "False", reason, Clip(message, 32768), resource, now)],
        };
    }

    /// <summary>Whether two statuses say the same (a write that changes nothing is not sent).</summary>
    public static bool Same(EdgeMigrationStatus? a, EdgeMigrationStatus? b) =>
        a is null || b is null ? a is null && b is null : KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b);

    /// <summary>A condition; its transition time is kept while its status does not change, as <c>meta.SetStatusCondition</c> does.</summary>
    private static V1Condition Condition(IList<V1Condition>? old, string type, string status, string reason, string message, EdgeMigration resource, DateTimeOffset now)
    {
        var previous = old?.FirstOrDefault(c => c.Type == type);
        return new V1Condition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = resource.Generation(),
            LastTransitionTime = previous is not null && previous.Status == status && previous.LastTransitionTime is { } kept ? kept : now.UtcDateTime,
        };
    }

    /// <summary>312 ms, 1.25 s: how kubectl shows the downtime column.</summary>
    public static string Duration(double ms) => ms < 1000
        ? $"{Math.Round(ms).ToString(CultureInfo.InvariantCulture)} ms"
        : $"{(ms / 1000).ToString("0.##", CultureInfo.InvariantCulture)} s";

    private static string NodeName(IInventoryRepository inventory, NodeId id) => inventory.FindNode(id)?.Name ?? id.ToString();

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
