using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.EdgeMigrations;

/// <summary>
/// The EdgeMigration custom resource (<c>edgeportal.io/v1alpha1</c>, <c>deploy/base/crd-edgemigration.yaml</c>): a migration
/// declared in a managed cluster. The portal's controller starts it and writes its progress to <see cref="Status"/>.
/// </summary>
public sealed class EdgeMigration : IKubernetesObject<V1ObjectMeta>, ISpec<EdgeMigrationSpec>, IStatus<EdgeMigrationStatus?>
{
    public const string Group = "edgeportal.io";
    public const string Version = "v1alpha1";
    public const string Plural = "edgemigrations";
    public const string KindName = "EdgeMigration";
    public const string GroupVersion = Group + "/" + Version;

    /// <summary>Kept while the portal may still write the migration's history to the resource; removed once it is terminal.</summary>
    public const string Finalizer = "edgeportal.io/migration-history";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public EdgeMigrationSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public EdgeMigrationStatus? Status { get; set; }
}

/// <summary>A list of <see cref="EdgeMigration"/>s as the API server answers a list.</summary>
public sealed class EdgeMigrationList : IKubernetesObject<V1ListMeta>, IItems<EdgeMigration>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = EdgeMigration.GroupVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "EdgeMigrationList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<EdgeMigration> Items { get; set; } = [];
}

/// <summary>What to migrate; what the REST start (<c>POST /api/v1/migrations</c>) takes, with the service and the node by name.</summary>
public sealed class EdgeMigrationSpec
{
    [JsonPropertyName("service")]
    public string? Service { get; set; }

    [JsonPropertyName("tenant")]
    public string? Tenant { get; set; }

    [JsonPropertyName("destinationNode")]
    public string? DestinationNode { get; set; }

    [JsonPropertyName("targets")]
    public EdgeMigrationTargets? Targets { get; set; }

    [JsonPropertyName("objective")]
    public string? Objective { get; set; }

    [JsonPropertyName("strategy")]
    public string? Strategy { get; set; }

    [JsonPropertyName("iterations")]
    public int? Iterations { get; set; }

    [JsonPropertyName("acceptTargetMiss")]
    public bool? AcceptTargetMiss { get; set; }
}

public sealed class EdgeMigrationTargets
{
    [JsonPropertyName("maxDowntimeMs")]
    public double? MaxDowntimeMs { get; set; }

    [JsonPropertyName("maxMigrationTimeMs")]
    public double? MaxMigrationTimeMs { get; set; }

    [JsonPropertyName("maxUserLatencyMs")]
    public double? MaxUserLatencyMs { get; set; }
}

/// <summary>The migration as the portal last wrote it.</summary>
public sealed class EdgeMigrationStatus
{
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("migrationId")]
    public string? MigrationId { get; set; }

    [JsonPropertyName("cluster")]
    public string? Cluster { get; set; }

    [JsonPropertyName("strategy")]
    public string? Strategy { get; set; }

    [JsonPropertyName("source")]
    public string? Source { get; set; }

    [JsonPropertyName("destination")]
    public string? Destination { get; set; }

    [JsonPropertyName("rationale")]
    public string? Rationale { get; set; }

    [JsonPropertyName("predictedDowntimeMs")]
    public double? PredictedDowntimeMs { get; set; }

    [JsonPropertyName("measuredDowntimeMs")]
    public double? MeasuredDowntimeMs { get; set; }

    [JsonPropertyName("downtime")]
    public string? Downtime { get; set; }

    [JsonPropertyName("startedAt")]
    public DateTime? StartedAt { get; set; }

    [JsonPropertyName("finishedAt")]
    public DateTime? FinishedAt { get; set; }

    [JsonPropertyName("failureReason")]
    public string? FailureReason { get; set; }

    [JsonPropertyName("steps")]
    public IList<EdgeMigrationStepStatus>? Steps { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>One step: the plan's prediction beside what was measured.</summary>
public sealed class EdgeMigrationStepStatus
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("status")]
    public string Status { get; set; } = "";

    [JsonPropertyName("downtime")]
    public bool? Downtime { get; set; }

    [JsonPropertyName("predictedMs")]
    public double PredictedMs { get; set; }

    [JsonPropertyName("measuredMs")]
    public double? MeasuredMs { get; set; }

    [JsonPropertyName("startedAt")]
    public DateTime? StartedAt { get; set; }

    [JsonPropertyName("finishedAt")]
    public DateTime? FinishedAt { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}
