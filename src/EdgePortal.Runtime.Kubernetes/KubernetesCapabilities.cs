using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// What the Kubernetes runtime can do on any cluster, reachable or not: Cold through the kubelet checkpoint API, the
/// images through the registry. No pre-dump (the kubelet API takes whole checkpoints only), so no pre-copy; no broker hook,
/// so no message replay. The probe (<see cref="KubernetesEdgeRuntime.ProbeAsync"/>) reports it with the cluster's settings.
/// </summary>
public static class KubernetesCapabilities
{
    /// <summary>The cluster's capabilities; <paramref name="cluster"/> adds the registry and namespace it uses.</summary>
    public static RuntimeCapabilities Of(KubernetesClusterOptions? cluster) => new()
    {
        Strategies = [MigrationStrategy.Cold],
        TransferPaths = [TransferPath.Registry],
        Detail = cluster is null
            ? "kubelet checkpoint API (ContainerCheckpoint)"
            : $"kubelet checkpoint API (ContainerCheckpoint); images through {cluster.Registry}; namespace {cluster.Namespace}",
    };

    /// <summary>Whether the runtime can execute <paramref name="strategy"/> on any cluster.</summary>
    public static bool Runs(MigrationStrategy strategy) => Of(null).Runs(strategy);
}
