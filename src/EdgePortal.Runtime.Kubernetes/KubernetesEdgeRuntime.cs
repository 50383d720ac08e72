using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Steps;
using EdgePortal.Runtime.Replay;
using k8s;
using k8s.Models;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// Runs migrations on <see cref="ClusterKind.Kubernetes"/> clusters through the kubelet container checkpoint API.
/// Cold: checkpoint the source container (the kubelet leaves it running), the node's agent turns the archive into
/// an OCI image and pushes it to the registry, a pod restored from that image starts on the destination
/// (<c>spec.nodeName</c>), traffic moves by labels (the Service's selector labels go from the source pod to the restored
/// one), the source pod is deleted. MessageReplay and ReplayWithCutoff where the cluster has a broker
/// (<see cref="KubernetesClusterOptions.Broker"/>): the same checkpoint, transfer and restore inside the replay protocol
/// the Agent runtime runs too (<see cref="ReplayProtocol"/>: replay queue bound and marker answered before the checkpoint,
/// replay until caught up, hand-over by sequence number, switch); the source keeps serving until the switch. Pre-copy
/// needs iterative pre-dumps, which the kubelet API does not offer: refused at the first step with that reason.
/// </summary>
/// <remarks>
/// Each step is a handler in Steps/ on the shared <see cref="StepHandlerRuntime"/> base; what a step finds (source pod,
/// archive, image, restored pod) is returned as <see cref="StepArtifacts"/> and stored with the step, so the runtime
/// remembers nothing between steps. Pod and Service operations are in <see cref="KubernetesPods"/>, the restored pod in
/// <see cref="TargetPodBuilder"/>.
/// </remarks>
public sealed class KubernetesEdgeRuntime : StepHandlerRuntime, IAsyncDisposable, IDisposable
{
    public const string Unsupported =
        "the Kubernetes runtime runs Cold, and MessageReplay / ReplayWithCutoff where the cluster has a broker: pre-copy needs iterative pre-dumps, which the kubelet checkpoint API does not offer (run it on an Agent cluster)";

    private readonly IKubernetesClients _clients;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IReadOnlyList<StepHandler> _handlers;
    private readonly KubernetesStepServices _services;
    private readonly ReplayProtocol _replay;

    public KubernetesEdgeRuntime(IKubernetesClients clients, TimeProvider time, ILogger<KubernetesEdgeRuntime> logger, HttpClient? agentHttp = null)
        : base(time, logger)
    {
        _clients = clients ?? throw new ArgumentNullException(nameof(clients));
        _time = time;
        _logger = logger;
        // Null: one mutual-TLS client per agent (AgentTls), its server certificate named after its node.
        var services = _services = new KubernetesStepServices(clients, time, logger, agentHttp);
        _replay = new ReplayProtocol(time);
        _handlers =
        [
            new ProfileStep(services), new CheckpointStep(services), new TransferStep(services),
            new RestoreStep(services), new SwitchTrafficStep(services), new CleanUpStep(services),
            .. ReplaySteps.All(services, _replay),
        ];
    }

    /// <summary>Closes the pooled broker connections of the replay.</summary>
    public ValueTask DisposeAsync() => _replay.DisposeAsync();

    /// <summary>Closes the pooled broker connections, for a container disposed synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public override ClusterKind Kind => ClusterKind.Kubernetes;

    protected override IReadOnlyList<StepHandler> Handlers => _handlers;

    internal static string NoRoute(string from, string to) =>
        $"clusters {from} and {to} share no registry for the checkpoint image: configure {KubernetesEdgeOptions.Section}:Clusters:{from}:Peers:{to}:Registry (a registry {from}'s agents push to and {to}'s nodes pull from), or the same Registry on both";

    internal static string NotConfigured(string cluster) => $"cluster {cluster} is not configured: add {KubernetesEdgeOptions.Section}:Clusters:{cluster}";

