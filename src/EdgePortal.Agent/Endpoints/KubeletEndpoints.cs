using System.Text.RegularExpressions;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Kubelet;
using EdgePortal.Agent.Oci;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>
/// What a Kubernetes node's agent does for the portal, which reaches no kubelet itself: the checkpoint asked of the local
/// kubelet, the base image pulled before a restore, and the migration's traces removed afterwards (the archive, the pushed image).
/// </summary>
public static partial class AgentEndpoints
{
    internal static void MapKubeletEndpoints(this WebApplication app)
    {
        app.MapPost(AgentRoutes.KubeletCheckpoints, KubeletCheckpointAsync);
        app.MapPost(AgentRoutes.ImagePulls, PullImageAsync);
        app.MapDelete(AgentRoutes.Checkpoint, DeleteCheckpoint);
        app.MapPost(AgentRoutes.RegistryImageDeletions, DeleteRegistryImageAsync);
    }

    private static IResult NoKubelet() => Results.Problem(statusCode: 503, title: "No kubelet configured",
        detail: $"This agent is not configured for a Kubernetes node: set {AgentOptions.Section}:Kubelet:Url and CertificateAuthorityFile.");

    private static async Task<IResult> KubeletCheckpointAsync(KubeletCheckpointCall call, NodeKubelet kubelet, CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string[]>();
        if (!DnsLabel().IsMatch(call.Namespace))
            problems["namespace"] = ["A namespace is a DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters."];
        if (call.Pod.Length > 253 || !DnsSubdomain().IsMatch(call.Pod))
            problems["pod"] = ["A pod name is a DNS subdomain: lower-case letters, digits, '-' and '.', at most 253 characters."];
        if (!DnsLabel().IsMatch(call.Container))
            problems["container"] = ["A container name is a DNS label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters."];
        if (call.TimeoutSeconds is < 1 or > 3600)
            problems["timeoutSeconds"] = ["The CRI deadline must lie in 1..3600 seconds."];
        if (problems.Count > 0)
            return Results.ValidationProblem(problems);
        if (!kubelet.Enabled)
            return NoKubelet();
        try
        {
            return Results.Ok(await kubelet.CheckpointAsync(call, cancellationToken).ConfigureAwait(false));
        }
        catch (NodeCallException e)
        {
            return Results.Problem(statusCode: 502, title: e.Title, detail: e.Message);
        }
    }

    private static async Task<IResult> PullImageAsync(ImagePullCall call, NodeKubelet kubelet, CancellationToken cancellationToken)
    {
        if (call.Image.Length > 512 || !ImageByDigest().IsMatch(call.Image))
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["image"] = ["The image is pulled by digest only: registry/repository@sha256:<64 hex digits>."],
            });
        try
        {
            return Results.Ok(await kubelet.PullAsync(call.Image, cancellationToken).ConfigureAwait(false));
        }
        catch (NodeCallException e)
        {
            return Results.Problem(statusCode: 502, title: e.Title, detail: e.Message);
        }
    }

    private static IResult DeleteCheckpoint(string id, IOptions<AgentOptions> options)
    {
        if (!IsFileName(id) || !id.StartsWith("checkpoint-", StringComparison.Ordinal) || !id.EndsWith(".tar", StringComparison.Ordinal))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["A checkpoint id is the kubelet's archive name, checkpoint-*.tar, without any path."] });
        var path = Path.Combine(options.Value.CheckpointDirectory, id);
        if (!File.Exists(path))
            return Results.NotFound();
        File.Delete(path);
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteRegistryImageAsync(RegistryImageDeletion deletion, IOptions<AgentOptions> options, RegistryClient registry,
        CancellationToken cancellationToken)
    {
        var o = options.Value;
        var problems = new Dictionary<string, string[]>();
        if (!o.Registries.TryGetValue(deletion.Registry, out var target) || target.Host is null)
            problems["registry"] = [$"registry must name a registry of this agent's configuration ({AgentOptions.Section}:Registries); a host is never accepted."];
        if (!Repository().IsMatch(deletion.Repository))
            problems["repository"] = ["A repository is lower-case path components: [a-z0-9]+ separated by . _ - or /."];
        if (!Sha256Digest().IsMatch(deletion.Digest))
            problems["digest"] = ["An image is deleted by its manifest digest only: sha256:<64 hex digits>."];
        if (problems.Count > 0)
            return Results.ValidationProblem(problems);
        try
        {
            return await registry.DeleteAsync(target!, deletion.Repository, deletion.Digest, cancellationToken).ConfigureAwait(false)
                ? Results.NoContent()
                : Results.NotFound();
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException)
        {
            return Results.Problem(statusCode: 502, title: "Delete failed", detail: $"Deleting {deletion.Repository}@{deletion.Digest} failed: {e.Message}");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256Digest();

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9.\-]*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)+@sha256:[a-f0-9]{64}$")]
    private static partial Regex ImageByDigest();
}
