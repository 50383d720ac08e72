using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using EdgePortal.Agent.Contracts;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// Runs migrations on <see cref="ClusterKind.Kubernetes"/> clusters through the kubelet container checkpoint API.
/// Cold only: checkpoint the source container (the kubelet leaves it running), the node's agent turns the archive into
/// an OCI image and pushes it to the registry, a pod restored from that image starts on the destination
/// (<c>spec.nodeName</c>), traffic moves by labels (the Service's selector labels go from the source pod to the restored
/// one), the source pod is deleted. Pre-copy needs iterative pre-dumps, which the kubelet API does not offer, and
/// message replay needs a broker hook: both are refused at the first step with that reason. Pods owned by a controller
/// (ReplicaSet, StatefulSet, ...) are refused too: the owner would recreate the deleted source.
/// </summary>
public sealed partial class KubernetesEdgeRuntime : IEdgeRuntime
{
    public const string Unsupported =
        "the Kubernetes runtime runs Cold migrations only: pre-copy needs iterative pre-dumps, which the kubelet checkpoint API does not offer (run it on an Agent cluster), and message replay needs a broker hook not available for Kubernetes clusters";

    private readonly IKubernetesClients _clients;
    private readonly HttpClient? _agentHttp;
    private readonly EdgePortal.Agent.Contracts.Tls.AgentHttpClients _agentClients = new();
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesEdgeRuntime> _logger;
    private readonly ConcurrentDictionary<MigrationId, MigrationNotes> _notes = new();

    public KubernetesEdgeRuntime(IKubernetesClients clients, TimeProvider time, ILogger<KubernetesEdgeRuntime> logger, HttpClient? agentHttp = null)
    {
        _clients = clients ?? throw new ArgumentNullException(nameof(clients));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        // Each call to an agent bounds itself (TransferTimeout); the client has no timeout of its own.
        // Null: one mutual-TLS client per agent (AgentTls), its server certificate named after its node.
        _agentHttp = agentHttp;
    }

    public ClusterKind Kind => ClusterKind.Kubernetes;

    public static bool Supports(MigrationStrategy strategy) => strategy == MigrationStrategy.Cold;

