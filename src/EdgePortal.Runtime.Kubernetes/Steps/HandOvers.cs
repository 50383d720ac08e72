using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>The hand-over of a migration into another cluster: the notice its webhook gets, if the destination's cluster has one.</summary>
internal static class HandOvers
{
    /// <summary>The notice of <paramref name="kind"/> (<c>switch</c>, <c>rollback</c>) for the restored pod <paramref name="pod"/> in <paramref name="target"/>.</summary>
    internal static async Task<HandOverNotice> NoticeAsync(KubernetesCluster target, string kind, MigrationId migration, ServiceInstance service,
        string fromCluster, EdgeNode from, EdgeNode to, string pod, TimeProvider time, CancellationToken ct)
    {
        var ns = target.Options.Namespace;
        var svc = await target.Client.CoreV1.ReadNamespacedServiceAsync(service.Name, ns, cancellationToken: ct).ConfigureAwait(false);
        var restored = await KubernetesPods.ReadPodAsync(target, pod, ct).ConfigureAwait(false);
        var clusterIp = svc.Spec?.ClusterIP is { Length: > 0 } ip && ip != "None" ? ip : null;
        return new HandOverNotice
        {
            Event = kind,
            MigrationId = migration.ToString(),
            Tenant = service.TenantId.ToString(),
            Service = service.Name,
            FromCluster = fromCluster,
            ToCluster = target.Name,
            FromNode = from.Name,
            ToNode = to.Name,
            Endpoint = new HandOverEndpoint
            {
                Cluster = target.Name,
                Namespace = ns,
                Service = service.Name,
                ClusterIp = clusterIp,
                LoadBalancer = [.. (svc.Status?.LoadBalancer?.Ingress ?? []).Select(i => i.Ip ?? i.Hostname).OfType<string>()],
                Ports = [.. (svc.Spec?.Ports ?? []).Select(p => p.Port)],
                Pod = pod,
                PodIp = restored?.Status?.PodIP,
                Node = to.Name,
            },
            SentAt = time.GetUtcNow(),
        };
    }

    /// <summary>Tells the destination cluster's webhook, if it has one; "; …" to append to the step's message, "" without one.</summary>
    /// <exception cref="StepFailedException">The webhook did not accept the hand-over: the switch fails and the migration rolls back.</exception>
    internal static async Task<string> SwitchAsync(KubernetesStepServices services, KubernetesCluster target, StepContext c, string pod, CancellationToken ct)
    {
        if (target.Options.HandOver.Webhook is not { } webhook)
            return "";
        var notice = await NoticeAsync(target, "switch", c.MigrationId, c.Service, c.Cluster.Name, c.Source, c.Destination, pod, services.Time, ct).ConfigureAwait(false);
        try
        {
            return "; " + await services.HandOver.NotifyAsync(webhook, notice, ct).ConfigureAwait(false);
        }
        catch (HandOverRefusedException e)
        {
            throw new StepFailedException($"{e.Message}: the hand-over failed, the migration rolls back and {c.Service.Name} stays in {c.Cluster.Name}");
        }
    }
}
