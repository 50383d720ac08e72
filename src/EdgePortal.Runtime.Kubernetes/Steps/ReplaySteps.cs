using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Replay;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// A step of MessageReplay or ReplayWithCutoff on a Kubernetes cluster: the service as the cluster's broker section names
/// it (<see cref="KubernetesClusterOptions.Broker"/>), then the step's own work around <see cref="ReplayProtocol"/>, the
/// hand-over the Agent runtime runs too. Transfer and Restore are Cold's (<see cref="TransferStep"/>, <see cref="RestoreStep"/>).
/// </summary>
internal abstract class ReplayStep(KubernetesStepServices services, ReplayProtocol replay) : KubernetesStep(services)
{
    protected ReplayProtocol Replay { get; } = replay;

    public override bool Handles(MigrationStrategy strategy) => ReplayProtocol.IsReplay(strategy);

    protected sealed override Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct) =>
        RunAsync(k, c, ReplaySteps.Target(k, c.Cluster.Name, c.Service.Name), ct);

    protected abstract Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct);
}

/// <summary>
/// Cold's profile (pod, owner, volumes, Service, base image pulled on the destination) and the service's queue on the
/// broker. A StatefulSet's pod is refused: its restored copy needs the pod's name, which the source holds while it keeps
/// serving. Reads only (the pull is idempotent): safe to repeat.
/// </summary>
internal sealed class ReplayProfileStep(KubernetesStepServices services, ReplayProtocol replay) : ReplayStep(services, replay)
{
    private readonly ProfileStep _cold = new(services);

    public override StepKind Kind => StepKind.Profile;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false);
        if (pod is not null && await Workloads.OwnerAsync(k, pod, ct).ConfigureAwait(false) is { IsStatefulSet: true } owner)
            throw new StepFailedException($"{c.Service.Name} cannot migrate with {c.Plan.Strategy}: its pod {pod.Name()} belongs to {owner.Describe()}, whose restored pod must take the name {pod.Name()}, which the source keeps while it serves during the replay — migrate it Cold");
        var profiled = await _cold.RunAsync(c, ct).ConfigureAwait(false);
        var queue = await Replay.ProfileAsync(c, t, ct).ConfigureAwait(false);
        return profiled with { Message = $"{profiled.Message}; {queue}" };
    }
}

/// <summary>
/// The replay queue bound and the marker answered, then the kubelet's checkpoint (the container keeps running and keeps
/// serving: no drain), then <c>dumped</c>. Not safe to repeat: the source already remembers the replay queue of the first
/// marker; a rollback deletes the queue, the archive and the image instead.
/// </summary>
internal sealed class ReplayCheckpointStep(KubernetesStepServices services, ReplayProtocol replay) : ReplayStep(services, replay)
{
    public override StepKind Kind => StepKind.Checkpoint;

    public override bool SafeToRepeat => false;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name} to checkpoint");
        var container = KubernetesPods.ContainerOf(pod);
        var checkpoint = await Replay.CheckpointAsync(c, t, async dumpCt =>
        {
            var before = Services.Time.GetTimestamp();
            var archive = await CheckpointStep.KubeletCheckpointAsync(Services, k, c, pod, container, dumpCt).ConfigureAwait(false);
            return (Archive: archive, Ms: Services.Time.GetElapsedTime(before).TotalMilliseconds);
        }, ct).ConfigureAwait(false);
        var (archive, ms) = checkpoint.Dumped;
        var ns = k.Options.Namespace;
        // The kubelet reports no freeze time: the whole checkpoint call bounds it, and counts as the downtime it may be.
        return new StepResult(
            $"{checkpoint.Bound(c.Service.Name, c.Source.Name)}; checkpointed {ns}/{pod.Name()}/{container.Name} on {c.Source.Name} into {archive} in {Durations.Format(ms)} (the container frozen at most that long); {c.Service.Name} keeps serving {checkpoint.Target.Queue} on {c.Source.Name} (#{checkpoint.AfterDump.Last} applied)",
            null,
            checkpoint.Artifacts with { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image, ArchivePath = archive },
            ms);
    }
}

/// <summary>
/// The replay (round 0: wait for the copy to catch up or for the cutoff; round 1: pause the source and drain). Not safe to
/// repeat: round 1 may have paused the source without the pause's sequence number being stored.
/// </summary>
internal sealed class ReplayMessagesStep(KubernetesStepServices services, ReplayProtocol replay) : ReplayStep(services, replay)
{
    public override StepKind Kind => StepKind.ReplayMessages;

    public override bool SafeToRepeat => false;

    protected override Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct) =>
        Replay.ReplayMessagesAsync(c, t, ct);
}

/// <summary>
/// The source paused (unless the cutoff did) and the copy switched from the replay queue to the service's queue, then
/// Cold's switch of the Service's labels to the restored pod (the owner adopts it). Not safe to repeat: the switch moves the copy's consumer.
/// </summary>
internal sealed class ReplaySwitchStep(KubernetesStepServices services, ReplayProtocol replay) : ReplayStep(services, replay)
{
    private readonly SwitchTrafficStep _cold = new(services);

