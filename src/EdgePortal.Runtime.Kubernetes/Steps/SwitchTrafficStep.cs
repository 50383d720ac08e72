using System.Globalization;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// Gives the restored pod the labels it withheld (the Service's selector and its owner's) and records the serving node on
/// the Service. A bare source loses the Service's labels; a Deployment's source gets the lowest deletion cost first, so
/// the ReplicaSet, which now counts the adopted restored pod, removes the source rather than it; a StatefulSet is scaled
/// back and adopts the restored pod under its own name.
/// </summary>
internal sealed class SwitchTrafficStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.SwitchTraffic;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        if (CrossCluster.Crosses(c))
            return await AcrossAsync(k, Services.TargetOf(k, c.TargetCluster, c.Service.TenantId), c, ct).ConfigureAwait(false);
        var targetName = c.Stored.TargetPod ?? TargetPodBuilder.Name(c.Service.Name, c.MigrationId);
        var target = await KubernetesPods.ReadPodAsync(k, targetName, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"the restored pod {targetName} of {c.Service.Name} is gone");
        var ownerRef = target.Annotations() is { } a && a.TryGetValue(KubernetesLabels.Owner, out var o) ? o : null;
        var source = ownerRef is not null && ownerRef.StartsWith("StatefulSet/", StringComparison.Ordinal)
            ? null
            : await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false)
                ?? (ownerRef is null ? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone") : null);
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var withheld = target.Annotations() is { } w && w.TryGetValue(KubernetesLabels.Withheld, out var json)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [] : [];
        var add = selector.Concat(withheld).GroupBy(l => l.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value);
        add[KubernetesLabels.Role] = "serving";
        add[KubernetesLabels.InService] = "true";
        var done = "";
        var (ownerKind, ownerName) = ownerRef?.Split('/') is [var kind, var name] ? (kind, name) : ("", "");
        switch (ownerKind)
        {
            case "ReplicaSet":
                // Both pods match the ReplicaSet once the labels are back: it removes one, the lowest deletion cost first.
                if (source is not null)
                {
                    var retire = new { metadata = new
                    {
                        labels = new Dictionary<string, string> { [KubernetesLabels.RetiredBy] = c.MigrationId.ToString() },
                        annotations = new Dictionary<string, string> { [Workloads.DeletionCost] = int.MinValue.ToString(CultureInfo.InvariantCulture) },
                    } };
                    await k.Client.CoreV1.PatchNamespacedPodAsync(new V1Patch(JsonSerializer.Serialize(retire), V1Patch.PatchType.MergePatch), source.Name(),
                        k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
                }
                await KubernetesPods.PatchLabelsAsync(k, targetName, add, ct).ConfigureAwait(false);
                done = $"; the ReplicaSet {ownerName} adopts {targetName} and removes {source?.Name() ?? "the source"} (deletion cost {int.MinValue})";
                break;
            case "StatefulSet":
                var sts = await k.Client.AppsV1.ReadNamespacedStatefulSetAsync(ownerName, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
                // Scaled back first: labelled while the StatefulSet is still below its ordinal, the pod would be adopted and
                // condemned at once. Scaled back, the StatefulSet finds the name taken and adopts the pod once its labels match.
                if (sts.Annotations() is { } sa && sa.TryGetValue(Workloads.ReplicasBefore, out var before) && int.TryParse(before, CultureInfo.InvariantCulture, out var replicas))
                {
                    await Workloads.ScaleStatefulSetAsync(k, sts.Name(), replicas, null, null, ct).ConfigureAwait(false);
                    done = string.Create(CultureInfo.InvariantCulture, $"; StatefulSet {sts.Name()} scaled back to {replicas} adopts {targetName}");
                }
                await KubernetesPods.PatchLabelsAsync(k, targetName, add, ct).ConfigureAwait(false);
                break;
            default:
                await KubernetesPods.PatchLabelsAsync(k, targetName, add, ct).ConfigureAwait(false);
                var remove = selector.Keys.ToDictionary(key => key, _ => (string?)null);
                remove[KubernetesLabels.RetiredBy] = c.MigrationId.ToString();
                await KubernetesPods.PatchLabelsAsync(k, source!.Name(), remove, ct).ConfigureAwait(false);
                done = $"; {source.Name()} left it";
                break;
        }
        await KubernetesPods.AnnotateServiceAsync(k, c.Service.Name, c.Destination.Name, c.MigrationId, ct).ConfigureAwait(false);
        var interrupted = await InterruptionAsync(k, c, ct).ConfigureAwait(false);
        return new StepResult(
            $"the Service {c.Service.Name} now selects {targetName} on {c.Destination.Name} ({string.Join(",", selector.Select(s => $"{s.Key}={s.Value}"))}){done}{interrupted}",
            Artifacts: new StepArtifacts { TargetPod = targetName, SourcePod = source?.Name() ?? c.Stored.SourcePod });
    }

    /// <summary>The interruption: from the moment the source left the endpoints (the drain, on the source cluster's Service) to this switch.</summary>
    private async Task<string> InterruptionAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var service = await k.Client.CoreV1.ReadNamespacedServiceAsync(c.Service.Name, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        return service.Annotations() is { } a && a.TryGetValue(KubernetesLabels.DrainedAt, out var at)
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var drainedAt)
            ? $"; no pod served {c.Service.Name} for {Durations.Format((Services.Time.GetUtcNow() - drainedAt).TotalMilliseconds)} (drain to switch)"
            : "";
    }

    /// <summary>
    /// Into another cluster (bare pods only, Profile refused owned ones): the restored pod gets the labels of the destination
    /// cluster's Service, the webhook (if configured) is told and must accept, then the source gives up its Service's labels.
    /// A webhook that refuses fails the step before the source is touched: the rollback gives the source its traffic back.
    /// </summary>
    private async Task<StepResult> AcrossAsync(KubernetesCluster k, KubernetesCluster target, StepContext c, CancellationToken ct)
    {
        var targetName = c.Stored.TargetPod ?? TargetPodBuilder.Name(c.Service.Name, c.MigrationId);
        var restored = await KubernetesPods.ReadPodAsync(target, targetName, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"the restored pod {targetName} of {c.Service.Name} in cluster {target.Name} is gone");
        var source = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct, allowRetired: true).ConfigureAwait(false)
            ?? throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} in cluster {k.Name} is gone");
        var selector = await KubernetesPods.SelectorAsync(target, c.Service.Name, ct).ConfigureAwait(false);
        var withheld = restored.Annotations() is { } w && w.TryGetValue(KubernetesLabels.Withheld, out var json)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [] : [];
        var add = selector.Concat(withheld).GroupBy(l => l.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value);
        add[KubernetesLabels.Role] = "serving";
        await KubernetesPods.PatchLabelsAsync(target, targetName, add, ct).ConfigureAwait(false);
        var told = await HandOvers.SwitchAsync(Services, target, c, targetName, ct).ConfigureAwait(false);
        var leaving = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        var remove = leaving.Keys.Where(key => key != KubernetesLabels.InService).ToDictionary(key => key, _ => (string?)null);
        remove[KubernetesLabels.RetiredBy] = c.MigrationId.ToString();
        await KubernetesPods.PatchLabelsAsync(k, source.Name(), remove, ct).ConfigureAwait(false);
        await KubernetesPods.AnnotateServiceAsync(target, c.Service.Name, c.Destination.Name, c.MigrationId, ct).ConfigureAwait(false);
        var interrupted = await InterruptionAsync(k, c, ct).ConfigureAwait(false);
        return new StepResult(
            $"the Service {c.Service.Name} of cluster {target.Name} now selects {targetName} on {c.Destination.Name} ({string.Join(",", selector.Select(s => $"{s.Key}={s.Value}"))}); {source.Name()} in cluster {k.Name} left its Service{told}{interrupted}",
            Artifacts: new StepArtifacts { TargetPod = targetName, SourcePod = source.Name() });
    }
}
