using System.Text.RegularExpressions;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Oci;
using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>The agent's HTTP API (<see cref="AgentRoutes"/>); the requests and answers are those of EdgePortal.Agent.Contracts.</summary>
public static partial class AgentEndpoints
{
    public static WebApplication MapEdgePortalAgent(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Routing first, so that the caller check knows the endpoint (a peer's certificate may reach only the receive endpoints).
        app.UseRouting();
        app.UseMiddleware<Security.CallerAuthorizationMiddleware>();
        app.MapGet(AgentRoutes.Health, () => Results.Text("ok"));
        app.MapPost(AgentRoutes.CheckpointImage, BuildImageAsync);
        app.MapPut(AgentRoutes.ReceivedImage, ReceiveImageAsync).WithMetadata(Security.ReceiveEndpoint.Instance);
        app.MapGet(AgentRoutes.CriuCapabilities, CapabilitiesAsync);
        app.MapGet(AgentRoutes.Transfers, (TransferTracker tracker) => Results.Ok(tracker.All().Select(t => t.ToStatus()).ToList()));
        app.MapGet(AgentRoutes.Transfer, (string id, TransferTracker tracker) => tracker.Find(id) is { } t ? Results.Ok(t.ToStatus()) : Results.NotFound());
        app.MapCriuEndpoints();
        app.MapKubeletEndpoints();
        return app;
    }

    private static IResult UnknownPeer(Peers.PeerAgents peers, string field = "peer") =>
        Results.ValidationProblem(new Dictionary<string, string[]>
        {
            [field] = [$"{field} must name a peer agent of this agent's configuration ({AgentOptions.Section}:Peers: {peers.Names}); a URL is never accepted."],
        });

    /// <summary>The rate a transfer runs at: the request's, else the agent's default; null for none.</summary>
    private static double? BandwidthLimit(double? requested, AgentOptions o) =>
        requested is > 0 ? requested : o.DefaultBandwidthBitsPerSecond > 0 ? o.DefaultBandwidthBitsPerSecond : null;

    private static async Task<IResult> BuildImageAsync(string id, CheckpointImageRequest request, IOptions<AgentOptions> options,
        RegistryClient registry, Peers.PeerAgents peers, TransferTracker tracker, TimeProvider time, ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var o = options.Value;
        var problems = new Dictionary<string, string[]>();
        if (!IsFileName(id))
            problems["id"] = ["The checkpoint id is the archive's file name in the checkpoint directory, without any path."];
        if (!Repository().IsMatch(request.Repository))
            problems["repository"] = ["A repository is lower-case path components: [a-z0-9]+ separated by . _ - or /."];
        if (!TagPattern().IsMatch(request.Tag))
            problems["tag"] = ["A tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}."];
        if (string.IsNullOrWhiteSpace(request.ContainerName))
            problems["containerName"] = ["The name of the checkpointed container is required (it becomes the checkpoint annotation)."];
        if (string.IsNullOrWhiteSpace(request.Registry) == string.IsNullOrWhiteSpace(request.Peer))
            problems["registry"] = ["Set exactly one of registry (push) and peer (stream to another agent)."];
        var peer = request.Peer is { Length: > 0 } p ? peers.Find(p) : null;
        if (request.Peer is { Length: > 0 } && peer is null)
            problems["peer"] = [$"peer must name a peer agent of this agent's configuration ({AgentOptions.Section}:Peers: {peers.Names}); a URL is never accepted."];
        AgentRegistryOptions? target = null;
        if (request.Registry is { Length: > 0 } r && !o.Registries.TryGetValue(r, out target))
            problems["registry"] = [$"registry must name a registry of this agent's configuration ({AgentOptions.Section}:Registries: {(o.Registries.Count == 0 ? "none" : string.Join(", ", o.Registries.Keys.Order(StringComparer.Ordinal)))}); a host is never accepted."];
        if (request.RuntimeName is { } runtime && !RuntimeNamePattern().IsMatch(runtime))
            problems["runtimeName"] = ["A runtime name is [a-z0-9][a-z0-9._-]{0,63} (runc, crun)."];
        if (request.BandwidthBitsPerSecond is { } b && (!double.IsFinite(b) || b < 0))
            problems["bandwidthBitsPerSecond"] = ["The bandwidth limit must be ≥ 0 bits per second."];
        if (problems.Count > 0)
            return Results.ValidationProblem(problems);

        var archive = Path.Combine(o.CheckpointDirectory, id);
        if (!File.Exists(archive))
            return Results.Problem(statusCode: 404, title: "Checkpoint not found", detail: $"No checkpoint archive {id} in {o.CheckpointDirectory} on this node.");

        var logger = loggers.CreateLogger("EdgePortal.Agent.Images");
        var image = await OciCheckpointImage.FromArchiveAsync(archive,
            new CheckpointMetadata(request.ContainerName, request.PodName, request.Namespace, request.RootfsImage, request.RuntimeName), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var limit = BandwidthLimit(request.BandwidthBitsPerSecond, o);
        var bucket = limit is { } bits ? TokenBucket.ForBits(bits, time) : null;
        var started = time.GetTimestamp();
        string reference, digest;
        TransferProgress progress;
        if (target is { Host: { } host })
        {
            reference = $"{host}/{request.Repository}:{request.Tag}";
            progress = tracker.Start("push", reference, image.TotalBytes, limit);
            try
            {
                digest = await registry.PushAsync(target, request.Repository, request.Tag, image, bucket, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException)
            {
                progress.Finish(e.Message);
                return Results.Problem(statusCode: 502, title: "Push failed", detail: $"Pushing {reference} failed: {e.Message}");
            }
        }
        else
        {
            ArgumentNullException.ThrowIfNull(peer); // validated above: exactly one of a configured registry and a configured peer
            var name = $"{request.Repository.Replace('/', '_')}_{request.Tag}".ToLowerInvariant();
            reference = new Uri(peer.BaseUri, AgentRoutes.Path(AgentRoutes.ReceivedImage, name)).AbsoluteUri;
            progress = tracker.Start("stream", reference, image.TotalBytes, limit);
            try
            {
                await peer.UploadImageAsync(name, new LayoutContent(image, $"{request.Repository}:{request.Tag}", bucket, progress), cancellationToken).ConfigureAwait(false);
                digest = image.Manifest.Digest;
            }
            catch (AgentCallException e)
            {
                progress.Finish(e.Message);
                return Results.Problem(statusCode: 502, title: "Stream failed", detail: $"Streaming to {peer.BaseUri} failed: {e.Message}");
            }
        }
        progress.Finish();
        var seconds = time.GetElapsedTime(started).TotalSeconds;
        LogImage(logger, reference, image.TotalBytes, seconds, limit);
        return Results.Ok(new CheckpointImageResult(reference, digest, image.Layer.Digest, image.TotalBytes, seconds, progress.Id));
    }

    private static async Task<IResult> ReceiveImageAsync(string name, HttpRequest request, IOptions<AgentOptions> options, TransferTracker tracker,
        CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(name))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["An image name is [a-z0-9][a-z0-9._-]{0,199}."] });
        var directory = options.Value.ImageDirectory;
        Directory.CreateDirectory(directory);
        var final = Path.Combine(directory, name + ".oci.tar");
        var partial = final + ".partial";
        var progress = tracker.Start("receive", name, request.ContentLength ?? 0, null);
        long bytes;
        try
        {
            await using (var file = File.Create(partial))
            {
                await request.Body.CopyToAsync(new ThrottledStream(file, null, progress, leaveOpen: true), cancellationToken).ConfigureAwait(false);
                bytes = file.Length;
            }
            var blobs = await OciLayoutArchive.VerifyAsync(partial, cancellationToken).ConfigureAwait(false);
            File.Move(partial, final, overwrite: true);
            progress.Finish();
            return Results.Created($"/images/{name}", new ReceivedImage(name, final, bytes, blobs));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
        {
            File.Delete(partial);
            progress.Finish(e.Message);
            return Results.Problem(statusCode: 400, title: "Bad image", detail: $"The streamed image {name} was rejected: {e.Message}");
        }
    }

    private static bool IsFileName(string id) =>
        id.Length is > 0 and < 256 && id == Path.GetFileName(id) && id is not ("." or "..") && !id.Contains('\\', StringComparison.Ordinal);

    [GeneratedRegex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")]
    private static partial Regex Repository();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,199}$")]
    private static partial Regex ImageName();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex RuntimeNamePattern();

    private static void LogImage(ILogger logger, string reference, long bytes, double seconds, double? limit) =>
        logger.LogInformation("Image {Reference}: {Bytes} bytes in {Seconds:0.00} s (limit {Limit} bit/s)", reference, bytes, seconds, limit?.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "none");
}
