using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// The pod a migration restores: the source pod's spec pinned to the destination node, running the checkpoint image,
/// with labels that keep it out of the Service until the switch; and the names it and its image get, derived from the
/// migration so that a repeated step finds what an earlier attempt created.
/// </summary>
public static class TargetPodBuilder
{
    /// <summary>The restored pod: the source's spec on the destination node, the checkpoint image, labels that keep it out of the Service until the switch.</summary>
    public static V1Pod Build(V1Pod source, IReadOnlyDictionary<string, string> selector, string image, StepContext c) =>
        Build(source, selector, image, c, owner: null);

    /// <summary>
    /// The restored pod of an owned workload: it withholds the labels of the Service's selector and of its owner's selector
    /// (recorded in <see cref="KubernetesLabels.Withheld"/>, given back at the switch), has no owner reference (the owner
    /// adopts it once the labels match), and for a StatefulSet keeps the source's name, hostname and claims.
    /// </summary>
    internal static V1Pod Build(V1Pod source, IReadOnlyDictionary<string, string> selector, string image, StepContext c, WorkloadOwner? owner,
        string? pullSecret = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(c);
        var sourceLabels = source.Labels() ?? new Dictionary<string, string>();
        var withheld = selector.Keys.Concat(owner?.Selector.Keys ?? [])
            .Where(sourceLabels.ContainsKey)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(key => key, key => sourceLabels[key], StringComparer.Ordinal);
        foreach (var (key, value) in selector)
            withheld.TryAdd(key, value);
        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(source));
        var container = KubernetesPods.ContainerOf(copy);
        container.Image = image;
        // The checkpoint image holds only the checkpoint; the runtime pulls the rootfs image itself.
        container.ImagePullPolicy = "IfNotPresent";
        var labels = sourceLabels
            .Where(l => !withheld.ContainsKey(l.Key) && l.Key != KubernetesLabels.RetiredBy && l.Key != KubernetesLabels.Migration && l.Key != KubernetesLabels.Role)
            .ToDictionary(l => l.Key, l => l.Value);
        labels[KubernetesLabels.Service] = c.Service.Name;
        labels[KubernetesLabels.Tenant] = c.Service.TenantId.ToString();
        labels[KubernetesLabels.Migration] = c.MigrationId.ToString();
        labels[KubernetesLabels.Role] = "target";
        copy.Metadata = new V1ObjectMeta
        {
            Name = owner is { IsStatefulSet: true } ? source.Name() : Name(c.Service.Name, c.MigrationId),
            NamespaceProperty = source.Namespace(),
            Labels = labels,
            Annotations = new Dictionary<string, string>
            {
                [KubernetesLabels.RestoredFrom] = $"{source.Namespace()}/{source.Name()}",
                [KubernetesLabels.Container] = container.Name,
                [KubernetesLabels.Withheld] = System.Text.Json.JsonSerializer.Serialize(withheld),
            },
        };
        if (owner is not null)
            copy.Metadata.Annotations[KubernetesLabels.Owner] = $"{owner.Kind}/{owner.Name}";
        // Debugging containers added to the source (kubectl debug) are not part of the workload: the API refuses them on create.
        copy.Spec.EphemeralContainers = null;
        copy.Spec.NodeName = c.Destination.Name;
        copy.Spec.NodeSelector = null;
        copy.Spec.Affinity = null;
        // The checkpoint image is a secret: a registry that wants credentials gets them from this Secret of the namespace.
        if (!string.IsNullOrWhiteSpace(pullSecret) && !(copy.Spec.ImagePullSecrets?.Any(r => r.Name == pullSecret) ?? false))
            copy.Spec.ImagePullSecrets = [.. copy.Spec.ImagePullSecrets ?? [], new V1LocalObjectReference { Name = pullSecret }];
        copy.Status = null;
        return copy;
    }

    public static string Name(string service, MigrationId migration)
    {
        var prefix = service.Length > 48 ? service[..48].TrimEnd('-') : service;
        return $"{prefix}-m{migration.Value.ToString("N")[^8..]}";
    }

    /// <summary><c>host/repo@sha256:…</c> for <c>host/repo:tag</c> and its manifest digest; the reference unchanged without a digest.</summary>
    public static string ByDigest(string image, string? digest)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (string.IsNullOrEmpty(digest) || !digest.StartsWith("sha256:", StringComparison.Ordinal))
            return image;
        var repository = image.Split('@')[0];
        var colon = repository.LastIndexOf(':');
        if (colon > repository.LastIndexOf('/'))
            repository = repository[..colon];
        return $"{repository}@{digest}";
    }

    public static string Repository(string service) => $"edgeportal/{service.ToLowerInvariant()}";

    public static string Tag(MigrationId migration) => $"m-{migration.Value:N}";

    public static string ImageReference(KubernetesCluster k, string service, MigrationId migration) => $"{k.Options.Registry}/{Repository(service)}:{Tag(migration)}";
}
