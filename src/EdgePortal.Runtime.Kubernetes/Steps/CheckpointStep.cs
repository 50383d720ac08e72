using System.Net;
using EdgePortal.Agent.Contracts;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>The kubelet's checkpoint of the source container (it keeps running); the archive path is the step's artifact.</summary>
internal sealed class CheckpointStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Checkpoint;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name} to checkpoint");
        var container = KubernetesPods.ContainerOf(pod);
        var ns = k.Options.Namespace;
        // No lost writes: out of the Service and drained before the checkpoint, the source accepts nothing the checkpoint misses.
        var drainedAt = await KubernetesPods.DrainAsync(k, pod, c.Service.Name, Services.Time, ct).ConfigureAwait(false);
        var drained = Durations.Format((Services.Time.GetUtcNow() - drainedAt).TotalMilliseconds);
        var archive = await KubeletCheckpointAsync(Services, k, c, pod, container, ct).ConfigureAwait(false);
        return new StepResult($"took {pod.Name()} out of the Service {c.Service.Name} ({drained} before the checkpoint); checkpointed {ns}/{pod.Name()}/{container.Name} on {c.Source.Name} into {archive}; the container keeps running",
            Artifacts: new StepArtifacts { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image, ArchivePath = archive });
    }

    /// <summary>
    /// The kubelet's checkpoint of <paramref name="container"/>, asked by the source node's agent; the archive path, checked
    /// against <see cref="KubernetesClusterOptions.KubeletCheckpointDirectory"/>. The container keeps running.
    /// </summary>
    internal static async Task<string> KubeletCheckpointAsync(KubernetesStepServices services, KubernetesCluster k, StepContext c, V1Pod pod, V1Container container,
        CancellationToken ct)
    {
        var ns = k.Options.Namespace;
        var seconds = (int)Math.Ceiling(k.Options.CheckpointTimeout.TotalSeconds);
        // The node's agent asks its own kubelet (nodes/checkpoint, create): the portal reaches no kubelet. The agent waits the
        // CRI deadline and 15 s more for the kubelet's answer, and the portal 15 s more than that, so the kubelet's own
        // DeadlineExceeded always arrives; both waits run on the injected clock, so a deadline can be tested without waiting.
        var node = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        var agent = services.Agent(k, node, CheckpointWait(k.Options));
        KubeletCheckpointAnswer answer;
        try
        {
            answer = await agent.KubeletCheckpointAsync(new KubeletCheckpointCall
            {
                Namespace = ns,
                Pod = pod.Name(),
                Container = container.Name,
                TimeoutSeconds = seconds,
            }, ct).ConfigureAwait(false);
        }
        catch (AgentCallException e) when (e.InnerException is OperationCanceledException)
        {
            throw new StepFailedException($"checkpoint of {ns}/{pod.Name()}/{container.Name} on node {c.Source.Name} did not answer within {Durations.Format(CheckpointWait(k.Options).TotalMilliseconds)} (CheckpointTimeout, the kubelet's CRI deadline, and 30 s for the agent and the portal to hear its answer)");
        }
        catch (AgentCallException e)
        {
            var hint = e.Unreachable && e.Status is null ? " — is the edgeportal-agent DaemonSet running on that node?" : "";
            throw new StepFailedException($"checkpoint of {ns}/{pod.Name()}/{container.Name} on node {c.Source.Name}: {e.Message}{hint}");
        }
        if (answer.Status != 200)
            throw new StepFailedException(CheckpointErrors.Describe((HttpStatusCode)answer.Status, answer.Message, c.Source.Name, ns, pod.Name(), container.Name));
        var archive = answer.Path
            ?? throw new StepFailedException($"the kubelet on {c.Source.Name} answered the checkpoint without an archive path: {CheckpointErrors.Message(answer.Message)}");
        // items[0] names a file the agent will read: only a checkpoint archive directly in the kubelet's checkpoint directory.
        var directory = k.Options.KubeletCheckpointDirectory.TrimEnd('/');
        var file = archive.StartsWith(directory + "/", StringComparison.Ordinal) ? archive[(directory.Length + 1)..] : null;
        if (file is null || file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)
            || !file.StartsWith("checkpoint-", StringComparison.Ordinal) || !file.EndsWith(".tar", StringComparison.Ordinal))
            throw new StepFailedException($"the kubelet on {c.Source.Name} wrote the checkpoint to {archive}, outside {directory} (KubeletCheckpointDirectory): set it to the kubelet's <root-dir>/checkpoints of this distribution (k3s, MicroK8s use other roots) and mount that directory into the agent");
        if (answer.Archive is null)
            throw new StepFailedException($"the kubelet on {c.Source.Name} wrote {archive}, but the agent does not find it in its checkpoint directory: mount {directory} into the agent (its EdgePortal:Agent:CheckpointDirectory)");
        return archive;
    }

    /// <summary>The portal's wait for the agent's answer: the CRI deadline, the agent's margin, and 15 s more.</summary>
    internal static TimeSpan CheckpointWait(KubernetesClusterOptions o) =>
        TimeSpan.FromSeconds(Math.Ceiling(o.CheckpointTimeout.TotalSeconds)) + TimeSpan.FromSeconds(30);
}
