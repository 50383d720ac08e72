using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Replay;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// What the Kubernetes runtime can do on a cluster, reachable or not: Cold through the kubelet checkpoint API, the images
/// through the registry; MessageReplay and ReplayWithCutoff where the cluster has a broker configured
/// (<see cref="KubernetesClusterOptions.Broker"/>). No pre-dump (the kubelet API takes whole checkpoints only), so no
/// pre-copy. The probe (<see cref="KubernetesEdgeRuntime.ProbeAsync"/>) reports it with the cluster's settings.
/// </summary>
public static class KubernetesCapabilities
{
    /// <summary>The cluster's capabilities; <paramref name="cluster"/> adds the registry, namespace and broker it uses.</summary>
    public static RuntimeCapabilities Of(KubernetesClusterOptions? cluster) => Of(cluster, []);

    /// <summary>The cluster's capabilities, with the other clusters its migrations may go to (<see cref="CrossCluster.Peers"/>): Cold only across clusters.</summary>
    public static RuntimeCapabilities Of(KubernetesClusterOptions? cluster, IReadOnlyList<string> peers) => new()
    {
        Peers = peers,
        PeersDetail = CrossCluster.NoSharedRegistry + " (configure Peers:<cluster>:Registry, or the same Registry on both)",
        CrossClusterStrategies = CrossCluster.Strategies,
        Strategies = cluster?.Broker is null
            ? [MigrationStrategy.Cold]
            : [MigrationStrategy.Cold, MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff],
        ReplayBroker = cluster?.Broker is not null,
        TransferPaths = [TransferPath.Registry],
        Detail = cluster is null
            ? "kubelet checkpoint API (ContainerCheckpoint)"
            : $"kubelet checkpoint API (ContainerCheckpoint); images through {cluster.Registry}; namespace {cluster.Namespace}; {(cluster.Broker is null ? "no broker configured for message replay" : $"message replay for {string.Join(", ", cluster.Broker.Services.Keys.Order(StringComparer.Ordinal))}")}; {(peers.Count == 0 ? "no other cluster shares a registry" : $"Cold migrations to {string.Join(", ", peers)}")}",
    };

    /// <summary>The strategies this runtime has steps for; which of them a cluster runs is in its capabilities (<see cref="Of"/>).</summary>
    public static bool Executes(MigrationStrategy strategy) => strategy == MigrationStrategy.Cold || ReplayProtocol.IsReplay(strategy);
}
