using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Images;
using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

public static partial class AgentEndpoints
{
    private static async Task<IResult> SendImagesAsync(string id, CriuSendCall call, IOptions<AgentOptions> options, CriuImageStore images, Peers.PeerAgents peers,
        TransferTracker tracker, TimeProvider time, CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(id))
            return BadId();
        if (peers.Find(call.Peer) is not { } peerAgent)
            return UnknownPeer(peers);
        if (call.BandwidthBitsPerSecond is { } b && (!double.IsFinite(b) || b < 0))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["bandwidthBitsPerSecond"] = ["The bandwidth limit must be ≥ 0 bits per second."] });
        var directory = images.PathOf(id);
        if (!Directory.Exists(directory))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No images {id} on this agent.");
        if (call.PreDumpRound is { } round && (round < 0 || call.WithoutPreDumps || !Directory.Exists(Path.Combine(directory, CriuImageStore.PreDumpDirectory(round)))))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No pre-dump round {round} of images {id} on this agent.");
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;

        var limit = BandwidthLimit(call.BandwidthBitsPerSecond, o);
        var bucket = limit is { } bits ? TokenBucket.ForBits(bits, time) : null;
        var partOnly = call.PreDumpRound is not null || call.WithoutPreDumps;
        var entries = partOnly ? CriuImageStore.TarEntries(directory, call.PreDumpRound, call.WithoutPreDumps) : null;
        var size = entries is null ? CriuImageStore.Size(directory).Bytes : entries.Sum(e => File.Exists(e.Path) && new FileInfo(e.Path).LinkTarget is null ? new FileInfo(e.Path).Length : 0);
        var target = new Uri(peerAgent.BaseUri, AgentRoutes.Path(AgentRoutes.Images, id) + (call.Merge ? "?merge=true" : ""));
        var progress = tracker.Start("criu-stream", target.AbsoluteUri, size, limit);
        var started = time.GetTimestamp();
        CriuReceived received;
        try
        {
            received = await peerAgent.UploadImagesAsync(id, new DirectoryTarContent(directory, bucket, progress, entries), call.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentCallException e)
        {
            progress.Finish(e.Message);
            // 503 when the peer did not answer (restarting, say): the caller may try again later; 502 when it refused.
            return Results.Problem(statusCode: e.Unreachable ? 503 : 502, title: "Stream failed", detail: $"Streaming images {id} to {call.Peer} failed: {e.Message}");
        }
        progress.Finish();
        return Results.Ok(new CriuSendAnswer(id, call.Peer, progress.Bytes, time.GetElapsedTime(started).TotalMilliseconds, limit, progress.Id, received));
    }

    /// <summary>
    /// The streamed images replace what this agent holds under <paramref name="id"/>, or are added to it: when a page server
    /// received the pages of the same dump here (it must have finished well), or when the sender asks (merge=true).
    /// </summary>
    private static async Task<IResult> ReceiveImagesAsync(string id, HttpRequest request, CriuImageStore images, TransferTracker tracker,
        CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        var merge = workloads.PageServers.ContainsKey(id) || string.Equals(request.Query["merge"], "true", StringComparison.OrdinalIgnoreCase);
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;
        var progress = tracker.Start("criu-receive", id, request.ContentLength ?? 0, null);
        try
        {
            CriuReceived received;
            await using (var body = new ThrottledStream(request.Body, null, progress, leaveOpen: true))
                received = await images.ReceiveAsync(id, body, merge, cancellationToken).ConfigureAwait(false);
            progress.Finish();
            return Results.Created($"/criu/images/{id}", received);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            progress.Finish(e.Message);
            return Results.Problem(statusCode: 400, title: "Bad images", detail: $"The streamed images {id} were rejected: {e.Message}");
        }
    }

    /// <summary>Deletes the images, and stops a page server still waiting to receive them (a dump that failed or never came).</summary>
    private static async Task<IResult> DeleteImagesAsync(string id, CriuImageStore images, CriuWorkloads workloads, Addresses.HostNetwork host)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        if (workloads.PageServers.TryRemove(id, out var server))
            await server.DisposeAsync().ConfigureAwait(false);
        // A container dumped for this replay: no longer the workload's DELETE to remove (the source may serve on after a rollback).
        workloads.ReplayedContainers.TryRemove(id, out _);
        var lazy = workloads.LazyDumps.ContainsKey(id) || workloads.PageIns.ContainsKey(id);
        await StopLazyAsync(id, images, workloads, host).ConfigureAwait(false);
        return images.Delete(id) || lazy ? Results.NoContent() : Results.NotFound();
    }
}
