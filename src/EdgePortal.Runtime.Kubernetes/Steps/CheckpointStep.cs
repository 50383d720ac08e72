using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;
using k8s.Autorest;

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
        var seconds = (int)Math.Ceiling(k.Options.CheckpointTimeout.TotalSeconds);
        var path = $"checkpoint/{ns}/{pod.Name()}/{container.Name}?timeout={seconds.ToString(CultureInfo.InvariantCulture)}";
        // On the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        using var deadline = new CancellationTokenSource(k.Options.CheckpointTimeout + TimeSpan.FromSeconds(15), Services.Time);
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
            throw new StepFailedException(CheckpointErrors.Describe(e, c.Source.Name, ns, pod.Name(), container.Name));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"checkpoint of {ns}/{pod.Name()}/{container.Name} on node {c.Source.Name} did not answer within {Durations.Format(k.Options.CheckpointTimeout.TotalMilliseconds)} (CheckpointTimeout)");
        }
        var archive = KubernetesPods.ParseItems(body)
            ?? throw new StepFailedException($"the kubelet on {c.Source.Name} answered the checkpoint without an archive path: {CheckpointErrors.Message(body)}");
        // items[0] names a file the agent will read: only a checkpoint archive directly in the kubelet's checkpoint directory.
        var directory = k.Options.KubeletCheckpointDirectory.TrimEnd('/');
        var file = archive.StartsWith(directory + "/", StringComparison.Ordinal) ? archive[(directory.Length + 1)..] : null;
        if (file is null || file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)
            || !file.StartsWith("checkpoint-", StringComparison.Ordinal) || !file.EndsWith(".tar", StringComparison.Ordinal))
            throw new StepFailedException($"the kubelet on {c.Source.Name} wrote the checkpoint to {archive}, outside {directory} (KubeletCheckpointDirectory): set it to the kubelet's <root-dir>/checkpoints of this distribution (k3s, MicroK8s use other roots) and mount that directory into the agent");
        return new StepResult($"took {pod.Name()} out of the Service {c.Service.Name} ({drained} before the checkpoint); checkpointed {ns}/{pod.Name()}/{container.Name} on {c.Source.Name} into {archive}; the container keeps running",
            Artifacts: new StepArtifacts { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image, ArchivePath = archive });
    }
}
