namespace EdgePortal.Runtime.Kubernetes;

/// <summary>The labels and annotations EdgePortal reads and writes on pods and Services.</summary>
public static class KubernetesLabels
{
    /// <summary>On every pod of a managed service: the EdgePortal service name. The Service is named the same.</summary>
    public const string Service = "edgeportal.io/service";

    /// <summary>
    /// On every pod of a managed service: the id of the tenant that owns it. Every lookup selects on it with the service
    /// name, so tenant A's <c>api</c> never finds tenant B's <c>api</c> on the same node (issue 14 item 8).
    /// </summary>
    public const string Tenant = "edgeportal.io/tenant";

    /// <summary>On a pod restored by a migration: the migration id (the target pod, until it serves; rollback deletes these).</summary>
    public const string Migration = "edgeportal.io/migration";

    /// <summary>On a restored pod: <c>target</c> until traffic switches to it, then <c>serving</c>.</summary>
    public const string Role = "edgeportal.io/role";

    /// <summary>On a source pod that traffic left: the migration that retired it.</summary>
    public const string RetiredBy = "edgeportal.io/retired-by";

    /// <summary>On a pod: which container to checkpoint when it has several.</summary>
    public const string Container = "edgeportal.io/container";

    /// <summary>On a restored pod: the pod it was restored from.</summary>
    public const string RestoredFrom = "edgeportal.io/restored-from";

    /// <summary>On a restored pod: the labels it withholds until the switch (JSON), those of the Service's selector and of its owner's.</summary>
    public const string Withheld = "edgeportal.io/withheld-labels";

    /// <summary>On a restored pod of an owned workload: <c>Kind/name</c> of the controller that adopts it at the switch.</summary>
    public const string Owner = "edgeportal.io/owner";

    /// <summary>
    /// Added to a Service's selector from the drain before the checkpoint until the clean-up, and carried by every pod that
    /// serves meanwhile: the source, without it, is out of the endpoints and cannot accept a write its checkpoint misses.
    /// </summary>
    public const string InService = "edgeportal.io/in-service";

    /// <summary>On a Service being migrated: when its source left the endpoints (RFC 3339, ms), the start of the interruption.</summary>
    public const string DrainedAt = "edgeportal.io/drained-at";

    /// <summary>On a Service: the node that serves it, and the migration that put it there.</summary>
    public const string ServingNode = "edgeportal.io/serving-node";

    public const string LastMigration = "edgeportal.io/last-migration";
}