    public override StepKind Kind => StepKind.SwitchTraffic;

    public override bool SafeToRepeat => false;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct)
    {
        var switched = await Replay.SwitchAsync(c, t, ct).ConfigureAwait(false);
        var labels = await _cold.RunAsync(c, ct).ConfigureAwait(false);
        return new StepResult($"{switched.Message}; {labels.Message}", null,
            StepArtifacts.Merge(switched.Artifacts ?? StepArtifacts.None, labels.Artifacts ?? StepArtifacts.None));
    }
}

/// <summary>
/// Cold's clean-up (the source pod deleted once the owner adopted the restored one, the archive and the image deleted),
/// then, once the source pod is gone — a paused source told to exit would be restarted by the kubelet, without its state,
/// on the service's queue — the replay and resume queues deleted. Safe to repeat: each part checks what is left.
/// </summary>
internal sealed class ReplayCleanUpStep(KubernetesStepServices services, ReplayProtocol replay) : ReplayStep(services, replay)
{
    private readonly CleanUpStep _cold = new(services);

    public override StepKind Kind => StepKind.CleanUp;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, ReplayTarget t, CancellationToken ct)
    {
        var source = c.Stored.SourcePod;
        var cold = await _cold.RunAsync(c, ct).ConfigureAwait(false);
        if (source is not null)
            await ReplaySteps.UntilDeletedAsync(Services, k, source, c.Source.Name, ct).ConfigureAwait(false);
        var queues = await Replay.CleanUpAsync(c, t, ct).ConfigureAwait(false);
        return new StepResult(queues.Count == 0 ? cold.Message : $"{cold.Message}; {string.Join("; ", queues)}", null, cold.Artifacts);
    }
}

internal static class ReplaySteps
{
    /// <summary>The replay's handlers of the Kubernetes runtime.</summary>
    public static IEnumerable<StepHandler> All(KubernetesStepServices services, ReplayProtocol replay) =>
    [
        new ReplayProfileStep(services, replay), new ReplayCheckpointStep(services, replay), new ReplayMessagesStep(services, replay),
        new ReplaySwitchStep(services, replay), new ReplayCleanUpStep(services, replay),
    ];

    /// <summary>The service in the cluster's broker section; a refusal names the key to configure.</summary>
    public static ReplayTarget Target(KubernetesCluster k, string cluster, string service)
    {
        try
        {
            return ReplayProtocol.Target(k.Options.Broker, KubernetesEdgeRuntime.BrokerKey(cluster), service);
        }
        catch (EdgePortal.Agent.Contracts.AgentCallException e)
        {
            throw new StepFailedException(e.Message);
        }
    }

    /// <summary>Waits, up to <see cref="KubernetesClusterOptions.ReadyTimeout"/>, until the pod <paramref name="pod"/> is gone.</summary>
    public static async Task UntilDeletedAsync(KubernetesStepServices services, KubernetesCluster k, string pod, string node, CancellationToken ct)
    {
        using var deadline = new CancellationTokenSource(k.Options.ReadyTimeout, services.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            await new PodWatch(k.Client, services.Logger, services.Time).UntilDeletedAsync(k.Options.Namespace, pod, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"the pod {pod} on {node} was not gone within {Durations.Format(k.Options.ReadyTimeout.TotalMilliseconds)} (ReadyTimeout): the replay's queues stay until it is", TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// The replay's part of a rollback, before Cold's: the restored pods deleted and gone first (source and copy must never
    /// consume the same queue), then the protocol resumes the source if it was paused and deletes the queues.
    /// </summary>
    public static async Task RollbackAsync(KubernetesCluster k, KubernetesStepServices services, RollbackContext c, List<string> done, CancellationToken ct)
    {
        var targets = await k.Client.CoreV1.ListNamespacedPodAsync(k.Options.Namespace,
            labelSelector: $"{KubernetesLabels.Migration}={c.MigrationId},{KubernetesLabels.Tenant}={k.Tenant}", cancellationToken: ct).ConfigureAwait(false);
        foreach (var pod in targets.Items)
        {
            await KubernetesPods.DeletePodAsync(k, pod.Name(), ct).ConfigureAwait(false);
            await UntilDeletedAsync(services, k, pod.Name(), pod.Spec?.NodeName ?? c.Destination.Name, ct).ConfigureAwait(false);
            done.Add($"deleted the restored pod {pod.Name()} on {pod.Spec?.NodeName ?? c.Destination.Name}");
        }
        if (k.Options.Broker is not null)
            await ReplayProtocol.RollbackAsync(c, Target(k, c.Cluster.Name, c.Service.Name), done, ct).ConfigureAwait(false);
    }
}
