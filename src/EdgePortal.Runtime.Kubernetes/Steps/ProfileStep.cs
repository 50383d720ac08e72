using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// Finds the service's pod on the source node, its owner (none, a Deployment's ReplicaSet, a StatefulSet) and its Service's
/// selector; refuses what cannot follow the pod (its volumes, an owner that would fight the move) with the reason; checks the destination is Ready.
/// </summary>
internal sealed class ProfileStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Profile;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name}: EdgePortal looks for the labels {k.PodSelector(c.Service.Name)} in namespace {k.Options.Namespace}");
        var owner = await Workloads.OwnerAsync(k, pod, ct).ConfigureAwait(false);
        if (owner is not null && await Workloads.RefusalAsync(k, pod, owner, ct).ConfigureAwait(false) is { } refusal)
            throw new StepFailedException(refusal);
        var (volumes, volumeRefusal) = await Workloads.VolumesAsync(k, pod, owner, ct).ConfigureAwait(false);
        if (volumeRefusal is not null)
            throw new StepFailedException($"{c.Service.Name} cannot migrate: {volumeRefusal}");
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        if (selector.Count == 0)
            throw new StepFailedException($"the Service {c.Service.Name} in {k.Options.Namespace} has no selector: EdgePortal switches traffic by moving the selector's labels");
        var container = KubernetesPods.ContainerOf(pod);
        var destination = await k.Client.CoreV1.ReadNodeAsync(c.Destination.Name, cancellationToken: ct).ConfigureAwait(false);
        if (!KubernetesPods.IsReady(destination))
            throw new StepFailedException($"the destination node {c.Destination.Name} is not Ready");
        var source = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        return new StepResult(
            $"profiled pod {pod.Name()} (container {container.Name}, image {container.Image}{(owner is null ? ", bare pod" : $", owned by {owner.Describe()}")}) on {KubernetesPods.Describe(source)}; destination {KubernetesPods.Describe(destination)}{(volumes.Count == 0 ? "" : $"; volumes: {string.Join("; ", volumes)}")}",
            Artifacts: new StepArtifacts { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image });
    }
}
