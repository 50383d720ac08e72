using EdgePortal.Agent.Contracts;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using k8s;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// What a migration leaves behind that holds the container's memory: the kubelet's checkpoint archive on the source node and
/// the pushed checkpoint image in the registry. Both are deleted after the migration, whatever its outcome (clean-up and
/// rollback alike), by the source node's agent, which alone has the registry's credentials. Safe to repeat: what is gone
/// already is reported as gone.
/// </summary>
internal static class MigrationTraces
{
    /// <summary>Deletes the archive and the image the artifacts name; returns what was done, one phrase each.</summary>
    /// <exception cref="AgentCallException">The agent did not answer (<see cref="AgentCallException.Unreachable"/>) or refused.</exception>
    internal static async Task<IReadOnlyList<string>> RemoveAsync(KubernetesStepServices services, KubernetesCluster k, string sourceNode, string service,
        StepArtifacts artifacts, CancellationToken ct, string? agentRegistry = null)
    {
        if (artifacts.ArchivePath is null && artifacts.ImageDigest is null)
            return [];
        var node = await k.Client.CoreV1.ReadNodeAsync(sourceNode, cancellationToken: ct).ConfigureAwait(false);
        var agent = services.Agent(k, node, TimeSpan.FromMinutes(1));
        var done = new List<string>();
        if (artifacts.ArchivePath is { } archive)
        {
            var id = Path.GetFileName(archive);
            done.Add(await agent.DeleteCheckpointAsync(id, ct).ConfigureAwait(false)
                ? $"deleted the checkpoint archive {id} on {sourceNode}"
                : $"the checkpoint archive {id} on {sourceNode} was already gone");
        }
        if (artifacts.ImageDigest is { } digest && digest.StartsWith("sha256:", StringComparison.Ordinal))
        {
            var repository = TargetPodBuilder.Repository(service);
            var deleted = await agent.DeleteRegistryImageAsync(new RegistryImageDeletion
            {
                Registry = agentRegistry ?? k.Options.AgentRegistry,
                Repository = repository,
                Digest = digest,
            }, ct).ConfigureAwait(false);
            done.Add(deleted
                ? $"deleted the checkpoint image {repository}@{digest} from the registry"
                : $"the checkpoint image {repository}@{digest} was already gone from the registry");
        }
        return done;
    }
}
