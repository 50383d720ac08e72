using System.Text.RegularExpressions;
using EdgePortal.Runtime.Replay;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// The Kubernetes clusters EdgePortal drives (<c>EdgePortal:Kubernetes</c>). Each entry of <see cref="Clusters"/> is keyed by
/// the name of an <see cref="EdgePortal.Core.Domain.EdgeCluster"/> of kind Kubernetes; with no entries the runtime stays idle.
/// </summary>
public sealed class KubernetesEdgeOptions
{
    public const string Section = "EdgePortal:Kubernetes";

    public Dictionary<string, KubernetesClusterOptions> Clusters { get; init; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How to reach one cluster and where its migrations put things.</summary>
public sealed class KubernetesClusterOptions
{
    /// <summary>A kubeconfig file; null or empty with <see cref="InCluster"/> true uses the pod's service account.</summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>The kubeconfig context; null uses the file's current context.</summary>
    public string? Context { get; set; }

    /// <summary>Use the service account EdgePortal runs as (the portal deployed in this same cluster).</summary>
    public bool InCluster { get; set; }

    /// <summary>Where the managed pods and their Services live (the namespace of tenants <see cref="TenantNamespaces"/> does not name).</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>
    /// The namespace of each tenant's pods and Services, by tenant id; a tenant not listed uses <see cref="Namespace"/>. Two
    /// tenants may each have a service of the same name only in different namespaces (a Service name is unique in its
    /// namespace); the pods also carry the tenant label <c>edgeportal.io/tenant</c>, which every lookup requires.
    /// </summary>
    public Dictionary<string, string> TenantNamespaces { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Storage classes whose ReadWriteOnce volumes re-attach on another node (network block storage: Ceph RBD, Longhorn,
    /// a cloud disk). A StatefulSet pod whose claims are of these classes (or ReadWriteMany) may migrate: its claim follows
    /// it. Any other ReadWriteOnce claim (local storage) is refused at Profile.
    /// </summary>
    public List<string> ReattachableStorageClasses { get; init; } = [];

    /// <summary>The same cluster settings with <paramref name="ns"/> as the namespace.</summary>
    internal KubernetesClusterOptions WithNamespace(string ns)
    {
        var copy = (KubernetesClusterOptions)MemberwiseClone();
        copy.Namespace = ns;
        return copy;
    }

    /// <summary>The registry checkpoint images are pushed to and pulled from, as <c>host[:port]</c>, e.g. <c>registry.edge.local:5000</c>.</summary>
    public string Registry { get; set; } = "";

    /// <summary>Whether the agents talk plain HTTP to <see cref="Registry"/> (a registry inside the edge network without TLS).</summary>
    public bool RegistryPlainHttp { get; set; }

    /// <summary>
    /// The Secret (type kubernetes.io/dockerconfigjson, in each managed namespace) the restored pod pulls the checkpoint image
    /// with, when <see cref="Registry"/> wants credentials; empty: none (the nodes' own credentials, or an open registry).
    /// </summary>
    public string? ImagePullSecret { get; set; }

    /// <summary>
    /// The name of <see cref="Registry"/> in the agents' own configuration (<c>EdgePortal:Agent:Registries:&lt;name&gt;</c>): the
    /// portal names it, the agent pushes only to the host it has configured under that name.
    /// </summary>
    public string AgentRegistry { get; set; } = "checkpoints";

    /// <summary>The port the EdgePortal agent DaemonSet listens on, on each node's InternalIP.</summary>
    public int AgentPort { get; set; } = 8471;

    /// <summary><c>https</c> (the agents serve mutual TLS only); <c>http</c> for Development agents only.</summary>
    public string AgentScheme { get; set; } = "https";

    /// <summary>
    /// The portal's client certificate towards the agents and the CA of their server certificates; each agent's certificate
    /// must carry its node's name (the Kubernetes node name).
    /// </summary>
    public EdgePortal.Agent.Contracts.Tls.AgentClientTlsOptions AgentTls { get; init; } = new();

    /// <summary>
    /// Where the nodes' kubelets write checkpoint archives: <c>&lt;kubelet root-dir&gt;/checkpoints</c>. The default is
    /// kubeadm's; k3s uses <c>/var/lib/rancher/k3s/agent/kubelet/checkpoints</c> when started with another root, MicroK8s
    /// <c>/var/snap/microk8s/common/var/lib/kubelet/checkpoints</c>. An archive path the kubelet answers outside it is
    /// refused; the agents' <c>CheckpointDirectory</c> must mount the same directory.
    /// </summary>
    public string KubeletCheckpointDirectory { get; set; } = "/var/lib/kubelet/checkpoints";

    /// <summary>How long the kubelet may take to checkpoint a container; the HTTP timeout is raised above it.</summary>
    public TimeSpan CheckpointTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the restored pod may take to become Ready.</summary>
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long the Service's endpoints may take to drop the source pod once it is taken out of the Service before the
    /// checkpoint (the endpoints controller and kube-proxy apply the change asynchronously).
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long requests already in flight to the source get to finish after it left the endpoints, before the checkpoint.</summary>
    public TimeSpan DrainGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the agent may take to build and push a checkpoint image.</summary>
    public TimeSpan TransferTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The RabbitMQ broker of the cluster's message-consuming services (<c>…:Broker:Uri</c>, <c>…:Broker:Services:&lt;service&gt;:Exchange</c>
    /// and <c>:Queue</c>): with it the cluster runs MessageReplay and ReplayWithCutoff for those services, through the replay
    /// protocol the Agent runtime runs too. The nodes' runc must dump with <c>tcp-close</c> (docs/kubernetes.md). Null: Cold only.
    /// </summary>
    public ReplayBrokerOptions? Broker { get; set; }

    /// <summary>
    /// The other clusters this cluster's migrations may go to, by cluster name, with the registry both reach
    /// (<c>…:Peers:&lt;cluster&gt;:Registry</c>, and <c>:AgentRegistry</c>, its name in this cluster's agents). A configured cluster
    /// whose <see cref="Registry"/> is this cluster's is a peer without an entry. See docs/kubernetes.md, "Several clusters".
    /// </summary>
    public Dictionary<string, KubernetesPeerOptions> Peers { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How traffic is handed over when a migration arrives in this cluster from another: this cluster's Service selects the
    /// restored pod, and the optional <see cref="HandOverOptions.Webhook"/> is told (a global load balancer, a DNS updater).
    /// </summary>
    public HandOverOptions HandOver { get; init; } = new();
}

/// <summary>A registry two clusters both reach: the source's agents push the checkpoint image there, the destination's nodes pull it.</summary>
public sealed class KubernetesPeerOptions
{
    /// <summary>The registry as the destination's nodes pull from it, <c>host[:port]</c>.</summary>
    public string Registry { get; set; } = "";

    /// <summary>The registry's name in the source cluster's agents' configuration (<c>EdgePortal:Agent:Registries:&lt;name&gt;</c>); empty: the source cluster's <see cref="KubernetesClusterOptions.AgentRegistry"/>.</summary>
    public string? AgentRegistry { get; set; }
}

/// <summary>The hand-over of a migration that arrives in a cluster from another.</summary>
public sealed class HandOverOptions
{
    /// <summary>Called after the destination's Service selects the restored pod and before the source is retired; null: the Service alone.</summary>
    public HandOverWebhookOptions? Webhook { get; set; }
}

/// <summary>How the hand-over webhook authenticates the portal's calls.</summary>
public enum HandOverAuthentication
{
    /// <summary><c>X-EdgePortal-Signature: sha256=&lt;hex HMAC-SHA256 of the body with the secret&gt;</c>.</summary>
    Hmac,
    /// <summary><c>Authorization: Bearer &lt;secret&gt;</c>.</summary>
    Bearer,
}

/// <summary>
/// A POST to <see cref="Url"/> with the migration id, the service, the clusters it leaves and enters, and its new endpoint
/// (the destination's Service and the restored pod). A 2xx accepts the hand-over; anything else, after <see cref="Attempts"/>
/// tries, fails the switch and the migration rolls back (the source serves again, and the webhook is told so).
/// </summary>
public sealed class HandOverWebhookOptions
{
    /// <summary>https, or http to a loopback address (a sidecar).</summary>
    public Uri? Url { get; set; }

    public HandOverAuthentication Authentication { get; set; } = HandOverAuthentication.Hmac;

    /// <summary>The HMAC key or bearer token (from a Secret through the environment: <c>EdgePortal__Kubernetes__Clusters__b__HandOver__Webhook__Secret</c>).</summary>
    public string? Secret { get; set; }

    /// <summary>Instead of <see cref="Secret"/>: a file holding it (a Secret's key mounted as a file), read at each call, so a rotated secret needs no restart.</summary>
    public string? SecretFile { get; set; }

    /// <summary>The secret: <see cref="SecretFile"/>'s content (trimmed) when set, else <see cref="Secret"/>.</summary>
    internal string ReadSecret() => string.IsNullOrWhiteSpace(SecretFile) ? Secret ?? "" : File.ReadAllText(SecretFile).Trim();

    /// <summary>How long one call may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many calls at most, the first included.</summary>
    public int Attempts { get; set; } = 3;

    /// <summary>The wait before the second call; doubled before each later one.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>What is wrong with the settings, each message naming the key under <paramref name="key"/>.</summary>
    internal IEnumerable<string> Failures(string key)
    {
        if (Url is null || !Url.IsAbsoluteUri || !(Url.Scheme == Uri.UriSchemeHttps || (Url.Scheme == Uri.UriSchemeHttp && Url.IsLoopback)))
            yield return $"{key}:Url must be an absolute https URL (http only to a loopback address), got '{Url}'.";
        var hasFile = !string.IsNullOrWhiteSpace(SecretFile);
        if (hasFile == !string.IsNullOrWhiteSpace(Secret))
            yield return $"{key}: set either Secret or SecretFile (the HMAC key or bearer token), not both.";
        else if (hasFile && !File.Exists(SecretFile))
            yield return $"{key}:SecretFile names a file that does not exist: {SecretFile}.";
        else if (!hasFile && Secret!.Length < 16)
            yield return $"{key}:Secret must hold the HMAC key or bearer token, at least 16 characters.";
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1))
            yield return $"{key}:Timeout must lie in (0, 1 min], got {Timeout}.";
        if (Attempts is < 1 or > 10)
            yield return $"{key}:Attempts must lie in 1..10, got {Attempts}.";
        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(1))
            yield return $"{key}:RetryDelay must lie in [0, 1 min], got {RetryDelay}.";
    }
}

/// <summary>Every rule a cluster entry must meet; a failure names the configuration key.</summary>
public sealed partial class KubernetesEdgeOptionsValidator : IValidateOptions<KubernetesEdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesEdgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (cluster, o) in options.Clusters)
        {
            var key = $"{KubernetesEdgeOptions.Section}:Clusters:{cluster}";
            if (o is null)
            {
                failures.Add($"{key} is empty: set KubeconfigPath (and Context) or InCluster=true.");
                continue;
            }
            var hasFile = !string.IsNullOrWhiteSpace(o.KubeconfigPath);
            if (hasFile == o.InCluster)
                failures.Add(o.InCluster
                    ? $"{key}: set either KubeconfigPath or InCluster=true, not both."
                    : $"{key}:KubeconfigPath is required unless {key}:InCluster is true.");
            if (hasFile && !File.Exists(o.KubeconfigPath))
                failures.Add($"{key}:KubeconfigPath names a file that does not exist: {o.KubeconfigPath}.");
            if (!DnsLabel().IsMatch(o.Namespace ?? ""))
                failures.Add($"{key}:Namespace must be a DNS label (lower-case letters, digits, '-'), got '{o.Namespace}'.");
            if (string.IsNullOrWhiteSpace(o.Registry) || o.Registry.Contains("://", StringComparison.Ordinal) || o.Registry.Contains(' ', StringComparison.Ordinal))
                failures.Add($"{key}:Registry must be a registry host[:port] without a scheme, e.g. registry.edge.local:5000, got '{o.Registry}'.");
            foreach (var (tenant, ns) in o.TenantNamespaces)
                if (!Guid.TryParse(tenant, out _) || !DnsLabel().IsMatch(ns ?? ""))
                    failures.Add($"{key}:TenantNamespaces:{tenant} must map a tenant id to a namespace (a DNS label), got '{ns}'.");
            if (!string.IsNullOrEmpty(o.ImagePullSecret) && !DnsSubdomain().IsMatch(o.ImagePullSecret))
                failures.Add($"{key}:ImagePullSecret must be the name of a Secret (a DNS subdomain), got '{o.ImagePullSecret}'.");
            if (o.AgentPort is < 1 or > 65535)
                failures.Add($"{key}:AgentPort must lie in 1..65535, got {o.AgentPort}.");
            if (o.AgentScheme is not ("http" or "https"))
                failures.Add($"{key}:AgentScheme must be http or https, got '{o.AgentScheme}'.");
            if (o.AgentScheme == "https")
                failures.AddRange(o.AgentTls.Failures($"{key}:AgentTls"));
            if (string.IsNullOrWhiteSpace(o.AgentRegistry))
                failures.Add($"{key}:AgentRegistry must be the name of the registry in the agents' EdgePortal:Agent:Registries.");
            if (o.CheckpointTimeout <= TimeSpan.Zero || o.CheckpointTimeout > TimeSpan.FromHours(1))
                failures.Add($"{key}:CheckpointTimeout must lie in (0, 1 h], got {o.CheckpointTimeout}.");
            if (o.ReadyTimeout <= TimeSpan.Zero)
                failures.Add($"{key}:ReadyTimeout must be positive, got {o.ReadyTimeout}.");
            if (string.IsNullOrWhiteSpace(o.KubeletCheckpointDirectory) || !o.KubeletCheckpointDirectory.StartsWith('/') || o.KubeletCheckpointDirectory.Contains("..", StringComparison.Ordinal))
                failures.Add($"{key}:KubeletCheckpointDirectory must be an absolute path without '..', got '{o.KubeletCheckpointDirectory}'.");
            if (o.DrainTimeout <= TimeSpan.Zero)
                failures.Add($"{key}:DrainTimeout must be positive, got {o.DrainTimeout}.");
            if (o.DrainGrace < TimeSpan.Zero)
                failures.Add($"{key}:DrainGrace must not be negative, got {o.DrainGrace}.");
            if (o.TransferTimeout <= TimeSpan.Zero)
                failures.Add($"{key}:TransferTimeout must be positive, got {o.TransferTimeout}.");
            if (o.Broker is { } b)
                failures.AddRange(b.Failures($"{key}:Broker"));
            foreach (var (peer, p) in o.Peers)
            {
                if (!options.Clusters.ContainsKey(peer) || string.Equals(peer, cluster, StringComparison.OrdinalIgnoreCase))
                    failures.Add($"{key}:Peers:{peer} must name another configured cluster of {KubernetesEdgeOptions.Section}:Clusters.");
                if (p is null || string.IsNullOrWhiteSpace(p.Registry) || p.Registry.Contains("://", StringComparison.Ordinal) || p.Registry.Contains(' ', StringComparison.Ordinal))
                    failures.Add($"{key}:Peers:{peer}:Registry must be a registry host[:port] without a scheme, got '{p?.Registry}'.");
            }
            if (o.HandOver.Webhook is { } webhook)
                failures.AddRange(webhook.Failures($"{key}:HandOver:Webhook"));
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();
}
