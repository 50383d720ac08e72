using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;
using EdgePortal.Agent.Contracts;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// Deletes the source pod the switch took traffic from — for an owned pod only once its owner has adopted the restored
/// one, so the owner never counts one pod short and never creates a stateless copy — and clears what the migration left
/// on a StatefulSet.
/// </summary>
internal sealed class CleanUpStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.CleanUp;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        if (CrossCluster.Crosses(c))
            return await AcrossAsync(k, Services.TargetOf(k, c.TargetCluster, c.Service.TenantId), c, ct).ConfigureAwait(false);
        var targetName = c.Stored.TargetPod ?? TargetPodBuilder.Name(c.Service.Name, c.MigrationId);
        var target = await KubernetesPods.ReadPodAsync(k, targetName, ct).ConfigureAwait(false);
        var ownerRef = target?.Annotations() is { } a && a.TryGetValue(KubernetesLabels.Owner, out var o) ? o : null;
        var adopted = ownerRef is null || target?.Metadata.OwnerReferences?.Any(r => r.Controller == true && $"{r.Kind}/{r.Name}" == ownerRef) == true;
        if (!adopted)
            throw new StepFailedException($"{ownerRef} has not adopted the restored pod {targetName} yet: the source stays until it has", TimeSpan.FromSeconds(2));
        if (ownerRef?.StartsWith("StatefulSet/", StringComparison.Ordinal) == true)
        {
            var patch = new V1Patch(System.Text.Json.JsonSerializer.Serialize(new { metadata = new { annotations = new Dictionary<string, string?> { [RestoreStep.SourceManifest] = null } } }),
                V1Patch.PatchType.MergePatch);
            await k.Client.AppsV1.PatchNamespacedStatefulSetAsync(patch, ownerRef.Split('/')[1], k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            await KubernetesPods.RestoreSelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
            return new StepResult($"{ownerRef} owns {targetName} on {c.Destination.Name}; the source was deleted by the scale-down{await TracesAsync(k, c, ct).ConfigureAwait(false)}");
        }
        var source = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false);
        if (source is not null)
            await KubernetesPods.DeletePodAsync(k, source.Name(), ct).ConfigureAwait(false);
        // No source is left to serve: the Service gets its own selector back.
        await KubernetesPods.RestoreSelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var traces = await TracesAsync(k, c, ct).ConfigureAwait(false);
        if (source is null)
            return new StepResult($"no pod of {c.Service.Name} left on {c.Source.Name}{(ownerRef is null ? "" : $"; {ownerRef} owns {targetName}")}{traces}");
        return new StepResult($"deleted the source pod {source.Name()} on {c.Source.Name}{(ownerRef is null ? "" : $"; {ownerRef} owns {targetName}")}{traces}");
    }

    /// <summary>
    /// Into another cluster: the source is deleted only once the restored pod is Ready and the endpoints of the destination
    /// cluster's Service list it (it receives traffic); until then the step is retried and the source kept.
    /// </summary>
    private async Task<StepResult> AcrossAsync(KubernetesCluster k, KubernetesCluster target, StepContext c, CancellationToken ct)
    {
        var targetName = c.Stored.TargetPod ?? TargetPodBuilder.Name(c.Service.Name, c.MigrationId);
        var restored = await KubernetesPods.ReadPodAsync(target, targetName, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"the restored pod {targetName} in cluster {target.Name} is gone: the source in {k.Name} is kept");
        if (!KubernetesPods.IsReady(restored))
            throw new StepFailedException($"the restored pod {targetName} in cluster {target.Name} is not Ready: the source in {k.Name} is kept until it is", TimeSpan.FromSeconds(2));
        if (!(await KubernetesPods.ReadEndpointsAsync(target, c.Service.Name, ct).ConfigureAwait(false)).Contains(targetName))
            throw new StepFailedException($"the endpoints of the Service {c.Service.Name} in cluster {target.Name} do not list {targetName} yet: the source in {k.Name} is kept until they do", TimeSpan.FromSeconds(2));
        var source = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false);
        if (source is not null)
            await KubernetesPods.DeletePodAsync(k, source.Name(), ct).ConfigureAwait(false);
        await KubernetesPods.RestoreSelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var traces = await TracesAsync(k, c, ct, KubernetesStepServices.RouteOf(k, target).AgentRegistry).ConfigureAwait(false);
        return new StepResult(source is null
            ? $"no pod of {c.Service.Name} left on {c.Source.Name} in cluster {k.Name}; {targetName} serves in {target.Name}{traces}"
            : $"deleted the source pod {source.Name()} on {c.Source.Name} in cluster {k.Name} once {targetName} served in {target.Name}{traces}");
    }

    /// <summary>
    /// The archive and the image deleted (<see cref="MigrationTraces"/>), as "; …" to append. An agent that does not answer
    /// fails the step for a retry; one that refuses (a registry that allows no deletes) is said, and the migration still ends.
    /// </summary>
    private async Task<string> TracesAsync(KubernetesCluster k, StepContext c, CancellationToken ct, string? agentRegistry = null)
    {
        try
        {
            var done = await MigrationTraces.RemoveAsync(Services, k, c.Source.Name, c.Service.Name, c.Stored, ct, agentRegistry).ConfigureAwait(false);
            return done.Count == 0 ? "" : "; " + string.Join("; ", done);
        }
        catch (AgentCallException e) when (e.Unreachable)
        {
            throw new StepFailedException($"the source pod's clean-up is done, but the checkpoint archive and image are not deleted yet: {e.Message}", TimeSpan.FromSeconds(10));
        }
        catch (AgentCallException e)
        {
            Services.Logger.LogWarning("Clean-up of {Service}: {Refusal}", c.Service.Name, e.Message);
            return $"; NOT deleted, delete by hand: {e.Message}";
        }
    }
}
