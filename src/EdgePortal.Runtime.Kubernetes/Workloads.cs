using System.Globalization;
using System.Net;
using System.Text.Json;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// The controller that owns a pod, as far as a migration cares: none (a bare pod), a ReplicaSet (of a Deployment or
/// alone) or a StatefulSet; the labels of its selector (which the restored pod withholds until the switch, so the
/// owner neither adopts it too early nor counts it); and for a StatefulSet the pod's ordinal.
/// </summary>
internal sealed record WorkloadOwner(string Kind, string Name, string Uid, string? Deployment, IReadOnlyDictionary<string, string> Selector, int? Ordinal, int Replicas)
{
    public bool IsReplicaSet => Kind == "ReplicaSet";

    public bool IsStatefulSet => Kind == "StatefulSet";

    public string Describe() => Deployment is { } d ? $"Deployment {d} (ReplicaSet {Name})" : $"{Kind} {Name}";
}

/// <summary>
/// Owned workloads (issue 16 item 1): which controller owns the source pod, whether it can migrate, how its volumes
/// follow it. The design after SHADOW is in docs/kubernetes.md: a Deployment's pod is restored beside the source
/// without the ReplicaSet's labels, takes them at the switch (the ReplicaSet adopts it) and the source, given the lowest
/// <c>controller.kubernetes.io/pod-deletion-cost</c>, is the one the ReplicaSet then removes; a StatefulSet's pod keeps
/// its name: the StatefulSet is scaled below its ordinal, the pod restored under the same name, hostname and claims, and
/// the StatefulSet scaled back adopts it.
/// </summary>
internal static class Workloads
{
    /// <summary>The annotation a ReplicaSet ranks pods by when it scales down (lowest first).</summary>
    public const string DeletionCost = "controller.kubernetes.io/pod-deletion-cost";

    /// <summary>On a StatefulSet a migration scaled down: the replicas to give back, and the migration.</summary>
    public const string ReplicasBefore = "edgeportal.io/replicas-before";

    public const string ScaledBy = "edgeportal.io/scaled-by";

    /// <summary>On a pod: emptyDir volumes (comma-separated names) that hold nothing the service needs, so they may start empty on the destination.</summary>
    public const string ScratchVolumes = "edgeportal.io/scratch-volumes";

    /// <summary>The pod's controller, or null for a bare pod; a refusal for controllers whose pods cannot migrate.</summary>
    public static async Task<WorkloadOwner?> OwnerAsync(KubernetesCluster k, V1Pod pod, CancellationToken ct)
    {
        var reference = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        if (reference is null)
            return null;
        var ns = k.Options.Namespace;
        switch (reference.Kind)
        {
            case "ReplicaSet" when reference.ApiVersion == "apps/v1":
                var rs = await k.Client.AppsV1.ReadNamespacedReplicaSetAsync(reference.Name, ns, cancellationToken: ct).ConfigureAwait(false);
                var deployment = rs.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "Deployment")?.Name;
                return new WorkloadOwner("ReplicaSet", rs.Name(), rs.Uid(), deployment, MatchLabels(rs.Spec.Selector, "ReplicaSet", rs.Name()), null, rs.Spec.Replicas ?? 1);
            case "StatefulSet" when reference.ApiVersion == "apps/v1":
                var sts = await k.Client.AppsV1.ReadNamespacedStatefulSetAsync(reference.Name, ns, cancellationToken: ct).ConfigureAwait(false);
                var suffix = pod.Name().Length > sts.Name().Length + 1 ? pod.Name()[(sts.Name().Length + 1)..] : "";
                if (!int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
                    throw new StepFailedException($"pod {pod.Name()} is owned by StatefulSet {sts.Name()} but its name has no ordinal");
                // A migration scaled it down already (a repeated step): the replicas it had are on the annotation.
                var replicas = sts.Annotations() is { } a && a.TryGetValue(ReplicasBefore, out var before) && int.TryParse(before, CultureInfo.InvariantCulture, out var r)
                    ? r : sts.Spec.Replicas ?? 1;
                return new WorkloadOwner("StatefulSet", sts.Name(), sts.Uid(), null, MatchLabels(sts.Spec.Selector, "StatefulSet", sts.Name()), ordinal, replicas);
            default:
                throw new StepFailedException(reference.Kind switch
                {
                    "DaemonSet" => $"pod {pod.Name()} belongs to DaemonSet {reference.Name}, which runs one pod on every node: there is nothing to move",
                    "Job" or "CronJob" => $"pod {pod.Name()} belongs to {reference.Kind} {reference.Name}: a batch pod finishes where it runs; EdgePortal migrates long-running services",
                    _ => $"pod {pod.Name()} is controlled by {reference.Kind} {reference.Name} ({reference.ApiVersion}), which EdgePortal cannot hand the restored pod back to: it migrates bare pods and the pods of Deployments, ReplicaSets and StatefulSets",
                });
        }
    }

