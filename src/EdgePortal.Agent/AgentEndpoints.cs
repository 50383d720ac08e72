using System.Net.Http.Headers;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using EdgePortal.Agent.Oci;
using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>POST /checkpoints/{id}/image: what the portal asks. Either <see cref="Registry"/> or <see cref="Peer"/>.</summary>
public sealed record CheckpointImageRequest
{
    /// <summary>Registry <c>host[:port]</c> to push to.</summary>
    [JsonPropertyName("registry")] public string? Registry { get; init; }
    [JsonPropertyName("registryPlainHttp")] public bool RegistryPlainHttp { get; init; }
    /// <summary>Base URL of the destination node's agent, to stream the image to instead of a registry.</summary>
    [JsonPropertyName("peer")] public string? Peer { get; init; }
    [JsonPropertyName("repository")] public string Repository { get; init; } = "";
    [JsonPropertyName("tag")] public string Tag { get; init; } = "";
    [JsonPropertyName("containerName")] public string ContainerName { get; init; } = "";
    [JsonPropertyName("podName")] public string PodName { get; init; } = "";
    [JsonPropertyName("namespace")] public string Namespace { get; init; } = "";
    [JsonPropertyName("rootfsImage")] public string? RootfsImage { get; init; }
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
}

public sealed record CheckpointImageResult(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
    [property: JsonPropertyName("layerDigest")] string LayerDigest,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("transferId")] string TransferId);

public sealed record ReceivedImage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("blobs")] int Blobs);

public static partial class AgentEndpoints
{
    public const string PeerClient = "peer";

    public static WebApplication MapEdgePortalAgent(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<Security.SharedTokenMiddleware>();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapPost("/checkpoints/{id}/image", BuildImageAsync);
        app.MapPut("/images/{name}", ReceiveImageAsync);
        app.MapGet("/criu/capabilities", (Criu.CriuDriver criu, CancellationToken cancellationToken) => criu.ProbeAsync(cancellationToken));
        app.MapGet("/transfers", (TransferTracker tracker) => Results.Ok(tracker.All()));
        app.MapGet("/transfers/{id}", (string id, TransferTracker tracker) => tracker.Find(id) is { } t ? Results.Ok(t) : Results.NotFound());
        app.MapCriuEndpoints();
        return app;
    }

    private static async Task<IResult> BuildImageAsync(string id, CheckpointImageRequest request, IOptions<AgentOptions> options,
        RegistryClient registry, IHttpClientFactory clients, TransferTracker tracker, TimeProvider time, ILoggerFactory loggers,
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
        if (request.Peer is { Length: > 0 } p && !(Uri.TryCreate(p, UriKind.Absolute, out var peerUri) && peerUri.Scheme is "http" or "https"))
            problems["peer"] = ["peer must be the absolute http(s) URL of the destination agent."];
        if (request.BandwidthBitsPerSecond is { } b && (!double.IsFinite(b) || b < 0))
            problems["bandwidthBitsPerSecond"] = ["The bandwidth limit must be ≥ 0 bits per second."];
        if (problems.Count > 0)
            return Results.ValidationProblem(problems);

        var archive = Path.Combine(o.CheckpointDirectory, id);
        if (!File.Exists(archive))
            return Results.Problem(statusCode: 404, title: "Checkpoint not found", detail: $"No checkpoint archive {id} in {o.CheckpointDirectory} on this node.");

        var logger = loggers.CreateLogger("EdgePortal.Agent.Images");
        var image = await OciCheckpointImage.FromArchiveAsync(archive,
            new CheckpointMetadata(request.ContainerName, request.PodName, request.Namespace, request.RootfsImage), time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        var limit = request.BandwidthBitsPerSecond is > 0 ? request.BandwidthBitsPerSecond : o.DefaultBandwidthBitsPerSecond > 0 ? o.DefaultBandwidthBitsPerSecond : null;
        var bucket = limit is { } bits ? TokenBucket.ForBits(bits, time) : null;
        var started = time.GetTimestamp();
        string reference, digest;
        TransferProgress progress;
        if (request.Registry is { Length: > 0 } host)
        {
            reference = $"{host}/{request.Repository}:{request.Tag}";
            progress = tracker.Start("push", reference, image.TotalBytes, limit);
            try
            {
                var registryUri = new Uri($"{(request.RegistryPlainHttp ? "http" : "https")}://{host}/");
                digest = await registry.PushAsync(registryUri, request.Repository, request.Tag, image, bucket, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException)
            {
                progress.Finish(e.Message);
                return Results.Problem(statusCode: 502, title: "Push failed", detail: $"Pushing {reference} failed: {e.Message}");
            }
        }
        else
        {
            var peer = new Uri(request.Peer!.EndsWith('/') ? request.Peer : request.Peer + "/");
            var name = $"{request.Repository.Replace('/', '_')}_{request.Tag}".ToLowerInvariant();
            reference = new Uri(peer, $"images/{name}").AbsoluteUri;
            progress = tracker.Start("stream", reference, image.TotalBytes, limit);
            try
            {
                using var put = new HttpRequestMessage(HttpMethod.Put, reference)
                {
                    Content = new LayoutContent(image, $"{request.Repository}:{request.Tag}", bucket, progress),
                };
                put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);
                using var response = await clients.CreateClient(PeerClient).SendAsync(put, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    progress.Finish(body);
                    return Results.Problem(statusCode: 502, title: "Stream failed", detail: $"The peer agent answered {(int)response.StatusCode}: {body}");
                }
                digest = image.Manifest.Digest;
            }
            catch (HttpRequestException e)
            {
                progress.Finish(e.Message);
                return Results.Problem(statusCode: 502, title: "Stream failed", detail: $"Streaming to {peer} failed: {e.Message}");
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

    private static void LogImage(ILogger logger, string reference, long bytes, double seconds, double? limit) =>
        logger.LogInformation("Image {Reference}: {Bytes} bytes in {Seconds:0.00} s (limit {Limit} bit/s)", reference, bytes, seconds, limit?.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "none");

    /// <summary>The image layout tar, produced while it is sent, through the transfer's token bucket.</summary>
    private sealed class LayoutContent(OciCheckpointImage image, string reference, TokenBucket? bucket, TransferProgress progress) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await using var throttled = new ThrottledStream(stream, bucket, progress, leaveOpen: true);
            await OciLayoutArchive.WriteAsync(throttled, image, reference, cancellationToken).ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
