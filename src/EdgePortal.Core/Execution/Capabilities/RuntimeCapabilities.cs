using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>How a checkpoint's images can travel from the source host to the destination.</summary>
public enum TransferPath
{
    /// <summary>The simulator's model of the path (no bytes move).</summary>
    Model,
    /// <summary>The source agent streams the images to the destination agent over HTTP.</summary>
    AgentStream,
    /// <summary>CRIU's page server: the destination receives pages while the source dumps.</summary>
    PageServer,
    /// <summary>The images are pushed to an OCI registry as a checkpoint image and pulled at the destination.</summary>
    Registry,
}

/// <summary>
/// What a runtime can do on one cluster or one node, as its probe found: the strategies it can execute and the facts they
/// rest on (dirty tracking, pre-dumps, lazy pages, a broker for replay), how images travel, and its limits. The planner
/// reads it (<see cref="NodeCapabilities"/>) so that it never plans what the node pair cannot run.
/// </summary>
public sealed record RuntimeCapabilities
{
    /// <summary>The strategies the runtime can execute here.</summary>
    public required IReadOnlyList<MigrationStrategy> Strategies { get; init; }
    /// <summary>Whether the host tracks dirty pages (soft-dirty bits, CRIU's mem_dirty_track): pre-copy rounds need it at the source.</summary>
    public bool DirtyTracking { get; init; }
    /// <summary>Whether the runtime can take iterative pre-dumps at all (the kubelet checkpoint API cannot).</summary>
    public bool PreDump { get; init; }
    /// <summary>Whether restores can fault pages in lazily (userfaultfd, <c>criu lazy-pages</c>).</summary>
    public bool LazyPages { get; init; }
    /// <summary>Whether a message broker is at hand for MessageReplay / ReplayWithCutoff.</summary>
    public bool ReplayBroker { get; init; }
    /// <summary>How images travel from source to destination.</summary>
    public IReadOnlyList<TransferPath> TransferPaths { get; init; } = [];
    /// <summary>The largest checkpoint image the path takes (a body cap, a registry's limit); null when unbounded.</summary>
    public long? MaxImageBytes { get; init; }
    /// <summary>How many migrations the runtime runs at once here; null when only the engine's limits apply.</summary>
    public int? MaxConcurrentMigrations { get; init; }
    /// <summary>What the probe said besides (CRIU's version, why a host did not answer); null when nothing.</summary>
    public string? Detail { get; init; }
    /// <summary>
    /// The other clusters of the same kind this cluster's migrations may go to, by name; null: any (the runtime needs nothing
    /// shared between them). Kubernetes: the clusters with a registry both reach. An input of the planner; the clusters'
    /// page and API say it in <see cref="Detail"/>.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string>? Peers { get; init; }
    /// <summary>Why a cluster outside <see cref="Peers"/> is not one, for the rationale ("no registry both reach").</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? PeersDetail { get; init; }
    /// <summary>The strategies a migration to another cluster can run; null: all of <see cref="Strategies"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<MigrationStrategy>? CrossClusterStrategies { get; init; }

    /// <summary>Whether <paramref name="strategy"/> is among <see cref="Strategies"/>.</summary>
    public bool Runs(MigrationStrategy strategy)
    {
        foreach (var s in Strategies)
            if (s == strategy)
                return true;
        return false;
    }

    /// <summary>Nothing: a cluster no runtime drives, or a host that did not answer.</summary>
    public static RuntimeCapabilities None(string detail) => new() { Strategies = [], Detail = detail };
}

/// <summary>
/// What one node can do as the planner reads it: its cluster's capabilities and the node's own, with the names the
/// rationale uses for each ("Kubernetes cluster edge-1", "node n2").
/// </summary>
/// <param name="Cluster">The cluster as the rationale names it.</param>
/// <param name="Node">The node as the rationale names it.</param>
/// <param name="ClusterLevel">What the runtime can do anywhere on the cluster.</param>
/// <param name="NodeLevel">What this host can do; null when the runtime knows nothing per node.</param>
public sealed record NodeCapabilities(string Cluster, string Node, RuntimeCapabilities ClusterLevel, RuntimeCapabilities? NodeLevel)
{
    /// <summary>The cluster's own name, to tell a pair of clusters from one (<see cref="Of"/> sets it); null: unknown.</summary>
    public string? ClusterName { get; init; }

    /// <summary>The runtime kind of the cluster (<see cref="Of"/> sets it).</summary>
    public ClusterKind? Kind { get; init; }

    /// <summary>Names a node of a cluster of a kind the way the planner's rationale does.</summary>
    public static NodeCapabilities Of(ClusterKind kind, string cluster, string node, RuntimeCapabilities clusterCapabilities,
        RuntimeCapabilities? nodeCapabilities) => new($"{kind} cluster {cluster}", $"node {node}", clusterCapabilities, nodeCapabilities)
        {
            ClusterName = cluster,
            Kind = kind,
        };
}
