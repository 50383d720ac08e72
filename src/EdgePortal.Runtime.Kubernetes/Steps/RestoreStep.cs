using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>Creates the target pod from the checkpoint image on the destination node (or keeps the one an earlier attempt created) and waits until it is Ready.</summary>
internal sealed class RestoreStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Restore;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var stored = c.Stored;
        var source = (stored.SourcePod is { } sourceName ? await KubernetesPods.ReadPodAsync(k, sourceName, ct).ConfigureAwait(false) : null)
            ?? await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone: nothing to restore from");
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var image = stored.Image ?? TargetPodBuilder.ImageReference(k, c.Service.Name, c.MigrationId);
        var pod = TargetPodBuilder.Build(source, selector, image, c);
        var ns = k.Options.Namespace;
        var existing = await KubernetesPods.ReadPodAsync(k, pod.Name(), ct).ConfigureAwait(false);
        if (existing is null)
            await k.Client.CoreV1.CreateNamespacedPodAsync(pod, ns, cancellationToken: ct).ConfigureAwait(false);

        // On the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        using var deadline = new CancellationTokenSource(k.Options.ReadyTimeout, Services.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var watch = new PodWatch(k.Client, Services.Logger, Services.Time);
        try
        {
            await watch.UntilAsync(ns, null, $"metadata.name={pod.Name()}", KubernetesPods.IsReady, KubernetesPods.CannotStart, timeout.Token).ConfigureAwait(false);
        }
        catch (PodWatchFailedException e)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} cannot start: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} was not Ready within {Durations.Format(k.Options.ReadyTimeout.TotalMilliseconds)} (ReadyTimeout)");
        }
        return new StepResult($"restored pod {pod.Name()} on {c.Destination.Name} from {image}; Ready",
            Artifacts: new StepArtifacts { TargetPod = pod.Name(), SourcePod = source.Name() });
    }
}
