using System.Globalization;
using EdgePortal.Agent.Contracts;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// Finds the service's pod on the source node, its owner (none, a Deployment's ReplicaSet, a StatefulSet) and its Service's
/// selector; refuses what cannot follow the pod (its volumes, an owner that would fight the move) with the reason; checks the destination is Ready.
/// </summary>
internal sealed class ProfileStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Profile;

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var pod = await KubernetesPods.SourcePodAsync(k, c.Service.Name, c.Source.Name, ct).ConfigureAwait(false)
            ?? throw new StepFailedException($"no running pod of {c.Service.Name} on node {c.Source.Name}: EdgePortal looks for the labels {k.PodSelector(c.Service.Name)} in namespace {k.Options.Namespace}");
        var owner = await Workloads.OwnerAsync(k, pod, ct).ConfigureAwait(false);
        var crosses = CrossCluster.Crosses(c);
        var target = Services.TargetOf(k, c.TargetCluster, c.Service.TenantId);
        if (crosses && owner is not null)
            throw new StepFailedException($"{pod.Name()} is owned by {owner.Describe()} in cluster {k.Name}: an owner cannot adopt a pod in another cluster, and in {k.Name} it would replace the source by a stateless copy — only bare pods migrate to {target.Name}; migrate it within {k.Name}");
        if (owner is not null && await Workloads.RefusalAsync(k, pod, owner, ct).ConfigureAwait(false) is { } refusal)
            throw new StepFailedException(refusal);
        var (volumes, volumeRefusal) = await Workloads.VolumesAsync(k, pod, owner, ct).ConfigureAwait(false);
        if (volumeRefusal is not null)
            throw new StepFailedException($"{c.Service.Name} cannot migrate: {volumeRefusal}");
        if (crosses && pod.Spec?.Volumes?.FirstOrDefault(v => v.PersistentVolumeClaim is not null) is { } claim)
            throw new StepFailedException($"{c.Service.Name} cannot migrate to cluster {target.Name}: volume {claim.Name} is the claim {claim.PersistentVolumeClaim.ClaimName} of cluster {k.Name}, which no node of {target.Name} can mount");
        var selector = await KubernetesPods.SelectorAsync(k, c.Service.Name, ct).ConfigureAwait(false);
        if (selector.Count == 0)
            throw new StepFailedException($"the Service {c.Service.Name} in {k.Options.Namespace} has no selector: EdgePortal switches traffic by moving the selector's labels");
        var handOver = "";
        if (crosses)
        {
            // The hand-over's first half: the destination cluster's own Service selects the restored pod at the switch.
            IReadOnlyDictionary<string, string> arriving;
            try
            {
                arriving = await KubernetesPods.SelectorAsync(target, c.Service.Name, ct).ConfigureAwait(false);
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                throw new StepFailedException($"cluster {target.Name} has no Service {c.Service.Name} in namespace {target.Options.Namespace}: create it there (the same selector as in {k.Name}); it takes the traffic at the switch");
            }
            if (arriving.Count == 0)
                throw new StepFailedException($"the Service {c.Service.Name} in cluster {target.Name} ({target.Options.Namespace}) has no selector: EdgePortal switches traffic by giving the restored pod the selector's labels");
            var route = KubernetesStepServices.RouteOf(k, target);
            handOver = $"; to cluster {target.Name} through the registry {route.Registry}, its Service {target.Options.Namespace}/{c.Service.Name} takes the traffic{(target.Options.HandOver.Webhook is { } w ? $" and the webhook {w.Url!.GetLeftPart(UriPartial.Path)} is told" : "")}";
        }
        var container = KubernetesPods.ContainerOf(pod);
        var destination = await target.Client.CoreV1.ReadNodeAsync(c.Destination.Name, cancellationToken: ct).ConfigureAwait(false);
        if (!KubernetesPods.IsReady(destination))
            throw new StepFailedException($"the destination node {c.Destination.Name} is not Ready");
        var source = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        // CRI-O (and containerd) restore a checkpoint on top of its base image and never pull it: the destination's agent
        // pulls exactly the image the container ran, by digest, before anything is drained or checkpointed.
        var baseImage = BaseImageByDigest(pod, container)
            ?? throw new StepFailedException($"the base image of container {container.Name} ({container.Image}) is not known by digest (its status has no imageID repository@sha256:…): the destination could not pull exactly the image the checkpoint runs on — run the pod from a registry image");
        ImagePullAnswer pulled;
        try
        {
            pulled = await Services.Agent(target, destination, target.Options.TransferTimeout).PullImageAsync(baseImage, ct).ConfigureAwait(false);
        }
        catch (AgentCallException e)
        {
            var hint = e.Unreachable && e.Status is null ? " — is the edgeportal-agent DaemonSet running on that node?" : "";
            throw new StepFailedException($"the destination {c.Destination.Name} could not pull the base image {baseImage} before the restore: {e.Message}{hint}");
        }
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"profiled pod {pod.Name()} (container {container.Name}, image {container.Image}{(owner is null ? ", bare pod" : $", owned by {owner.Describe()}")}) on {KubernetesPods.Describe(source)}; destination {KubernetesPods.Describe(destination)} pulled the base image {baseImage} in {pulled.Seconds:0.0} s{(volumes.Count == 0 ? "" : $"; volumes: {string.Join("; ", volumes)}")}{handOver}"),
            Artifacts: new StepArtifacts { SourcePod = pod.Name(), Container = container.Name, RootfsImage = container.Image });
    }

    /// <summary>
    /// The image the container runs, by digest: its status's imageID when that names a repository (containerd and CRI-O
    /// report <c>docker.io/library/x@sha256:…</c>; Docker's old <c>docker-pullable://</c> prefix dropped), else its spec's image
    /// when that is by digest already; null when neither is (an image only present on the node, known by its config id).
    /// </summary>
    internal static string? BaseImageByDigest(V1Pod pod, V1Container container)
    {
        var id = pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == container.Name)?.ImageID;
        if (id is not null && id.StartsWith("docker-pullable://", StringComparison.Ordinal))
            id = id["docker-pullable://".Length..];
        if (id is not null && id.Contains("@sha256:", StringComparison.Ordinal) && !id.StartsWith("sha256:", StringComparison.Ordinal))
            return id;
        return container.Image?.Contains("@sha256:", StringComparison.Ordinal) == true ? container.Image : null;
    }
}
