using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>Deletes the source pod the switch took traffic from.</summary>
internal sealed class CleanUpStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.CleanUp;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var source = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false);
        if (source is null)
            return new StepResult($"no pod of {c.Service.Name} left on {c.Source.Name}");
        await KubernetesPods.DeletePodAsync(k, source.Name(), ct).ConfigureAwait(false);
        return new StepResult($"deleted the source pod {source.Name()} on {c.Source.Name}");
    }
}
