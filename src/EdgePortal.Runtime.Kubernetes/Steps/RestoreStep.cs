using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// Creates the target pod from the checkpoint image on the destination node (or keeps the one an earlier attempt created)
/// and waits until it is Ready. A StatefulSet's pod keeps its name: the StatefulSet is first scaled below the pod's ordinal
/// (it deletes the source itself and does not recreate it), the source's manifest kept on the StatefulSet for a repeated step.
/// </summary>
internal sealed class RestoreStep(KubernetesStepServices services) : KubernetesStep(services)
{
    /// <summary>On a StatefulSet a migration scaled down: the source pod's manifest, to restore from when the step runs again.</summary>
    internal const string SourceManifest = "edgeportal.io/source-pod";

    public override StepKind Kind => StepKind.Restore;

    /// <summary>Cold's and the replay's: the restored pod is the same (its broker connection restored closed, it reconnects and replays).</summary>
    public override bool Handles(MigrationStrategy strategy) => KubernetesCapabilities.Executes(strategy);

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var stored = c.Stored;
        var ns = k.Options.Namespace;
        var source = (stored.SourcePod is { } sourceName ? await KubernetesPods.ReadPodAsync(k, sourceName, ct).ConfigureAwait(false) : null)
            ?? await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false);
        var owner = source is null ? null : await Workloads.OwnerAsync(k, source, ct).ConfigureAwait(false);
        if (source is null && stored.SourcePod is { } gone)
            (source, owner) = await ScaledDownSourceAsync(k, gone, c, ct).ConfigureAwait(false);
        if (source is null)
            throw new StepFailedException($"the source pod of {c.Service.Name} on {c.Source.Name} is gone: nothing to restore from");

        // Across clusters the pod is restored in the destination's cluster, under its Service's selector, pulling from the
        // registry both reach as the destination's nodes name it, with the destination's pull Secret.
        var target = Services.TargetOf(k, c.TargetCluster, c.Service.TenantId);
        var crosses = CrossCluster.Crosses(c);
        var selector = await KubernetesPods.SelectorAsync(target, c.Service.Name, ct).ConfigureAwait(false);
        // By digest when the push reported one: the pod runs exactly the image pushed, never what a tag points to later.
        var image = crosses
            ? TargetPodBuilder.ByDigest($"{KubernetesStepServices.RouteOf(k, target).Registry}/{TargetPodBuilder.Repository(c.Service.Name)}:{TargetPodBuilder.Tag(c.MigrationId)}", stored.ImageDigest)
            : TargetPodBuilder.ByDigest(stored.Image ?? TargetPodBuilder.ImageReference(k, c.Service.Name, c.MigrationId), stored.ImageDigest);
        var pod = TargetPodBuilder.Build(source, selector, image, c, owner, target.Options.ImagePullSecret);
        pod.Metadata.NamespaceProperty = target.Options.Namespace;
        if (crosses)
            pod.Metadata.Annotations[KubernetesLabels.RestoredFrom] = $"{k.Name}/{source.Namespace()}/{source.Name()}";
        using var deadline = new CancellationTokenSource(target.Options.ReadyTimeout, Services.Time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        var watch = new PodWatch(target.Client, Services.Logger, Services.Time);
        var scaled = "";
        if (owner is { IsStatefulSet: true } sts && source.Spec?.NodeName == c.Source.Name && source.Metadata.DeletionTimestamp is null
            && KubernetesPods.Label(source, KubernetesLabels.Migration) is null)
        {
            // The pod's name is its identity: the source must be gone before the restored pod can take it. Scaled below the
            // ordinal, the StatefulSet deletes the source and creates nothing in its place; its manifest stays on the
            // StatefulSet in case this step runs again after the source is gone.
            var manifest = KubernetesJson.Serialize(source);
            var patch = new V1Patch(System.Text.Json.JsonSerializer.Serialize(new { metadata = new { annotations = new Dictionary<string, string> { [SourceManifest] = manifest } } }),
                V1Patch.PatchType.MergePatch);
            await k.Client.AppsV1.PatchNamespacedStatefulSetAsync(patch, sts.Name, ns, cancellationToken: ct).ConfigureAwait(false);
            await Workloads.ScaleStatefulSetAsync(k, sts.Name, sts.Ordinal!.Value, sts.Replicas, c.MigrationId.ToString(), ct).ConfigureAwait(false);
            try
            {
                await watch.UntilDeletedAsync(ns, source.Name(), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new StepFailedException($"StatefulSet {sts.Name} scaled to {sts.Ordinal} did not delete {source.Name()} within {Durations.Format(k.Options.ReadyTimeout.TotalMilliseconds)} (ReadyTimeout)");
            }
            scaled = string.Create(CultureInfo.InvariantCulture, $"StatefulSet {sts.Name} scaled {sts.Replicas} → {sts.Ordinal} to free the name {source.Name()}; ");
        }

        var existing = await KubernetesPods.ReadPodAsync(target, pod.Name(), ct).ConfigureAwait(false);
        if (existing is null)
            await target.Client.CoreV1.CreateNamespacedPodAsync(pod, target.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);

        // On the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        try
        {
            await watch.UntilAsync(target.Options.Namespace, null, $"metadata.name={pod.Name()}", KubernetesPods.IsReady, KubernetesPods.CannotStart, timeout.Token).ConfigureAwait(false);
        }
        catch (PodWatchFailedException e)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} cannot start: {e.Message}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"the restored pod {pod.Name()} on {c.Destination.Name} was not Ready within {Durations.Format(target.Options.ReadyTimeout.TotalMilliseconds)} (ReadyTimeout)");
        }
        return new StepResult($"{scaled}restored pod {pod.Name()} on {c.Destination.Name}{(crosses ? $" in cluster {target.Name}" : "")} from {image}; Ready",
            Artifacts: new StepArtifacts { TargetPod = pod.Name(), SourcePod = source.Name() });
    }

    /// <summary>The source of a StatefulSet this migration already scaled down (a repeated step): its manifest from the StatefulSet.</summary>
    private static async Task<(V1Pod?, WorkloadOwner?)> ScaledDownSourceAsync(KubernetesCluster k, string sourceName, StepContext c, CancellationToken ct)
    {
        // A StatefulSet's pod is named <statefulset>-<ordinal>.
        var dash = sourceName.LastIndexOf('-');
        if (dash <= 0)
            return (null, null);
        V1StatefulSet sts;
        try
        {
            sts = await k.Client.AppsV1.ReadNamespacedStatefulSetAsync(sourceName[..dash], k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return (null, null);
        }
        if (sts.Annotations() is not { } a || !a.TryGetValue(Workloads.ScaledBy, out var by) || by != c.MigrationId.ToString() || !a.ContainsKey(SourceManifest))
            return (null, null);
        var source = KubernetesJson.Deserialize<V1Pod>(sts.Annotations()[SourceManifest]);
        return source.Name() == sourceName ? (source, await Workloads.OwnerAsync(k, source, ct).ConfigureAwait(false)) : (null, null);
    }
}