    public override async Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var k = _clients.For(cluster.Name);
        if (k is null)
            return new RuntimeProbe(false, $"no configuration for cluster {cluster.Name}: add {KubernetesEdgeOptions.Section}:Clusters:{cluster.Name}",
                KubernetesCapabilities.Of(null));
        try
        {
            var nodes = await k.Client.CoreV1.ListNodeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var ready = nodes.Items.Count(KubernetesPods.IsReady);
            return new RuntimeProbe(true, string.Create(CultureInfo.InvariantCulture,
                $"Kubernetes, {nodes.Items.Count} {(nodes.Items.Count == 1 ? "node" : "nodes")}, {ready} Ready; {(k.Options.Broker is null ? "Cold migrations only" : "Cold, MessageReplay, ReplayWithCutoff")}"), KubernetesCapabilities.Of(k.Options, _clients.PeersOf(cluster.Name)));
        }
        catch (HttpOperationException e)
        {
            return new RuntimeProbe(false, $"the API server of {cluster.Name} answered {KubernetesPods.Describe(e, "list nodes")}", KubernetesCapabilities.Of(k.Options, _clients.PeersOf(cluster.Name)));
        }
        catch (HttpRequestException e)
        {
            return new RuntimeProbe(false, $"the API server of {cluster.Name} is unreachable: {e.Message}", KubernetesCapabilities.Of(k.Options, _clients.PeersOf(cluster.Name)));
        }
    }

    protected override ValueTask<string?> RefuseAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_clients.For(context.Cluster.Name) is not { } k)
            return ValueTask.FromResult<string?>(NotConfigured(context.Cluster.Name));
        var strategy = context.Plan.Strategy;
        if (!KubernetesCapabilities.Executes(strategy) || context.Step.Kind is StepKind.PreDump)
            return ValueTask.FromResult<string?>($"{strategy} is not supported: {Unsupported}");
        if (context.Step.Kind == StepKind.ReplayMessages && !ReplayProtocol.IsReplay(strategy))
            return ValueTask.FromResult<string?>($"{strategy} has no message replay");
        if (CrossCluster.Crosses(context))
        {
            var to = context.TargetCluster.Name;
            if (context.TargetCluster.Kind != ClusterKind.Kubernetes)
                return ValueTask.FromResult<string?>($"the destination's cluster {to} is a {context.TargetCluster.Kind} cluster: nothing migrates across runtime kinds");
            if (_clients.For(to) is not { } target)
                return ValueTask.FromResult<string?>(NotConfigured(to));
            if (!CrossCluster.Strategies.Contains(strategy))
                return ValueTask.FromResult<string?>($"{strategy} does not cross clusters ({context.Cluster.Name} → {to}): each cluster's broker and replay queues stay in it; across clusters only {string.Join(", ", CrossCluster.Strategies)}");
            if (CrossCluster.Route(context.Cluster.Name, k.Options, to, target.Options) is null)
                return ValueTask.FromResult<string?>(NoRoute(context.Cluster.Name, to));
        }
        if (ReplayProtocol.IsReplay(strategy) && k.Options.Broker is null)
            return ValueTask.FromResult<string?>($"{strategy} needs the cluster's broker: configure {BrokerKey(context.Cluster.Name)}:Uri and {BrokerKey(context.Cluster.Name)}:Services:{context.Service.Name}");
        return ValueTask.FromResult<string?>(null);
    }

    /// <summary>The configuration key of a cluster's broker.</summary>
    internal static string BrokerKey(string cluster) => $"{KubernetesEdgeOptions.Section}:Clusters:{cluster}:Broker";

    protected override StepOutcome.Failure? Map(Exception exception, StepContext context) => exception switch
    {
        // The broker of the replay (and an agent outside the steps' own handling): unreachable is worth trying again.
        EdgePortal.Agent.Contracts.AgentCallException e => new($"{context.Step.Label} of {context.Service.Name}: {e.Message}", e.Unreachable ? TimeSpan.FromSeconds(10) : null),
        HttpOperationException e => new($"{context.Step.Label} of {context.Service.Name}: the API server answered {KubernetesPods.Describe(e, context.Step.Label)}"),
        HttpRequestException e => new($"{context.Step.Label} of {context.Service.Name}: the API server of {context.Cluster.Name} is unreachable: {e.Message}", TimeSpan.FromSeconds(10)),
        _ => null,
    };

    /// <summary>The StatefulSet this migration scaled below the source (its pod is gone), or null.</summary>
    private static async Task<V1StatefulSet?> ScaledStatefulSetAsync(KubernetesCluster k, RollbackContext context, CancellationToken ct)
    {
        var sourceName = context.Artifacts.SourcePod;
        var dash = sourceName?.LastIndexOf('-') ?? -1;
        if (sourceName is null || dash <= 0)
            return null;
        try
        {
            var sts = await k.Client.AppsV1.ReadNamespacedStatefulSetAsync(sourceName[..dash], k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return sts.Annotations() is { } a && a.TryGetValue(Workloads.ScaledBy, out var by) && by == context.MigrationId.ToString() ? sts : null;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The checkpoint archive and image deleted (<see cref="MigrationTraces"/>); what could not be is said, and the rollback goes on.</summary>
    private async Task RemoveTracesAsync(KubernetesCluster k, RollbackContext context, List<string> done, CancellationToken ct, string? agentRegistry = null)
    {
        try
        {
            done.AddRange(await MigrationTraces.RemoveAsync(_services, k, context.Source.Name, context.Service.Name, context.Artifacts, ct, agentRegistry).ConfigureAwait(false));
        }
        catch (EdgePortal.Agent.Contracts.AgentCallException e)
        {
            _logger.LogWarning("Rollback of {Service}: checkpoint traces not deleted: {Reason}", context.Service.Name, e.Message);
            done.Add($"the checkpoint archive and image are NOT deleted (delete them by hand): {e.Message}");
        }
    }

    /// <summary>Tells the destination cluster's webhook that the hand-over is withdrawn: the service runs in the source's cluster again.</summary>
    private async Task<string> RevokeHandOverAsync(KubernetesCluster target, RollbackContext context, string pod, CancellationToken ct)
    {
        var notice = await HandOvers.NoticeAsync(target, "rollback", context.MigrationId, context.Service, context.Cluster.Name, context.Source, context.Destination,
            pod, _time, ct).ConfigureAwait(false);
        try
        {
            return await _services.HandOver.NotifyAsync(target.Options.HandOver.Webhook!, notice, ct).ConfigureAwait(false) + " (rollback)";
        }
        catch (HandOverRefusedException e)
        {
            _logger.LogWarning("Rollback of {Service}: {Refusal}", context.Service.Name, e.Message);
            return $"{e.Message} (rollback): tell the load balancer or DNS by hand that {context.Service.Name} is in {context.Cluster.Name} again";
        }
    }

    /// <summary>
    /// A rollback that failed still deletes the checkpoint archive and image (issue 14 item 5: whatever the outcome); no
    /// rollback path restores from them. Best effort: what could not be deleted is said, for an operator.
    /// </summary>
    private async Task<string> TracesAfterFailureAsync(KubernetesCluster k, RollbackContext context, string? agentRegistry, CancellationToken ct)
    {
        var done = new List<string>();
        try
        {
            await RemoveTracesAsync(k, context, done, ct, agentRegistry).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _logger.LogWarning("Rollback of {Service}: checkpoint traces not deleted: {Reason}", context.Service.Name, e.Message);
            done.Add($"the checkpoint archive and image are NOT deleted (delete them by hand): {e.Message}");
        }
        return done.Count == 0 ? "" : $" ({string.Join("; ", done)})";
    }

    public override async Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var k = _clients.For(context.Cluster.Name)?.ForTenant(context.Service.TenantId);
        if (k is null)
            return new StepOutcome.Failure(NotConfigured(context.Cluster.Name));
        var ns = k.Options.Namespace;
        var done = new List<string>();
        // Across clusters the restored pods are in the destination's cluster; the source, its Service and the traces in the source's.
        var target = k;
        if (CrossCluster.Crosses(context))
        {
            if (_clients.For(context.TargetCluster.Name) is not { } other)
                return new StepOutcome.Failure(NotConfigured(context.TargetCluster.Name));
            target = other.ForTenant(context.Service.TenantId);
        }
        // The checkpoint image of a migration across clusters is in the registry both reach, through the source agents' route.
        var agentRegistry = target == k ? null : CrossCluster.Route(k.Name, k.Options, target.Name, target.Options)?.AgentRegistry;
        try
        {
            if (ReplayProtocol.IsReplay(context.Plan.Strategy))
                await ReplaySteps.RollbackAsync(k, _services, context, done, cancellationToken).ConfigureAwait(false);
            var source = await KubernetesPods.SourcePodAsync(k, context.Service.Name, context.Source.Name, cancellationToken, allowRetired: true).ConfigureAwait(false);
            var targets = await target.Client.CoreV1.ListNamespacedPodAsync(target.Options.Namespace, labelSelector: $"{KubernetesLabels.Migration}={context.MigrationId},{KubernetesLabels.Tenant}={k.Tenant}",
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (source is null && await ScaledStatefulSetAsync(k, context, cancellationToken).ConfigureAwait(false) is { } sts)
            {
                // The source was deleted by the scale-down; its state lives only in the checkpoint image.
                foreach (var pod in targets.Items)
                {
                    await KubernetesPods.DeletePodAsync(k, pod.Name(), cancellationToken).ConfigureAwait(false);
                    await new PodWatch(k.Client, _logger, _time).UntilDeletedAsync(ns, pod.Name(), cancellationToken).ConfigureAwait(false);
                    done.Add($"deleted the restored pod {pod.Name()}");
                }
                var replicas = int.Parse(sts.Annotations()[Workloads.ReplicasBefore], CultureInfo.InvariantCulture);
                var clear = new V1Patch(System.Text.Json.JsonSerializer.Serialize(new { metadata = new { annotations = new Dictionary<string, string?> { [RestoreStep.SourceManifest] = null } } }),
                    V1Patch.PatchType.MergePatch);
                await k.Client.AppsV1.PatchNamespacedStatefulSetAsync(clear, sts.Name(), ns, cancellationToken: cancellationToken).ConfigureAwait(false);
                await Workloads.ScaleStatefulSetAsync(k, sts.Name(), replicas, null, null, cancellationToken).ConfigureAwait(false);
                await KubernetesPods.RestoreSelectorAsync(k, context.Service.Name, cancellationToken).ConfigureAwait(false);
                done.Add($"StatefulSet {sts.Name()} scaled back to {replicas}: it recreates the pod from its template, without the checkpointed state");
                await RemoveTracesAsync(k, context, done, cancellationToken).ConfigureAwait(false);
                var restarted = new StepOutcome.Success(string.Join("; ", done));
                LogRollback(context, restarted);
                return restarted;
            }
            if (source is null)
            {
                var serving = targets.Items.FirstOrDefault(p => KubernetesPods.Label(p, KubernetesLabels.Role) == "serving");
                return new StepOutcome.Failure(serving is not null
                    ? $"the source pod of {context.Service.Name} on {context.Source.Name} is already deleted; the restored pod {serving.Name()} on {context.Destination.Name} serves and was kept — an operator must confirm where {context.Service.Name} runs"
                    : $"no pod of {context.Service.Name} is left on {context.Source.Name} ({k.PodSelector(context.Service.Name)}): recreate it from its manifest");
            }

            var selector = await KubernetesPods.SelectorAsync(k, context.Service.Name, cancellationToken).ConfigureAwait(false);
            var labels = source.Labels() ?? new Dictionary<string, string>();
            var missing = selector.Where(s => (labels.TryGetValue(s.Key, out var v) ? v : null) != s.Value).ToDictionary(s => s.Key, s => (string?)s.Value);
            if (missing.Count > 0 || labels.ContainsKey(KubernetesLabels.RetiredBy))
            {
                missing[KubernetesLabels.RetiredBy] = null;
                await KubernetesPods.PatchLabelsAsync(k, source.Name(), missing, cancellationToken).ConfigureAwait(false);
                done.Add($"traffic back on {source.Name()} on {context.Source.Name}");
            }
            var service = await k.Client.CoreV1.ReadNamespacedServiceAsync(context.Service.Name, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (service.Spec?.Selector?.ContainsKey(KubernetesLabels.InService) == true)
            {
                await KubernetesPods.RestoreSelectorAsync(k, context.Service.Name, cancellationToken).ConfigureAwait(false);
                done.Add($"the Service {context.Service.Name} selects {source.Name()} again (drain undone)");
            }
            // A restored pod that was given the traffic in another cluster: the hand-over webhook hears that it is withdrawn.
            var announced = target != k && target.Options.HandOver.Webhook is not null
                ? targets.Items.FirstOrDefault(p => KubernetesPods.Label(p, KubernetesLabels.Role) == "serving") : null;
            if (announced is not null)
                done.Add(await RevokeHandOverAsync(target, context, announced.Name(), cancellationToken).ConfigureAwait(false));
            foreach (var pod in targets.Items)
            {
                await KubernetesPods.DeletePodAsync(target, pod.Name(), cancellationToken).ConfigureAwait(false);
                done.Add($"deleted the restored pod {pod.Name()} on {pod.Spec?.NodeName ?? context.Destination.Name}{(target == k ? "" : $" in cluster {target.Name}")}");
            }
            if (context.CompletedSteps.Any(s => s.Kind == StepKind.SwitchTraffic))
            {
                await KubernetesPods.AnnotateServiceAsync(k, context.Service.Name, context.Source.Name, context.MigrationId, cancellationToken).ConfigureAwait(false);
            }
            await RemoveTracesAsync(k, context, done, cancellationToken, agentRegistry).ConfigureAwait(false);
            var message = done.Count == 0
                ? $"{context.Service.Name} serves from {source.Name()} on {context.Source.Name}; nothing to undo"
                : $"{string.Join("; ", done)}; {context.Service.Name} serves from {source.Name()} on {context.Source.Name}";
            var rolledBack = new StepOutcome.Success(message);
            LogRollback(context, rolledBack);
            return rolledBack;
        }
        catch (HttpOperationException e)
        {
            return new StepOutcome.Failure($"rollback of {context.Service.Name}: the API server answered {KubernetesPods.Describe(e, "rollback")}"
                + await TracesAfterFailureAsync(k, context, agentRegistry, cancellationToken).ConfigureAwait(false));
        }
        catch (HttpRequestException e)
        {
            return new StepOutcome.Failure($"rollback of {context.Service.Name}: the API server of {context.Cluster.Name} is unreachable: {e.Message}"
                + await TracesAfterFailureAsync(k, context, agentRegistry, cancellationToken).ConfigureAwait(false), TimeSpan.FromSeconds(10));
        }
        catch (EdgePortal.Agent.Contracts.AgentCallException e)
        {
            var so = done.Count == 0 ? "" : $" (done before: {string.Join("; ", done)})";
            return new StepOutcome.Failure($"rollback of {context.Service.Name}: {e.Message}{so}", e.Unreachable ? TimeSpan.FromSeconds(10) : null);
        }
    }
}