    public async Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var k = _clients.For(cluster.Name);
        if (k is null)
            return new RuntimeProbe(false, $"no configuration for cluster {cluster.Name}: add {KubernetesEdgeOptions.Section}:Clusters:{cluster.Name}", false);
        try
        {
            var nodes = await k.Client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var ready = nodes.Items.Count(IsReady);
            var capabilities = new Dictionary<string, string>
            {
                ["strategies"] = "Cold",
                ["checkpoint"] = "kubelet checkpoint API (ContainerCheckpoint)",
                ["transfer"] = $"agent → registry {k.Options.Registry}",
                ["namespace"] = k.Options.Namespace,
                ["dirtyTracking"] = "no (the kubelet API has no pre-dump)",
            };
            return new RuntimeProbe(true, string.Create(CultureInfo.InvariantCulture,
                $"Kubernetes, {nodes.Items.Count} {(nodes.Items.Count == 1 ? "node" : "nodes")}, {ready} Ready; Cold migrations only"), false, capabilities);
        }
        catch (HttpOperationException e)
        {
            return new RuntimeProbe(false, $"the API server of {cluster.Name} answered {Describe(e, "list nodes")}", false);
        }
        catch (HttpRequestException e)
        {
            return new RuntimeProbe(false, $"the API server of {cluster.Name} is unreachable: {e.Message}", false);
        }
    }

    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var k = _clients.For(context.Cluster.Name);
        if (k is null)
            return Fail(context, $"cluster {context.Cluster.Name} is not configured: add {KubernetesEdgeOptions.Section}:Clusters:{context.Cluster.Name}");
        if (!Supports(context.Plan.Strategy) || context.Step.Kind is StepKind.PreDump or StepKind.ReplayMessages)
            return Fail(context, $"{context.Plan.Strategy} is not supported: {Unsupported}");
        var started = _time.GetTimestamp();
        try
        {
            var message = context.Step.Kind switch
            {
                StepKind.Profile => await ProfileAsync(k, context, cancellationToken).ConfigureAwait(false),
                StepKind.Checkpoint => await CheckpointAsync(k, context, cancellationToken).ConfigureAwait(false),
                StepKind.Transfer => await TransferAsync(k, context, cancellationToken).ConfigureAwait(false),
                StepKind.Restore => await RestoreAsync(k, context, cancellationToken).ConfigureAwait(false),
                StepKind.SwitchTraffic => await SwitchAsync(k, context, cancellationToken).ConfigureAwait(false),
                StepKind.CleanUp => await CleanUpAsync(k, context, cancellationToken).ConfigureAwait(false),
                _ => throw new StepFailedException($"step {context.Step.Label} is not known to the Kubernetes runtime"),
            };
            var ms = _time.GetElapsedTime(started).TotalMilliseconds;
            LogStep(context.Step.Label, context.MigrationId, context.Service.Name, ms, message);
            return new StepOutcome.Success(message, ms);
        }
        catch (StepFailedException e)
        {
            return Fail(context, e.Message);
        }
        catch (HttpOperationException e)
        {
            return Fail(context, $"{context.Step.Label} of {context.Service.Name}: the API server answered {Describe(e, context.Step.Label)}");
        }
        catch (HttpRequestException e)
        {
            return Fail(context, $"{context.Step.Label} of {context.Service.Name}: the API server of {context.Cluster.Name} is unreachable: {e.Message}", TimeSpan.FromSeconds(10));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(context, $"{context.Step.Label} of {context.Service.Name} timed out waiting for the cluster");
        }
    }

    public async Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var k = _clients.For(context.Cluster.Name);
        if (k is null)
            return new StepOutcome.Failure($"cluster {context.Cluster.Name} is not configured: add {KubernetesEdgeOptions.Section}:Clusters:{context.Cluster.Name}");
        var ns = k.Options.Namespace;
        var done = new List<string>();
        try
        {
            var source = await SourcePodAsync(k, context.Service.Name, context.Source.Name, cancellationToken, allowRetired: true).ConfigureAwait(false);
            var targets = await k.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{KubernetesLabels.Migration}={context.MigrationId}",
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (source is null)
            {
                var serving = targets.Items.FirstOrDefault(p => Label(p, KubernetesLabels.Role) == "serving");
                _notes.TryRemove(context.MigrationId, out _);
                return new StepOutcome.Failure(serving is not null
                    ? $"the source pod of {context.Service.Name} on {context.Source.Name} is already deleted; the restored pod {serving.Name()} on {context.Destination.Name} serves and was kept — an operator must confirm where {context.Service.Name} runs"
                    : $"no pod of {context.Service.Name} is left on {context.Source.Name} ({KubernetesLabels.Service}={context.Service.Name}): recreate it from its manifest");
            }

            var selector = await SelectorAsync(k, context.Service.Name, cancellationToken).ConfigureAwait(false);
            var labels = source.Labels() ?? new Dictionary<string, string>();
            var missing = selector.Where(s => (labels.TryGetValue(s.Key, out var v) ? v : null) != s.Value).ToDictionary(s => s.Key, s => (string?)s.Value);
            if (missing.Count > 0 || labels.ContainsKey(KubernetesLabels.RetiredBy))
            {
                missing[KubernetesLabels.RetiredBy] = null;
                await PatchLabelsAsync(k, source.Name(), missing, cancellationToken).ConfigureAwait(false);
                done.Add($"traffic back on {source.Name()} on {context.Source.Name}");
            }
            foreach (var pod in targets.Items)
            {
                await DeletePodAsync(k, pod.Name(), cancellationToken).ConfigureAwait(false);
                done.Add($"deleted the restored pod {pod.Name()} on {pod.Spec?.NodeName ?? context.Destination.Name}");
            }
            if (context.CompletedSteps.Any(s => s.Kind == StepKind.SwitchTraffic))
            {
                await AnnotateServiceAsync(k, context.Service.Name, context.Source.Name, context.MigrationId, cancellationToken).ConfigureAwait(false);
            }
            if (context.CompletedSteps.Any(s => s.Kind == StepKind.Transfer))
                done.Add($"the checkpoint image {ImageReference(k, context.Service.Name, context.MigrationId)} stays in the registry until its garbage collection");
            _notes.TryRemove(context.MigrationId, out _);
            var message = done.Count == 0
                ? $"{context.Service.Name} serves from {source.Name()} on {context.Source.Name}; nothing to undo"
                : $"{string.Join("; ", done)}; {context.Service.Name} serves from {source.Name()} on {context.Source.Name}";
            LogRolledBack(context.MigrationId, context.Service.Name, message);
            return new StepOutcome.Success(message);
        }
        catch (HttpOperationException e)
        {
            return new StepOutcome.Failure($"rollback of {context.Service.Name}: the API server answered {Describe(e, "rollback")}");
        }
        catch (HttpRequestException e)
        {
            return new StepOutcome.Failure($"rollback of {context.Service.Name}: the API server of {context.Cluster.Name} is unreachable: {e.Message}", TimeSpan.FromSeconds(10));
        }
    }

    private async Task<string> ProfileAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name}: EdgePortal looks for the label {KubernetesLabels.Service}={c.Service.Name} in namespace {k.Options.Namespace}");
        if (pod.Metadata.OwnerReferences is { Count: > 0 } owners)
        {
            var owner = owners[0];
            throw new StepFailedException($"pod {pod.Name()} is owned by {owner.Kind} {owner.Name}: the owner would recreate the source pod the migration deletes, on any node. EdgePortal migrates bare pods; run {c.Service.Name} as a bare pod with the label {KubernetesLabels.Service}, or pin the owner with node affinity and migrate by hand");
        }
        var selector = await SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        if (selector.Count == 0)
            throw new StepFailedException($"the Service {c.Service.Name} in {k.Options.Namespace} has no selector: EdgePortal switches traffic by moving the selector's labels");
        var container = ContainerOf(pod);
        var destination = await k.Client.CoreV1.ReadNodeAsync(c.Destination.Name, cancellationToken: ct).ConfigureAwait(false);
        if (!IsReady(destination))
            throw new StepFailedException($"the destination node {c.Destination.Name} is not Ready");
        var source = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        Note(c.MigrationId).SourcePod = pod.Name();
        return $"profiled pod {pod.Name()} (container {container.Name}, image {container.Image}) on {Describe(source)}; destination {Describe(destination)}";
    }

    private async Task<string> CheckpointAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name} to checkpoint");
        var container = ContainerOf(pod).Name;
        var ns = k.Options.Namespace;
        var seconds = (int)Math.Ceiling(k.Options.CheckpointTimeout.TotalSeconds);
        var path = $"checkpoint/{ns}/{pod.Name()}/{container}?timeout={seconds.ToString(CultureInfo.InvariantCulture)}";
        // On the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        using var deadline = new CancellationTokenSource(k.Options.CheckpointTimeout + TimeSpan.FromSeconds(15), _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        string body;
        try
        {
            using var response = await k.Client.CoreV1.ConnectPostNodeProxyWithPathWithHttpMessagesAsync(c.Source.Name, path,
                cancellationToken: timeout.Token).ConfigureAwait(false);
            using var reader = new StreamReader(response.Body);
            body = await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new StepFailedException(CheckpointErrors.Describe(e, c.Source.Name, ns, pod.Name(), container));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"checkpoint of {ns}/{pod.Name()}/{container} on node {c.Source.Name} did not answer within {Durations.Format(k.Options.CheckpointTimeout.TotalMilliseconds)} (CheckpointTimeout)");
        }
        var archive = ParseItems(body)
            ?? throw new StepFailedException($"the kubelet on {c.Source.Name} answered the checkpoint without an archive path: {CheckpointErrors.Message(body)}");
        var notes = Note(c.MigrationId);
        notes.SourcePod = pod.Name();
        notes.Archive = archive;
        notes.Container = container;
        notes.RootfsImage = ContainerOf(pod).Image;
        return $"checkpointed {ns}/{pod.Name()}/{container} on {c.Source.Name} into {archive}; the container keeps running";
    }

    private async Task<string> TransferAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var notes = Note(c.MigrationId);
        if (notes.Archive is not { } archive)
            throw new StepFailedException($"no checkpoint archive of {c.Service.Name} is known to this EdgePortal (it restarted after the checkpoint): the migration must start again");
        var node = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        var request = new CheckpointImageRequest
        {
            Registry = k.Options.AgentRegistry,
            Repository = Repository(c.Service.Name),
            Tag = Tag(c.MigrationId),
            ContainerName = notes.Container ?? c.Service.Name,
            PodName = notes.SourcePod ?? c.Service.Name,
            Namespace = k.Options.Namespace,
            RootfsImage = notes.RootfsImage,
            BandwidthBitsPerSecond = c.Plan.ReservedBandwidth.BitsPerSecond > 0 ? c.Plan.ReservedBandwidth.BitsPerSecond : null,
        };
        // Bounded by TransferTimeout on the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        var agentUri = AgentUri(k, node);
        var http = _agentHttp ?? (agentUri.Scheme == Uri.UriSchemeHttps ? _agentClients.For(agentUri.AbsoluteUri, k.Options.AgentTls, c.Source.Name) : _agentClients.Plain);
        var agent = new AgentApiClient(http, c.Source.Name, agentUri, k.Options.TransferTimeout, _time);
        CheckpointImageResult result;
        try
        {
            result = await agent.BuildCheckpointImageAsync(Path.GetFileName(archive), request, ct).ConfigureAwait(false);
        }
        catch (AgentCallException e)
        {
            var hint = e.Unreachable && e.Status is null ? " — is the edgeportal-agent DaemonSet running on that node?" : "";
            throw new StepFailedException($"building the checkpoint image of {c.Service.Name} on {c.Source.Name} failed: {e.Message}{hint}");
        }
        notes.Image = result.Reference;
        return string.Create(CultureInfo.InvariantCulture,
            $"the agent on {c.Source.Name} pushed {result.Reference} ({ByteSize.Format(result.Bytes)}, layer {result.LayerDigest}) in {result.Seconds:0.0} s");
    }

    private async Task<string> RestoreAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var sourceName = Note(c.MigrationId).SourcePod;
        var source = (sourceName is null ? null : await ReadPodAsync(k, sourceName, ct).ConfigureAwait(false))
            ?? await SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone: nothing to restore from");
        var selector = await SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var image = Note(c.MigrationId).Image ?? ImageReference(k, c.Service.Name, c.MigrationId);
        var pod = TargetPod(source, selector, image, c);
        var ns = k.Options.Namespace;
        var existing = await ReadPodAsync(k, pod.Name(), ct).ConfigureAwait(false);
        if (existing is null)
            await k.Client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: ct).ConfigureAwait(false);
        Note(c.MigrationId).TargetPod = pod.Name();

        // On the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        using var deadline = new CancellationTokenSource(k.Options.ReadyTimeout, _time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var watch = new PodWatch(k.Client, _logger, _time);
        try
        {
            await watch.UntilAsync(ns, null, $"metadata.name={pod.Name()}", IsReady, CannotStart, timeout.Token).ConfigureAwait(false);
        }
        catch (PodWatchFailedException e)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} cannot start: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} was not Ready within {Durations.Format(k.Options.ReadyTimeout.TotalMilliseconds)} (ReadyTimeout)");
        }
        return $"restored pod {pod.Name()} on {c.Destination.Name} from {image}; Ready";
    }

    private async Task<string> SwitchAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var notes = Note(c.MigrationId);
        var targetName = notes.TargetPod ?? TargetName(c.Service.Name, c.MigrationId);
        var source = await SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false)
            ?? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone");
        var selector = await SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var add = selector.ToDictionary(s => s.Key, s => (string?)s.Value);
        add[KubernetesLabels.Role] = "serving";
        await PatchLabelsAsync(k, targetName, add, ct).ConfigureAwait(false);
        var remove = selector.Keys.ToDictionary(key => key, _ => (string?)null);
        remove[KubernetesLabels.RetiredBy] = c.MigrationId.ToString();
        await PatchLabelsAsync(k, source.Name(), remove, ct).ConfigureAwait(false);
        await AnnotateServiceAsync(k, c.Service.Name, c.Destination.Name, c.MigrationId, ct).ConfigureAwait(false);
        return $"the Service {c.Service.Name} now selects {targetName} on {c.Destination.Name} ({string.Join(",", selector.Select(s => $"{s.Key}={s.Value}"))}); {source.Name()} left it";
    }

    private async Task<string> CleanUpAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var source = await SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false);
        _notes.TryRemove(c.MigrationId, out _);
        if (source is null)
            return $"no pod of {c.Service.Name} left on {c.Source.Name}";
        await DeletePodAsync(k, source.Name(), ct).ConfigureAwait(false);
        return $"deleted the source pod {source.Name()} on {c.Source.Name}";
    }

    /// <summary>The restored pod: the source's spec on the destination node, the checkpoint image, labels that keep it out of the Service until the switch.</summary>
    internal static V1Pod TargetPod(V1Pod source, IReadOnlyDictionary<string, string> selector, string image, StepContext c)
    {
        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(source));
        var container = ContainerOf(copy);
        container.Image = image;
        // The checkpoint image holds only the checkpoint; the runtime pulls the rootfs image itself.
        container.ImagePullPolicy = "IfNotPresent";
        var labels = (source.Labels() ?? new Dictionary<string, string>())
            .Where(l => !selector.ContainsKey(l.Key) && l.Key != KubernetesLabels.RetiredBy && l.Key != KubernetesLabels.Migration && l.Key != KubernetesLabels.Role)
            .ToDictionary(l => l.Key, l => l.Value);
        labels[KubernetesLabels.Service] = c.Service.Name;
        labels[KubernetesLabels.Migration] = c.MigrationId.ToString();
        labels[KubernetesLabels.Role] = "target";
        copy.Metadata = new V1ObjectMeta
        {
            Name = TargetName(c.Service.Name, c.MigrationId),
            NamespaceProperty = source.Namespace(),
            Labels = labels,
            Annotations = new Dictionary<string, string>
            {
                [KubernetesLabels.RestoredFrom] = $"{source.Namespace()}/{source.Name()}",
                [KubernetesLabels.Container] = container.Name,
            },
        };
        copy.Spec.NodeName = c.Destination.Name;
        copy.Spec.NodeSelector = null;
        copy.Spec.Affinity = null;
        copy.Status = null;
        return copy;
    }

    internal static string TargetName(string service, MigrationId migration)
    {
        var prefix = service.Length > 48 ? service[..48].TrimEnd('-') : service;
        return $"{prefix}-m{migration.Value.ToString("N")[^8..]}";
    }

    internal static string Repository(string service) => $"edgeportal/{service.ToLowerInvariant()}";

    internal static string Tag(MigrationId migration) => $"m-{migration.Value:N}";

    internal static string ImageReference(KubernetesCluster k, string service, MigrationId migration) => $"{k.Options.Registry}/{Repository(service)}:{Tag(migration)}";

    private static V1Container ContainerOf(V1Pod pod)
    {
        var containers = pod.Spec?.Containers ?? [];
        var wanted = (pod.Annotations() is { } a && a.TryGetValue(KubernetesLabels.Container, out var w) ? w : null);
        return (wanted is null ? containers.FirstOrDefault() : containers.FirstOrDefault(x => x.Name == wanted))
            ?? throw new StepFailedException($"pod {pod.Name()} has no container{(wanted is null ? "" : $" named {wanted} (annotation {KubernetesLabels.Container})")}");
    }

    /// <summary>The running pod of the service on the node, not deleting; with <paramref name="allowRetired"/> also one the switch took traffic from.</summary>
    private static async Task<V1Pod?> SourcePodAsync(KubernetesCluster k, string service, string node, CancellationToken ct, bool allowRetired = false)
    {
        var list = await k.Client.CoreV1.ListNamespacedPodAsync(k.Options.Namespace, labelSelector: $"{KubernetesLabels.Service}={service}",
            fieldSelector: $"spec.nodeName={node}", cancellationToken: ct).ConfigureAwait(false);
        return list.Items
            .Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is "Running" or "Pending" or null)
            .Where(p => !(p.Labels()?.ContainsKey(KubernetesLabels.Migration) ?? false) || Label(p, KubernetesLabels.Role) == "serving")
            .Where(p => allowRetired || !(p.Labels()?.ContainsKey(KubernetesLabels.RetiredBy) ?? false))
            .OrderBy(p => p.Status?.Phase == "Running" ? 0 : 1)
            .FirstOrDefault();
    }

    private static async Task<V1Pod?> ReadPodAsync(KubernetesCluster k, string name, CancellationToken ct)
    {
        try
        {
            return await k.Client.CoreV1.ReadNamespacedPodAsync(name, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> SelectorAsync(KubernetesCluster k, string service, CancellationToken ct)
    {
        try
        {
            var svc = await k.Client.CoreV1.ReadNamespacedServiceAsync(service, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return (svc.Spec?.Selector ?? new Dictionary<string, string>())
                .Where(s => s.Key != KubernetesLabels.Role && s.Key != KubernetesLabels.Migration)
                .ToDictionary(s => s.Key, s => s.Value);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw new StepFailedException($"no Service {service} in namespace {k.Options.Namespace}: EdgePortal switches the traffic of a service through the Service of the same name");
        }
    }

    private static Task PatchLabelsAsync(KubernetesCluster k, string pod, IDictionary<string, string?> labels, CancellationToken ct)
    {
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { labels } }), V1Patch.PatchType.MergePatch);
        return k.Client.CoreV1.PatchNamespacedPodAsync(patch, pod, k.Options.Namespace, cancellationToken: ct);
    }

    private static Task AnnotateServiceAsync(KubernetesCluster k, string service, string node, MigrationId migration, CancellationToken ct)
    {
        var annotations = new Dictionary<string, string> { [KubernetesLabels.ServingNode] = node, [KubernetesLabels.LastMigration] = migration.ToString() };
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations } }), V1Patch.PatchType.MergePatch);
        return k.Client.CoreV1.PatchNamespacedServiceAsync(patch, service, k.Options.Namespace, cancellationToken: ct);
    }

    private static async Task DeletePodAsync(KubernetesCluster k, string pod, CancellationToken ct)
    {
        try
        {
            await k.Client.CoreV1.DeleteNamespacedPodAsync(pod, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    private static Uri AgentUri(KubernetesCluster k, V1Node node)
    {
        var address = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address
            ?? throw new StepFailedException($"node {node.Name()} reports no InternalIP: the agent cannot be reached");
        var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return new Uri($"{k.Options.AgentScheme}://{host}:{k.Options.AgentPort.ToString(CultureInfo.InvariantCulture)}/");
    }

    internal static string? ParseItems(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array && items.GetArrayLength() > 0
                ? items[0].GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static bool IsReady(V1Pod pod) =>
        pod.Status?.Phase == "Running" && (pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false);

    /// <summary>A pod that will not become Ready by waiting: failed, or a container stuck on its image or its creation.</summary>
    internal static string? CannotStart(V1Pod pod)
    {
        if (pod.Status?.Phase is "Failed" or "Succeeded")
            return $"phase {pod.Status.Phase}{(pod.Status.Message is { } m ? $": {m}" : "")}";
        foreach (var status in pod.Status?.ContainerStatuses ?? [])
            if (status.State?.Waiting is { Reason: "ErrImagePull" or "ImagePullBackOff" or "CreateContainerError" or "CreateContainerConfigError" or "InvalidImageName" } waiting)
                return $"container {status.Name}: {waiting.Reason}{(waiting.Message is { } wm ? $" — {wm}" : "")}";
        return null;
    }

    private static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false;

    private static string Describe(V1Node node)
    {
        var zone = (node.Labels() is { } l && l.TryGetValue("topology.kubernetes.io/zone", out var z) ? z : null);
        var cpu = (node.Status?.Capacity is { } c1 && c1.TryGetValue("cpu", out var q1) ? q1.ToString() : null);
        var memory = (node.Status?.Capacity is { } c2 && c2.TryGetValue("memory", out var q2) ? q2.ToString() : null);
        return $"{node.Name()}{(zone is null ? "" : $" (zone {zone}")}{(zone is null ? " (" : ", ")}{cpu ?? "?"} CPU, {memory ?? "?"} memory)";
    }

    private static string Describe(HttpOperationException e, string what)
    {
        var status = e.Response?.StatusCode;
        var text = CheckpointErrors.Message(e.Response?.Content);
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => " — EdgePortal's credentials were not accepted",
            HttpStatusCode.Forbidden => " — EdgePortal's service account lacks a permission (apply deploy/base/rbac.yaml)",
            _ => "",
        };
        return $"{(int?)status} {status} to {what}{hint}{(text.Length > 0 ? $": {text}" : "")}";
    }

    private static string? Label(V1Pod pod, string key) => pod.Labels() is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    private MigrationNotes Note(MigrationId id) => _notes.GetOrAdd(id, _ => new MigrationNotes());

    private StepOutcome Fail(StepContext context, string reason, TimeSpan? retryAfter = null)
    {
        LogFailed(context.Step.Label, context.MigrationId, context.Service.Name, reason);
        return new StepOutcome.Failure(reason, retryAfter);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Step} of migration {MigrationId} ({Service}) done in {DurationMs:0} ms: {Outcome}")]
    private partial void LogStep(string step, MigrationId migrationId, string service, double durationMs, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Step} of migration {MigrationId} ({Service}) failed: {Reason}")]
    private partial void LogFailed(string step, MigrationId migrationId, string service, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rolled back migration {MigrationId} ({Service}): {Outcome}")]
    private partial void LogRolledBack(MigrationId migrationId, string service, string outcome);

    /// <summary>What earlier steps of a migration found, for the later ones.</summary>
    private sealed class MigrationNotes
    {
        public string? SourcePod { get; set; }
        public string? Archive { get; set; }
        public string? Container { get; set; }
        public string? RootfsImage { get; set; }
        public string? Image { get; set; }
        public string? TargetPod { get; set; }
    }

    private sealed class StepFailedException(string message) : Exception(message);
}
