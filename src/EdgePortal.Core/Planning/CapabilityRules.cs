using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Core.Planning;

/// <summary>A strategy the node pair cannot run: the capability that is missing, named with who lacks it, and the constraint it binds.</summary>
public sealed record CapabilityRuleOut(string Reason, string Constraint);

/// <summary>
/// Whether a node pair can run a strategy, from the capabilities its runtime probed (<see cref="NodeCapabilities"/>). The
/// cluster's capabilities are read first, then the host's: a Kubernetes cluster rules pre-copy out as a cluster ("Kubernetes
/// cluster edge-1: no pre-dump"), an Agent host without dirty tracking as a host ("node h1: no dirty tracking").
/// </summary>
public static class CapabilityRules
{
    /// <summary>Why the pair cannot run <paramref name="strategy"/>, or null when it can (or nothing is known of either side).</summary>
    public static CapabilityRuleOut? RuleOut(MigrationStrategy strategy, NodeCapabilities? source, NodeCapabilities? destination, long stateBytes)
        => (source is null || destination is null ? null : Pair(strategy, source, destination))
            ?? (source is null ? null : Side(strategy, source, isSource: true, stateBytes))
            ?? (destination is null ? null : Side(strategy, destination, isSource: false, stateBytes));

    /// <summary>
    /// Across two clusters: both of one runtime kind (one runtime runs every step; a checkpoint of one kind is restored by
    /// nothing of another), the destination among the source cluster's <see cref="RuntimeCapabilities.Peers"/> (for
    /// Kubernetes: a registry both reach), and the strategy among its <see cref="RuntimeCapabilities.CrossClusterStrategies"/>.
    /// </summary>
    private static CapabilityRuleOut? Pair(MigrationStrategy strategy, NodeCapabilities source, NodeCapabilities destination)
    {
        if (source.ClusterName is null || destination.ClusterName is null
            || string.Equals(source.ClusterName, destination.ClusterName, StringComparison.OrdinalIgnoreCase))
            return null;
        if (source.Kind != destination.Kind)
            return new($"{source.Cluster} → {destination.Cluster}: nothing migrates across runtime kinds", PlanConstraints.ClusterPair);
        var capabilities = source.ClusterLevel;
        if (capabilities.Peers is { } peers && !peers.Contains(destination.ClusterName, StringComparer.OrdinalIgnoreCase))
            return new($"{source.Cluster} → {destination.Cluster}: {capabilities.PeersDetail ?? "the clusters cannot migrate to each other"}", PlanConstraints.ClusterPair);
        if (capabilities.CrossClusterStrategies is { } across && !across.Contains(strategy))
            return new($"{source.Cluster} → {destination.Cluster}: {strategy} stays within a cluster (across clusters: {string.Join(", ", across)})", PlanConstraints.ClusterPair);
        return null;
    }

    private static CapabilityRuleOut? Side(MigrationStrategy strategy, NodeCapabilities n, bool isSource, long stateBytes)
    {
        var cluster = n.ClusterLevel;
        var host = n.NodeLevel;
        if (cluster.Strategies.Count == 0)
            return new($"{n.Cluster}: {cluster.Detail ?? "runs no migrations"}", PlanConstraints.RuntimeCapability);
        if (host is { Strategies.Count: 0 })
            return new($"{n.Node}: {host.Detail ?? "runs no migrations"}", PlanConstraints.RuntimeCapability);
        var large = TooLarge(n.Cluster, cluster, stateBytes) ?? (host is null ? null : TooLarge(n.Node, host, stateBytes));
        if (large is not null)
            return large;
        var replay = strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff;
        if (replay && !cluster.ReplayBroker)
            return new($"{n.Cluster}: no broker for replay", PlanConstraints.ReplayBroker);
        if (strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy && isSource)
        {
            // Pre-dump rounds run on the source: the runtime must take them, and the host must track dirty pages.
            if (!cluster.PreDump)
                return new($"{n.Cluster}: no pre-dump", PlanConstraints.PreDump);
            if (host is { PreDump: false })
                return new($"{n.Node}: no pre-dump", PlanConstraints.PreDump);
            var (who, tracking) = host is null ? (n.Cluster, cluster.DirtyTracking) : (n.Node, host.DirtyTracking);
            if (!tracking)
                return new($"{who}: no dirty tracking", PlanConstraints.DirtyPageTracking);
        }
        if (strategy == MigrationStrategy.PostCopy)
        {
            // Lazy pages on both sides: the source serves its pages (criu dump --lazy-pages), the destination faults them in (userfaultfd).
            if (!cluster.LazyPages)
                return new($"{n.Cluster}: no lazy pages", PlanConstraints.LazyPages);
            if (host is { LazyPages: false })
                return new($"{n.Node}: no lazy pages", PlanConstraints.LazyPages);
        }
        if (!cluster.Runs(strategy))
            return new($"{n.Cluster}: cannot run {strategy}", PlanConstraints.RuntimeCapability);
        if (host is not null && !host.Runs(strategy))
            return new($"{n.Node}: cannot run {strategy}", PlanConstraints.RuntimeCapability);
        return null;
    }

    private static CapabilityRuleOut? TooLarge(string who, RuntimeCapabilities capabilities, long stateBytes)
        => capabilities.MaxImageBytes is { } max && stateBytes > max
            ? new($"{who}: images up to {ByteSize.Format(max)}, the state is {ByteSize.Format(stateBytes)}", PlanConstraints.ImageLimit)
            : null;
}
