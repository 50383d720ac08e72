using System.Globalization;
using System.Net;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// What the Kubernetes runtime does to pods, Services and nodes through the API server: find the service's pod on a
/// node, read its Service's selector, move labels, annotate, delete; and how it reads what the cluster answers. Each
/// call is idempotent where Kubernetes allows (a delete of a pod already gone succeeds), so a step that runs again after
/// a restart finds the same world.
/// </summary>
internal static class KubernetesPods
{
    internal static V1Container ContainerOf(V1Pod pod)
    {
        var containers = pod.Spec?.Containers ?? [];
        var wanted = (pod.Annotations() is { } a && a.TryGetValue(KubernetesLabels.Container, out var w) ? w : null);
        return (wanted is null ? containers.FirstOrDefault() : containers.FirstOrDefault(x => x.Name == wanted))
            ?? throw new StepFailedException($"pod {pod.Name()} has no container{(wanted is null ? "" : $" named {wanted} (annotation {KubernetesLabels.Container})")}");
    }

    /// <summary>The running pod of the service on the node, not deleting; with <paramref name="allowRetired"/> also one the switch took traffic from.</summary>
    internal static async Task<V1Pod?> SourcePodAsync(KubernetesCluster k, string service, string node, CancellationToken ct, bool allowRetired = false)
    {
        var list = await k.Client.CoreV1.ListNamespacedPodAsync(k.Options.Namespace, labelSelector: k.PodSelector(service),
            fieldSelector: $"spec.nodeName={node}", cancellationToken: ct).ConfigureAwait(false);
        return list.Items
            .Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase is "Running" or "Pending" or null)
            .Where(p => !(p.Labels()?.ContainsKey(KubernetesLabels.Migration) ?? false) || Label(p, KubernetesLabels.Role) == "serving")
            .Where(p => allowRetired || !(p.Labels()?.ContainsKey(KubernetesLabels.RetiredBy) ?? false))
            .OrderBy(p => p.Status?.Phase == "Running" ? 0 : 1)
            .FirstOrDefault();
    }

    internal static async Task<V1Pod?> ReadPodAsync(KubernetesCluster k, string name, CancellationToken ct)
    {
        try
        {
            return await k.Client.CoreV1.ReadNamespacedPodAsync(name, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    internal static async Task<IReadOnlyDictionary<string, string>> SelectorAsync(KubernetesCluster k, string service, CancellationToken ct)
    {
        try
        {
            var svc = await k.Client.CoreV1.ReadNamespacedServiceAsync(service, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return (svc.Spec?.Selector ?? new Dictionary<string, string>())
                .Where(s => s.Key != KubernetesLabels.Role && s.Key != KubernetesLabels.Migration && s.Key != KubernetesLabels.InService)
                .ToDictionary(s => s.Key, s => s.Value);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            throw new StepFailedException($"no Service {service} in namespace {k.Options.Namespace}: EdgePortal switches the traffic of a service through the Service of the same name");
        }
    }

    internal static Task PatchLabelsAsync(KubernetesCluster k, string pod, IDictionary<string, string?> labels, CancellationToken ct)
    {
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { labels } }), V1Patch.PatchType.MergePatch);
        return k.Client.CoreV1.PatchNamespacedPodAsync(patch, pod, k.Options.Namespace, cancellationToken: ct);
    }

    internal static Task AnnotateServiceAsync(KubernetesCluster k, string service, string node, MigrationId migration, CancellationToken ct)
    {
        var annotations = new Dictionary<string, string> { [KubernetesLabels.ServingNode] = node, [KubernetesLabels.LastMigration] = migration.ToString() };
        var patch = new V1Patch(JsonSerializer.Serialize(new { metadata = new { annotations } }), V1Patch.PatchType.MergePatch);
        return k.Client.CoreV1.PatchNamespacedServiceAsync(patch, service, k.Options.Namespace, cancellationToken: ct);
    }

    /// <summary>
    /// Takes <paramref name="source"/> out of the Service before its checkpoint: every other pod the Service selects gets
    /// <see cref="KubernetesLabels.InService"/>, the Service's selector requires it, and the drain start is noted on the
    /// Service. Then waits until the endpoints no longer list the source (<see cref="KubernetesClusterOptions.DrainTimeout"/>)
    /// and for the requests in flight (<see cref="KubernetesClusterOptions.DrainGrace"/>). Safe to repeat. Returns when the source left.
    /// </summary>
    internal static async Task<DateTimeOffset> DrainAsync(KubernetesCluster k, V1Pod source, string service, TimeProvider time, CancellationToken ct)
    {
        var ns = k.Options.Namespace;
        var svc = await k.Client.CoreV1.ReadNamespacedServiceAsync(service, ns, cancellationToken: ct).ConfigureAwait(false);
        var selector = svc.Spec?.Selector ?? new Dictionary<string, string>();
        var drainedAt = svc.Annotations() is { } a && a.TryGetValue(KubernetesLabels.DrainedAt, out var at)
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : (DateTimeOffset?)null;
        if (!selector.ContainsKey(KubernetesLabels.InService))
        {
            // Only the tenant's own pods are labelled: a migration never changes another tenant's pod.
            var serving = await k.Client.CoreV1.ListNamespacedPodAsync(ns,
                labelSelector: string.Join(",", selector.Select(s => $"{s.Key}={s.Value}").Append($"{KubernetesLabels.Tenant}={k.Tenant}")),
                cancellationToken: ct).ConfigureAwait(false);
            foreach (var pod in serving.Items.Where(p => p.Name() != source.Name() && p.Metadata.DeletionTimestamp is null))
                await PatchLabelsAsync(k, pod.Name(), new Dictionary<string, string?> { [KubernetesLabels.InService] = "true" }, ct).ConfigureAwait(false);
            drainedAt = time.GetUtcNow();
            var patch = new
            {
                metadata = new { annotations = new Dictionary<string, string> { [KubernetesLabels.DrainedAt] = drainedAt.Value.ToString("O", CultureInfo.InvariantCulture) } },
                spec = new { selector = new Dictionary<string, string> { [KubernetesLabels.InService] = "true" } },
            };
            await k.Client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch), service, ns, cancellationToken: ct)
                .ConfigureAwait(false);
        }
        if (Label(source, KubernetesLabels.InService) is not null)
            await PatchLabelsAsync(k, source.Name(), new Dictionary<string, string?> { [KubernetesLabels.InService] = null }, ct).ConfigureAwait(false);

        using var deadline = new CancellationTokenSource(k.Options.DrainTimeout, time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            while (true)
            {
                var endpoints = await ReadEndpointsAsync(k, service, timeout.Token).ConfigureAwait(false);
                if (!endpoints.Contains(source.Name()))
                    break;
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new StepFailedException($"the endpoints of the Service {service} still list {source.Name()} {Durations.Format(k.Options.DrainTimeout.TotalMilliseconds)} after it left the selector (DrainTimeout): is the endpoints controller running?");
        }
        if (k.Options.DrainGrace > TimeSpan.Zero)
            await Task.Delay(k.Options.DrainGrace, time, ct).ConfigureAwait(false);
        return drainedAt ?? time.GetUtcNow();
    }

    /// <summary>The pods the Service's endpoints list, ready or not.</summary>
    internal static async Task<IReadOnlySet<string>> ReadEndpointsAsync(KubernetesCluster k, string service, CancellationToken ct)
    {
        try
        {
            var endpoints = await k.Client.CoreV1.ReadNamespacedEndpointsAsync(service, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
            return (endpoints.Subsets ?? [])
                .SelectMany(s => (s.Addresses ?? []).Concat(s.NotReadyAddresses ?? []))
                .Select(a => a.TargetRef?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            return new HashSet<string>();
        }
    }

    /// <summary>Gives the Service its own selector back (without <see cref="KubernetesLabels.InService"/>) once no source can serve.</summary>
    internal static Task RestoreSelectorAsync(KubernetesCluster k, string service, CancellationToken ct)
    {
        var patch = new
        {
            metadata = new { annotations = new Dictionary<string, string?> { [KubernetesLabels.DrainedAt] = null } },
            spec = new { selector = new Dictionary<string, string?> { [KubernetesLabels.InService] = null } },
        };
        return k.Client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(JsonSerializer.Serialize(patch), V1Patch.PatchType.MergePatch), service, k.Options.Namespace, cancellationToken: ct);
    }

    internal static async Task DeletePodAsync(KubernetesCluster k, string pod, CancellationToken ct)
    {
        try
        {
            await k.Client.CoreV1.DeleteNamespacedPodAsync(pod, k.Options.Namespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    internal static Uri AgentUri(KubernetesCluster k, V1Node node)
    {
        var address = node.Status?.Addresses?.FirstOrDefault(a => a.Type == "InternalIP")?.Address
            ?? throw new StepFailedException($"node {node.Name()} reports no InternalIP: the agent cannot be reached");
        var host = address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address;
        return new Uri($"{k.Options.AgentScheme}://{host}:{k.Options.AgentPort.ToString(CultureInfo.InvariantCulture)}/");
    }

    internal static bool IsReady(V1Pod pod) =>
        pod.Status?.Phase == "Running" && (pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false);

    /// <summary>A pod that will not become Ready by waiting: failed, or a container stuck on its image or its creation.</summary>
    internal static string? CannotStart(V1Pod pod)
    {
        if (pod.Status?.Phase is "Failed" or "Succeeded")
            return $"phase {pod.Status.Phase}{(pod.Status.Message is { } m ? $": {m}" : "")}";
        foreach (var status in pod.Status?.ContainerStatuses ?? [])
            if (status.State?.Waiting is { Reason: "ErrImagePull" or "ImagePullBackOff" or "CreateContainerError" or "CreateContainerConfigError" or "InvalidImageName" } waiting)
                return $"container {status.Name}: {waiting.Reason}{(waiting.Message is { } wm ? $" — {wm}" : "")}";
        return null;
    }

    internal static bool IsReady(V1Node node) =>
        node.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") ?? false;

    internal static string Describe(V1Node node)
    {
        var zone = (node.Labels() is { } l && l.TryGetValue("topology.kubernetes.io/zone", out var z) ? z : null);
        var cpu = (node.Status?.Capacity is { } c1 && c1.TryGetValue("cpu", out var q1) ? q1.ToString() : null);
        var memory = (node.Status?.Capacity is { } c2 && c2.TryGetValue("memory", out var q2) ? q2.ToString() : null);
        return $"{node.Name()}{(zone is null ? "" : $" (zone {zone}")}{(zone is null ? " (" : ", ")}{cpu ?? "?"} CPU, {memory ?? "?"} memory)";
    }

    internal static string Describe(HttpOperationException e, string what)
    {
        var status = e.Response?.StatusCode;
        var text = CheckpointErrors.Message(e.Response?.Content);
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => " — EdgePortal's credentials were not accepted",
            HttpStatusCode.Forbidden => " — EdgePortal's service account lacks a permission: the Role edgeportal-portal in this namespace (deploy/managed/rbac-managed.yaml; one per managed namespace) or, for nodes, the ClusterRole edgeportal-portal (deploy/base/rbac.yaml)",
            _ => "",
        };
        return $"{(int?)status} {status} to {what}{hint}{(text.Length > 0 ? $": {text}" : "")}";
    }

    internal static string? Label(V1Pod pod, string key) => pod.Labels() is { } labels && labels.TryGetValue(key, out var value) ? value : null;
}
