using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>What a workload controller did on its own: a pod it created to reach its replicas, or deleted above them.</summary>
public sealed record ControllerAction(string Controller, string Action, string Pod, string? Node);

/// <summary>
/// The ReplicaSet and StatefulSet controllers of kube-controller-manager, as far as a migration meets them, run after every
/// change the API server accepts: they adopt orphan pods their selector matches (a StatefulSet only pods named after it
/// with an ordinal), release owned pods it no longer matches, delete pods above their replicas (a ReplicaSet by its
/// ranking: unscheduled, pending, not Ready, lower <c>controller.kubernetes.io/pod-deletion-cost</c>, newer first; a
/// StatefulSet the ordinals at and above its replicas), and create pods from the template when short — on the first
/// node, as a scheduler might: a stateless copy the migration must never cause (<see cref="Actions"/>).
/// </summary>
public sealed class FakeControllers(FakeClusterState state, FakeKubelet kubelet)
{
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<ControllerAction> _actions = new();
    private int _created;

    public IReadOnlyList<ControllerAction> Actions => [.. _actions];

    public IReadOnlyList<ControllerAction> Creations => [.. _actions.Where(a => a.Action == "create")];

    public void Reconcile()
    {
        lock (_gate)
        {
            foreach (var rs in state.All<V1ReplicaSet>())
                ReconcileReplicaSet(rs);
            foreach (var sts in state.All<V1StatefulSet>())
                ReconcileStatefulSet(sts);
        }
    }

    private void ReconcileReplicaSet(V1ReplicaSet rs)
    {
        var selector = rs.Spec.Selector.MatchLabels;
        var owned = Claim(rs.Namespace(), rs.Name(), rs.Uid(), "ReplicaSet", p => Matches(p, selector));
        var excess = owned.Count - (rs.Spec.Replicas ?? 1);
        foreach (var pod in owned.OrderBy(p => p.Spec?.NodeName is null ? 0 : 1)
                     .ThenBy(p => p.Status?.Phase switch { "Pending" => 0, "Unknown" => 1, "Running" => 2, _ => 0 })
                     .ThenBy(p => KubernetesPods.IsReady(p) ? 1 : 0)
                     .ThenBy(p => p.Annotations() is { } a && a.TryGetValue(Workloads.DeletionCost, out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : 0)
                     .ThenByDescending(p => p.Metadata.CreationTimestamp ?? DateTime.MaxValue)
                     .Take(Math.Max(0, excess)))
            Delete(rs.Name(), pod);
        for (var i = excess; i < 0; i++)
            Create(rs.Name(), rs.Uid(), "ReplicaSet", rs.Spec.Template, rs.Namespace(), $"{rs.Name()}-{Interlocked.Increment(ref _created):x5}", null);
    }

    private void ReconcileStatefulSet(V1StatefulSet sts)
    {
        var selector = sts.Spec.Selector.MatchLabels;
        var prefix = sts.Name() + "-";
        var owned = Claim(sts.Namespace(), sts.Name(), sts.Uid(), "StatefulSet",
            p => Matches(p, selector) && p.Name().StartsWith(prefix, StringComparison.Ordinal) && int.TryParse(p.Name()[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _));
        var replicas = sts.Spec.Replicas ?? 1;
        foreach (var pod in owned.Where(p => int.Parse(p.Name()[prefix.Length..], CultureInfo.InvariantCulture) >= replicas))
            Delete(sts.Name(), pod);
        for (var ordinal = 0; ordinal < replicas; ordinal++)
            if (state.Pod(sts.Namespace(), $"{prefix}{ordinal}") is null)
                Create(sts.Name(), sts.Uid(), "StatefulSet", sts.Spec.Template, sts.Namespace(), $"{prefix}{ordinal}", sts.Spec.ServiceName);
    }

    /// <summary>Adopts matching orphans, releases owned pods that stopped matching; the pods owned after.</summary>
    private List<V1Pod> Claim(string ns, string name, string uid, string kind, Func<V1Pod, bool> matches)
    {
        var owned = new List<V1Pod>();
        foreach (var pod in state.Pods(ns).Where(p => p.Metadata.DeletionTimestamp is null))
        {
            var controller = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
            if (controller?.Uid == uid && !matches(pod))
                state.UpdatePod(ns, pod.Name(), p => p.Metadata.OwnerReferences = null);
            else if (controller?.Uid == uid)
                owned.Add(pod);
            else if (controller is null && matches(pod))
                owned.Add(state.UpdatePod(ns, pod.Name(), p => p.Metadata.OwnerReferences = [Reference(kind, name, uid)])!);
        }
        return owned;
    }

    private void Delete(string controller, V1Pod pod)
    {
        state.DeletePod(pod.Namespace(), pod.Name());
        _actions.Enqueue(new ControllerAction(controller, "delete", pod.Name(), pod.Spec?.NodeName));
    }

    private void Create(string controller, string uid, string kind, V1PodTemplateSpec template, string ns, string name, string? subdomain)
    {
        var node = state.Nodes().FirstOrDefault()?.Name();
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = template.Metadata?.Labels is { } l ? new Dictionary<string, string>(l) : null,
                OwnerReferences = [Reference(kind, controller, uid)],
            },
            Spec = FakeClusterState.Copy(template.Spec),
        };
        pod.Spec.NodeName = node;
        if (subdomain is not null)
        {
            pod.Spec.Hostname = name;
            pod.Spec.Subdomain = subdomain;
        }
        pod.Status = new V1PodStatus { Phase = "Pending" };
        if (state.TryCreatePod(pod, out var stored))
        {
            _actions.Enqueue(new ControllerAction(controller, "create", name, node));
            kubelet.PodCreated(stored);
        }
    }

    private static V1OwnerReference Reference(string kind, string name, string uid) =>
        new() { ApiVersion = "apps/v1", Kind = kind, Name = name, Uid = uid, Controller = true, BlockOwnerDeletion = true };

    private static bool Matches(V1Pod pod, IDictionary<string, string> selector) =>
        pod.Labels() is { } labels && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
}
