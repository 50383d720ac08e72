using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>Moves the Service's selector labels from the source pod to the restored one and records the serving node on the Service.</summary>
internal sealed class SwitchTrafficStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.SwitchTraffic;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var targetName = c.Stored.TargetPod ?? TargetPodBuilder.Name(c.Service.Name, c.MigrationId);
        var source = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false)
            ?? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone");
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var add = selector.ToDictionary(s => s.Key, s => (string?)s.Value);
        add[KubernetesLabels.Role] = "serving";
        await KubernetesPods.PatchLabelsAsync(k, targetName, add, ct).ConfigureAwait(false);
        var remove = selector.Keys.ToDictionary(key => key, _ => (string?)null);
        remove[KubernetesLabels.RetiredBy] = c.MigrationId.ToString();
        await KubernetesPods.PatchLabelsAsync(k, source.Name(), remove, ct).ConfigureAwait(false);
        await KubernetesPods.AnnotateServiceAsync(k, c.Service.Name, c.Destination.Name, c.MigrationId, ct).ConfigureAwait(false);
        return new StepResult(
            $"the Service {c.Service.Name} now selects {targetName} on {c.Destination.Name} ({string.Join(",", selector.Select(s => $"{s.Key}={s.Value}"))}); {source.Name()} left it",
            Artifacts: new StepArtifacts { TargetPod = targetName, SourcePod = source.Name() });
    }
}
