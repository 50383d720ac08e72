using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>Finds the service's bare pod on the source node and its Service's selector, and checks the destination is Ready.</summary>
internal sealed class ProfileStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Profile;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name}: EdgePortal looks for the labels {k.PodSelector(c.Service.Name)} in namespace {k.Options.Namespace}");
        if (pod.Metadata.OwnerReferences is { Count: > 0 } owners)
        {
            var owner = owners[0];
            throw new StepFailedException($"pod {pod.Name()} is owned by {owner.Kind} {owner.Name}: the owner would recreate the source pod the migration deletes, on any node. EdgePortal migrates bare pods; run {c.Service.Name} as a bare pod with the label {KubernetesLabels.Service}, or pin the owner with node affinity and migrate by hand");
        }
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        if (selector.Count == 0)
            throw new StepFailedException($"the Service {c.Service.Name} in {k.Options.Namespace} has no selector: EdgePortal switches traffic by moving the selector's labels");
        var container = KubernetesPods.ContainerOf(pod);
        var destination = await k.Client.CoreV1.ReadNodeAsync(c.Destination.Name, cancellationToken: ct).ConfigureAwait(false);
        if (!KubernetesPods.IsReady(destination))
            throw new StepFailedException($"the destination node {c.Destination.Name} is not Ready");
        var source = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        return new StepResult(
            $"profiled pod {pod.Name()} (container {container.Name}, image {container.Image}) on {KubernetesPods.Describe(source)}; destination {KubernetesPods.Describe(destination)}",
            Artifacts: new StepArtifacts { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image });
    }
}
