using System.Collections.Concurrent;
using k8s;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>One <see cref="IKubernetes"/> per configured cluster, built on first use from its kubeconfig context or in-cluster config.</summary>
public interface IKubernetesClients
{
    /// <summary>The options and client of the cluster named <paramref name="cluster"/>, or null when it is not configured.</summary>
    KubernetesCluster? For(string cluster);

    /// <summary>The other configured clusters <paramref name="cluster"/> can migrate to (a registry both reach).</summary>
    IReadOnlyList<string> PeersOf(string cluster) => [];
}

public sealed record KubernetesCluster(string Name, KubernetesClusterOptions Options, k8s.Kubernetes Client)
{
    /// <summary>The cluster as one tenant's migrations see it: the tenant's namespace (<see cref="KubernetesClusterOptions.TenantNamespaces"/>) and its label.</summary>
    public KubernetesCluster ForTenant(EdgePortal.Core.Domain.TenantId tenant)
    {
        var ns = Options.TenantNamespaces.TryGetValue(tenant.ToString(), out var mapped) ? mapped : Options.Namespace;
        return this with { Options = Options.WithNamespace(ns), Tenant = tenant.ToString() };
    }

    /// <summary>The tenant whose pods this view finds (the value of <see cref="KubernetesLabels.Tenant"/>); null before <see cref="ForTenant"/>.</summary>
    public string? Tenant { get; init; }

    /// <summary>The label selector of a service's pods: its name and, always, its tenant.</summary>
    public string PodSelector(string service) =>
        $"{KubernetesLabels.Service}={service},{KubernetesLabels.Tenant}={Tenant ?? throw new InvalidOperationException("a pod lookup needs the tenant: call ForTenant first")}";
}

public sealed class KubernetesClients(IOptions<KubernetesEdgeOptions> options) : IKubernetesClients, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<KubernetesCluster>> _clients = new(StringComparer.OrdinalIgnoreCase);

    public KubernetesCluster? For(string cluster)
    {
        if (!options.Value.Clusters.TryGetValue(cluster, out var o) || o is null)
            return null;
        return _clients.GetOrAdd(cluster, name => new Lazy<KubernetesCluster>(() => new KubernetesCluster(name, o, Build(o)))).Value;
    }

    public IReadOnlyList<string> PeersOf(string cluster) => CrossCluster.Peers(options.Value, cluster);

    /// <summary>The client configuration for a cluster; the HTTP timeout is raised above the checkpoint timeout (the client's default is 100 s).</summary>
    public static KubernetesClientConfiguration Configuration(KubernetesClusterOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var config = o.InCluster
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildConfigFromConfigFile(o.KubeconfigPath, string.IsNullOrWhiteSpace(o.Context) ? null : o.Context);
        var needed = o.CheckpointTimeout + TimeSpan.FromSeconds(30);
        if (config.HttpClientTimeout < needed)
            config.HttpClientTimeout = needed;
        return config;
    }

    private static k8s.Kubernetes Build(KubernetesClusterOptions o) => new(Configuration(o));

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
            client.Value.Client.Dispose();
        _clients.Clear();
    }
}