    /// <summary>Why the owner cannot let this pod migrate now, or null.</summary>
    public static async Task<string?> RefusalAsync(KubernetesCluster k, V1Pod pod, WorkloadOwner owner, CancellationToken ct)
    {
        if (!owner.IsStatefulSet)
            return null;
        var sts = await k.Client.AppsV1.ReadNamespacedStatefulSetAsync(owner.Name, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        if (owner.Ordinal != owner.Replicas - 1)
            return $"pod {pod.Name()} is ordinal {owner.Ordinal} of StatefulSet {owner.Name} with {owner.Replicas} replicas: EdgePortal keeps the pod's identity by scaling the StatefulSet below the pod while it moves, which only the highest ordinal ({owner.Name}-{owner.Replicas - 1}) allows without stopping the others";
        if (sts.Status?.UpdateRevision is { } update && sts.Status.CurrentRevision is { } current && update != current
            && !(sts.Annotations()?.ContainsKey(ScaledBy) ?? false))
            return $"StatefulSet {owner.Name} is rolling out revision {update} (pods run {current}): a restored pod of the old revision would be replaced; migrate after the rollout";
        return null;
    }

    /// <summary>
    /// How each volume of the pod follows it to another node, or why one cannot (the first such reason). ConfigMaps,
    /// Secrets, projected and downward-API volumes are re-mounted from the API; an emptyDir holds node-local data no
    /// checkpoint carries (unless named in <see cref="ScratchVolumes"/>); a hostPath is the node's own; a claim follows
    /// when ReadWriteMany, or ReadWriteOnce of a class in <see cref="KubernetesClusterOptions.ReattachableStorageClasses"/>
    /// for a StatefulSet pod (deleted before its successor starts, so the volume detaches first).
    /// </summary>
    public static async Task<(IReadOnlyList<string> Plan, string? Refusal)> VolumesAsync(KubernetesCluster k, V1Pod pod, WorkloadOwner? owner, CancellationToken ct)
    {
        var plan = new List<string>();
        var scratch = (pod.Annotations() is { } a && a.TryGetValue(ScratchVolumes, out var names) ? names : "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        foreach (var volume in pod.Spec?.Volumes ?? [])
        {
            var name = volume.Name;
            if (volume.ConfigMap is not null || volume.Secret is not null || volume.Projected is not null || volume.DownwardAPI is not null)
            {
                plan.Add($"{name}: re-mounted from the API");
                continue;
            }
            if (volume.EmptyDir is not null)
            {
                if (!scratch.Contains(name))
                    return (plan, $"volume {name} is an emptyDir: its data stays on {pod.Spec!.NodeName} and no checkpoint carries it — move the state to a claim that can follow, or list the volume in the annotation {ScratchVolumes} if it holds nothing the service needs");
                plan.Add($"{name}: emptyDir, starts empty (annotated scratch)");
                continue;
            }
            if (volume.HostPath is not null)
                return (plan, $"volume {name} is the hostPath {volume.HostPath.Path} of node {pod.Spec!.NodeName}: its data cannot follow the pod");
            if (volume.PersistentVolumeClaim is { } claimRef)
            {
                V1PersistentVolumeClaim claim;
                try
                {
                    claim = await k.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claimRef.ClaimName, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
                {
                    return (plan, $"volume {name} names the claim {claimRef.ClaimName}, which does not exist");
                }
                var modes = claim.Spec?.AccessModes ?? [];
                var storageClass = claim.Spec?.StorageClassName ?? "(default class)";
                if (modes.Contains("ReadWriteMany") || claimRef.ReadOnlyProperty == true && modes.Contains("ReadOnlyMany"))
                {
                    plan.Add($"{name}: claim {claim.Name()} ({string.Join("/", modes)}) is mounted on the destination as well");
                    continue;
                }
                var reattaches = k.Options.ReattachableStorageClasses.Contains(claim.Spec?.StorageClassName ?? "", StringComparer.Ordinal);
                if (reattaches && owner is { IsStatefulSet: true })
                {
                    plan.Add($"{name}: claim {claim.Name()} (ReadWriteOnce, class {storageClass}) detaches from {pod.Spec!.NodeName} when the source pod is deleted and attaches on the destination");
                    continue;
                }
                return (plan, reattaches
                    ? $"volume {name} is the ReadWriteOnce claim {claim.Name()}: it can be attached to one node at a time, and the source keeps it until the restored pod serves; only a StatefulSet pod (deleted before it is restored) can take it along"
                    : $"volume {name} is the ReadWriteOnce claim {claim.Name()} of class {storageClass}, which is not listed as re-attachable (ReattachableStorageClasses): local storage stays on {pod.Spec!.NodeName}");
            }
            return (plan, $"volume {name} is of a kind whose data EdgePortal cannot move with the pod: migrate pods whose state is in memory, a ConfigMap/Secret, or a claim that can follow");
        }
        return (plan, null);
    }

    /// <summary>Sets the annotations on the pod (null removes one).</summary>
    public static Task AnnotatePodAsync(KubernetesCluster k, string pod, IDictionary<string, string?> annotations, CancellationToken ct)
    {
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations } }), V1Patch.PatchType.MergePatch);
        return k.Client.CoreV1.PatchNamespacedPodAsync(patch, pod, k.Options.Namespace, cancellationToken: ct);
    }

    /// <summary>Scales the StatefulSet, recording (or clearing, with <paramref name="migration"/> null) what to give back.</summary>
    public static Task ScaleStatefulSetAsync(KubernetesCluster k, string name, int replicas, int? before, string? migration, CancellationToken ct)
    {
        var annotations = new Dictionary<string, string?>
        {
            [ReplicasBefore] = before?.ToString(CultureInfo.InvariantCulture),
            [ScaledBy] = migration,
        };
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations }, spec = new { replicas } }), V1Patch.PatchType.MergePatch);
        return k.Client.AppsV1.PatchNamespacedStatefulSetAsync(patch, name, k.Options.Namespace, cancellationToken: ct);
    }

    private static Dictionary<string, string> MatchLabels(V1LabelSelector? selector, string kind, string name)
    {
        if (selector?.MatchExpressions is { Count: > 0 })
            throw new StepFailedException($"{kind} {name} selects its pods with matchExpressions: EdgePortal withholds and gives back the selector's labels, which needs matchLabels only");
        return new Dictionary<string, string>(selector?.MatchLabels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
    }
}
