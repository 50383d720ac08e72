using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>How a checkpoint image goes from cluster A to cluster B: the registry B's nodes pull from, and its name in A's agents.</summary>
/// <param name="Registry">The registry as B's nodes pull from it (<c>host[:port]</c>).</param>
/// <param name="AgentRegistry">Its name in A's agents' configuration: A's agents push there and delete from there.</param>
public sealed record CrossClusterRoute(string Registry, string AgentRegistry);

/// <summary>
/// Migrations from a node of one Kubernetes cluster to a node of another. Each cluster keeps its own API server and
/// credentials; the checkpoint image travels through a registry both reach (<see cref="KubernetesClusterOptions.Peers"/>,
/// or the same <see cref="KubernetesClusterOptions.Registry"/> on both); only Cold and only unowned pods without claims
/// cross (docs/kubernetes.md, "Several clusters").
/// </summary>
public static class CrossCluster
{
    /// <summary>Why no registry is shared, for the rationale and the refusals.</summary>
    public const string NoSharedRegistry = "no registry both reach";

    /// <summary>Whether the step moves the service to another cluster.</summary>
    public static bool Crosses(StepContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return !string.Equals(c.TargetCluster.Name, c.Cluster.Name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether the rollback undoes a move to another cluster.</summary>
    public static bool Crosses(RollbackContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return !string.Equals(c.TargetCluster.Name, c.Cluster.Name, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The registry from <paramref name="from"/> to <paramref name="to"/>: the peer entry, else the same <c>Registry</c> on both; null: none.</summary>
    public static CrossClusterRoute? Route(string from, KubernetesClusterOptions a, string to, KubernetesClusterOptions b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Peers.TryGetValue(to, out var peer) && peer is not null && !string.IsNullOrWhiteSpace(peer.Registry))
            return new CrossClusterRoute(peer.Registry, string.IsNullOrWhiteSpace(peer.AgentRegistry) ? a.AgentRegistry : peer.AgentRegistry);
        return string.Equals(from, to, StringComparison.OrdinalIgnoreCase) || string.Equals(a.Registry, b.Registry, StringComparison.OrdinalIgnoreCase)
            ? new CrossClusterRoute(a.Registry, a.AgentRegistry)
            : null;
    }

    /// <summary>The clusters <paramref name="from"/> can migrate to: every other configured one with a route.</summary>
    public static IReadOnlyList<string> Peers(KubernetesEdgeOptions options, string from)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Clusters.TryGetValue(from, out var a) || a is null)
            return [];
        return [.. options.Clusters
            .Where(c => c.Value is not null && !string.Equals(c.Key, from, StringComparison.OrdinalIgnoreCase) && Route(from, a, c.Key, c.Value) is not null)
            .Select(c => c.Key)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The strategies that cross clusters: Cold (each cluster's broker and replay queues stay in it).</summary>
    public static IReadOnlyList<MigrationStrategy> Strategies { get; } = [MigrationStrategy.Cold];
}
