using System.Globalization;
using EdgePortal.Agent.Contracts;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>The source node's agent turns the stored checkpoint archive into an OCI image and pushes it; the image and its digest are the artifacts.</summary>
internal sealed class TransferStep(KubernetesStepServices services) : KubernetesStep(services)
{
    public override StepKind Kind => StepKind.Transfer;

    /// <summary>Cold's and the replay's: the live checkpoint's image travels the same way.</summary>
    public override bool Handles(MigrationStrategy strategy) => KubernetesCapabilities.Executes(strategy);

    protected override async Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct)
    {
        var stored = c.Stored;
        if (stored.ArchivePath is not { } archive)
            throw new StepFailedException($"the migration stored no checkpoint archive of {c.Service.Name}: the checkpoint step must run first");
        var node = await k.Client.CoreV1.ReadNodeAsync(c.Source.Name, cancellationToken: ct).ConfigureAwait(false);
        // Across clusters, into the registry both reach (CrossCluster.Route); within one, the cluster's own.
        var route = KubernetesStepServices.RouteOf(k, Services.TargetOf(k, c.TargetCluster, c.Service.TenantId));
        var request = new CheckpointImageRequest
        {
            Registry = route.AgentRegistry,
            Repository = TargetPodBuilder.Repository(c.Service.Name),
            Tag = TargetPodBuilder.Tag(c.MigrationId),
            ContainerName = stored.Container ?? c.Service.Name,
            PodName = stored.SourcePod ?? c.Service.Name,
            Namespace = k.Options.Namespace,
            RootfsImage = stored.RootfsImage,
            BandwidthBitsPerSecond = c.Plan.ReservedBandwidth.BitsPerSecond > 0 ? c.Plan.ReservedBandwidth.BitsPerSecond : null,
        };
        // Bounded by TransferTimeout on the injected clock, like every other wait of the runtime, so a deadline can be tested without waiting for it.
        var agent = Services.Agent(k, node, k.Options.TransferTimeout);
        CheckpointImageResult result;
        try
        {
            result = await agent.BuildCheckpointImageAsync(Path.GetFileName(archive), request, ct).ConfigureAwait(false);
        }
        catch (AgentCallException e)
        {
            var hint = e.Unreachable && e.Status is null ? " — is the edgeportal-agent DaemonSet running on that node?" : "";
            throw new StepFailedException($"building the checkpoint image of {c.Service.Name} on {c.Source.Name} failed: {e.Message}{hint}");
        }
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"the agent on {c.Source.Name} pushed {result.Reference} ({ByteSize.Format(result.Bytes)}, layer {result.LayerDigest}) in {result.Seconds:0.0} s"),
            Artifacts: new StepArtifacts { Image = result.Reference, ImageDigest = result.ManifestDigest });
    }
}
