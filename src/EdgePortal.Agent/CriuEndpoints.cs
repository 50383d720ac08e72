using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>PUT /criu/workloads/{name}: a process of this host that migrations may name instead of its PID.</summary>
public sealed record CriuWorkloadRegistration([property: JsonPropertyName("pid")] int Pid);

/// <summary>A registered workload as /proc shows it now.</summary>
/// <param name="Pid">The PID in the agent's PID namespace (for a restored workload, the restored root's PID seen from here).</param>
/// <param name="RestoredFrom">The images a restored workload came from (it runs in its own PID namespace); null for a process registered by PID.</param>
public sealed record CriuWorkload(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("running")] bool Running,
    [property: JsonPropertyName("commandLine")] string? CommandLine,
    [property: JsonPropertyName("residentBytes")] long? ResidentBytes,
    [property: JsonPropertyName("threads")] int? Threads,
    [property: JsonPropertyName("restoredFrom")] string? RestoredFrom);

/// <summary>POST /criu/dumps: dump <see cref="Pid"/> or the registered <see cref="Workload"/> into the images <see cref="Id"/>.</summary>
public sealed record CriuDumpCall
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("pid")] public int? Pid { get; init; }
    [JsonPropertyName("workload")] public string? Workload { get; init; }
    [JsonPropertyName("leaveRunning")] public bool LeaveRunning { get; init; }
    /// <summary>The service address (CIDR) to take off this host after the dump, before CRIU's network lock is lifted.</summary>
    [JsonPropertyName("releaseAddress")] public string? ReleaseAddress { get; init; }
    [JsonPropertyName("device")] public string? Device { get; init; }
    /// <summary>Dump TCP connections as closed (CRIU --tcp-close): the process keeps them, a restored copy reconnects.</summary>
    [JsonPropertyName("tcpClose")] public bool TcpClose { get; init; }
    /// <summary>Send the pages to this page server (POST /criu/images/{id}/page-server on the destination) while dumping.</summary>
    [JsonPropertyName("pageServer")] public CriuPageServerCall? PageServer { get; init; }
    /// <summary>
    /// A pre-dump round instead of a dump (CRIU pre-dump --track-mem, the process runs on): round 0 writes all the memory into
    /// images/{id}/pre-0, round n only the pages dirtied since round n-1 into pre-n (--prev-images-dir ../pre-{n-1}).
    /// </summary>
    [JsonPropertyName("preDumpRound")] public int? PreDumpRound { get; init; }
    /// <summary>The final dump after pre-dump round n: only the pages dirtied since it (--track-mem --prev-images-dir pre-n).</summary>
    [JsonPropertyName("afterPreDumpRound")] public int? AfterPreDumpRound { get; init; }
}

/// <summary>A page server's address and port, as the destination's POST /criu/images/{id}/page-server answered them.</summary>
public sealed record CriuPageServerCall
{
    [JsonPropertyName("address")] public string Address { get; init; } = "";
    [JsonPropertyName("port")] public int Port { get; init; }
}

/// <summary>A page server started for images <see cref="Id"/>: the source dumps to <see cref="Address"/>:<see cref="Port"/>.</summary>
public sealed record CriuPageServerAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("log")] string Log);

/// <param name="Bytes">The images written here (without the pages when they went to a page server).</param>
/// <param name="PidInNamespace">The PID CRIU dumped: the process's PID in its own PID namespace (a restored tree's), else <see cref="Pid"/>.</param>
/// <param name="PageServer">The page server the pages went to (address:port), or null when they were written here.</param>
public sealed record CriuDumpAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("stats")] CriuDumpStats? Stats,
    [property: JsonPropertyName("log")] string Log,
    [property: JsonPropertyName("pidInNamespace")] int PidInNamespace = 0,
    [property: JsonPropertyName("pageServer")] string? PageServer = null,
    [property: JsonPropertyName("preDumpRound")] int? PreDumpRound = null,
    [property: JsonPropertyName("prevImagesDir")] string? PrevImagesDir = null);

/// <summary>POST /criu/images/{id}/send: stream the images to the agent at <see cref="Peer"/>.</summary>
public sealed record CriuSendCall
{
    [JsonPropertyName("peer")] public string Peer { get; init; } = "";
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
    /// <summary>The peer adds these files to the images it holds under the same id (pages a page server received, or the
    /// other images) instead of replacing them.</summary>
    [JsonPropertyName("merge")] public bool Merge { get; init; }
    /// <summary>Send only pre-dump round n's directory (pre-n, with its parent link), for the peer to add to its images.</summary>
    [JsonPropertyName("preDumpRound")] public int? PreDumpRound { get; init; }
    /// <summary>Send the images without the pre-dump rounds' directories (the peer holds them already): the last delta only.</summary>
    [JsonPropertyName("withoutPreDumps")] public bool WithoutPreDumps { get; init; }
}

/// <param name="Received">What the peer holds under the id once it took the stream (with the pages its page server received).</param>
public sealed record CriuSendAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("limitBitsPerSecond")] double? LimitBitsPerSecond,
    [property: JsonPropertyName("transferId")] string TransferId,
    [property: JsonPropertyName("received")] CriuReceived? Received = null);

public sealed record CriuReceived(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("files")] int Files);

/// <summary>POST /criu/images/{id}/restore: restore here; the restored tree is registered as <see cref="Workload"/> when given.</summary>
public sealed record CriuRestoreCall
{
    [JsonPropertyName("workload")] public string? Workload { get; init; }
    /// <summary>The images were dumped with tcpClose: restore their TCP connections closed (CRIU --tcp-close).</summary>
    [JsonPropertyName("tcpClose")] public bool TcpClose { get; init; }
}

public sealed record CriuRestoreAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("pidInNamespace")] int PidInNamespace,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("holderPid")] int HolderPid,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("stats")] CriuRestoreStats? Stats,
    [property: JsonPropertyName("log")] string Log);

/// <summary>POST /net/addresses/{add|remove|announce}: a service address (CIDR) on this host's <see cref="Device"/>.</summary>
public sealed record AddressCall
{
    [JsonPropertyName("address")] public string Address { get; init; } = "";
    [JsonPropertyName("device")] public string? Device { get; init; }
    /// <summary>After adding, send unsolicited ARP (arping -U) so that neighbours' caches point at this host at once.</summary>
    [JsonPropertyName("announce")] public bool Announce { get; init; }
    /// <summary>
    /// Add the address guarded: TCP to it is dropped (nftables table <c>inet edgeportal_guard</c>) until the next restore on
    /// this agent ends, so that a client's retransmission arriving before the restored socket exists is not reset.
    /// </summary>
    [JsonPropertyName("guard")] public bool Guard { get; init; }
}

public sealed record AddressAnswer(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("done")] string Done,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs);

/// <summary>
/// The processes migrations may name (registered by PID, or restored here) and the restored trees this agent holds. In
/// memory: an agent restart forgets them, but never kills them (each tree's <c>unshare --kill-child</c> holder lives on).
/// </summary>
public sealed class CriuWorkloads
{
    internal readonly ConcurrentDictionary<string, (int Pid, string? RestoredFrom)> Named = new(StringComparer.Ordinal);
    internal readonly ConcurrentDictionary<string, RestoredTree> Restored = new(StringComparer.Ordinal);
    internal readonly ConcurrentDictionary<string, CriuPageServer> PageServers = new(StringComparer.Ordinal);
}

public static partial class AgentEndpoints
{
    /// <summary>
    /// Real checkpoint/restore on this host, by CRIU: workloads, dumps into images folders under
    /// <c>{ImageDirectory}/criu/{id}</c>, streaming them to a peer agent through the transfer token bucket, restores (in
    /// the host's network namespace, a fresh PID namespace each), and the service addresses that move with a process.
    /// Every CRIU answer carries CRIU's own stats and the wall clock; every CRIU failure CRIU's own words.
    /// </summary>
    public static WebApplication MapCriuEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPut("/criu/workloads/{name}", RegisterWorkload);
        app.MapGet("/criu/workloads", (CriuWorkloads w) => Results.Ok(w.Named.Keys.Order(StringComparer.Ordinal).Select(n => Describe(n, w.Named[n])).ToList()));
        app.MapGet("/criu/workloads/{name}", (string name, CriuWorkloads w) => w.Named.TryGetValue(name, out var e)
            ? Results.Ok(Describe(name, e))
            : Results.Problem(statusCode: 404, title: "Workload not found", detail: $"No workload {name} is registered on this agent (PUT /criu/workloads/{name} with its pid)."));
        app.MapDelete("/criu/workloads/{name}", (string name, CriuWorkloads w) => w.Named.TryRemove(name, out _) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/criu/dumps", DumpAsync);
        app.MapPost("/criu/images/{id}/send", SendImagesAsync);
        app.MapPut("/criu/images/{id}", ReceiveImagesAsync);
        app.MapPost("/criu/images/{id}/page-server", StartPageServerAsync);
        app.MapPost("/criu/images/{id}/restore", RestoreAsync);
        app.MapDelete("/criu/images/{id}", DeleteImagesAsync);
        app.MapDelete("/criu/restored/{id}", KillRestoredAsync);
        app.MapPost("/net/addresses/{action}", AddressAsync);
        return app;
    }

    /// <summary>The nftables table that guards service addresses added ahead of a restore.</summary>
    public const string GuardTable = "edgeportal_guard";

    private static string CriuImages(AgentOptions o, string id) => Path.Combine(o.ImageDirectory, "criu", id);

    private static string? Namespace(AgentOptions o) => string.IsNullOrEmpty(o.NetworkNamespace) ? null : o.NetworkNamespace;

    private static IResult BadId() =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["An images id is [a-z0-9][a-z0-9._-]{0,199}."] });

    private static IResult RegisterWorkload(string name, CriuWorkloadRegistration registration, CriuWorkloads workloads)
    {
        if (!ImageName().IsMatch(name))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["A workload name is [a-z0-9][a-z0-9._-]{0,199}."] });
        if (registration.Pid <= 1 || !Directory.Exists($"/proc/{registration.Pid.ToString(CultureInfo.InvariantCulture)}"))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["pid"] = [$"No process {registration.Pid} runs on this host."] });
        workloads.Named[name] = (registration.Pid, null);
        return Results.Ok(Describe(name, workloads.Named[name]));
    }

    private static async Task<IResult> DumpAsync(CriuDumpCall call, IOptions<AgentOptions> options, CriuDriver criu, CriuWorkloads workloads,
        CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(call.Id))
            return BadId();
        int pid;
        if (call.Workload is { Length: > 0 } name)
        {
            if (!workloads.Named.TryGetValue(name, out var entry))
                return Results.Problem(statusCode: 404, title: "Workload not found", detail: $"No workload {name} is registered on this agent (PUT /criu/workloads/{name} with its pid).");
            pid = entry.Pid;
        }
        else if (call.Pid is > 1 and var p)
            pid = p;
        else
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["workload"] = ["Set workload (a registered name) or pid."] });

        var directory = CriuImages(o, call.Id);
        string? previous = null;
        if (call.PreDumpRound is { } round)
        {
            if (round < 0 || call.AfterPreDumpRound is not null || call.PageServer is not null || call.ReleaseAddress is { Length: > 0 })
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["preDumpRound"] = ["preDumpRound is a round ≥ 0 and comes without afterPreDumpRound, pageServer or releaseAddress."] });
            if (round == 0 && Directory.Exists(directory))
                return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {call.Id} already exist on this agent; DELETE /criu/images/{call.Id} first.");
            if (round > 0 && !Directory.Exists(Path.Combine(directory, PreDumpDirectory(round - 1))))
                return Results.Problem(statusCode: 409, title: "Previous round missing", detail: $"Pre-dump round {round} of images {call.Id} needs round {round - 1} ({PreDumpDirectory(round - 1)}) here first.");
            if (Directory.Exists(Path.Combine(directory, PreDumpDirectory(round))))
                return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Pre-dump round {round} of images {call.Id} exists on this agent already.");
            previous = round == 0 ? null : $"../{PreDumpDirectory(round - 1)}";
        }
        else if (call.AfterPreDumpRound is { } last)
        {
            if (last < 0)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["afterPreDumpRound"] = ["afterPreDumpRound is a round ≥ 0."] });
            if (call.PageServer is not null)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageServer"] = ["A dump after pre-dump rounds writes its delta here: no page server."] });
            if (!Directory.Exists(Path.Combine(directory, PreDumpDirectory(last))))
                return Results.Problem(statusCode: 409, title: "Previous round missing", detail: $"The dump after pre-dump round {last} of images {call.Id} needs that round ({PreDumpDirectory(last)}) here first.");
            if (File.Exists(Path.Combine(directory, "inventory.img")))
                return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {call.Id} hold a dump already; DELETE /criu/images/{call.Id} first.");
            previous = PreDumpDirectory(last);
        }
        else if (Directory.Exists(directory))
            return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {call.Id} already exist on this agent; DELETE /criu/images/{call.Id} first.");
        if (call.ReleaseAddress is { Length: > 0 } release && !System.Net.IPNetwork.TryParse(release, out _))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["releaseAddress"] = ["releaseAddress is an address with its prefix length, e.g. 10.231.0.100/24."] });
        CriuPageServerEndpoint? pageServer = null;
        if (call.PageServer is { } ps)
        {
            if (!System.Net.IPAddress.TryParse(ps.Address, out _) || ps.Port is < 1 or > 65535)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageServer"] = ["pageServer is the address and port (1-65535) the destination's page server answered."] });
            pageServer = new CriuPageServerEndpoint(ps.Address, ps.Port);
        }
        var device = string.IsNullOrWhiteSpace(call.Device) ? o.ServiceDevice : call.Device;
        var inNamespace = CriuDriver.PidInItsNamespace(pid).Pid;
        var preDump = call.PreDumpRound is not null;
        var written = preDump ? Path.Combine(directory, PreDumpDirectory(call.PreDumpRound!.Value)) : directory;
        var outcome = await criu.DumpAsync(new CriuDumpRequest(pid, written, Namespace(o), call.LeaveRunning, call.ReleaseAddress, device, call.TcpClose, pageServer,
            preDump, previous), cancellationToken).ConfigureAwait(false);
        if (outcome is CriuOutcome.Failed failed)
        {
            // A failed round leaves no half-written round behind for the next attempt to trip over.
            if (preDump && Directory.Exists(written))
                Directory.Delete(written, recursive: true);
            return Results.Problem(statusCode: 422, title: preDump ? "criu pre-dump failed" : "criu dump failed", detail: failed.Reason);
        }
        var dumped = (CriuOutcome.Dumped)outcome;
        if (preDump)
        {
            var (roundBytes, roundFiles) = Size(written);
            return Results.Ok(new CriuDumpAnswer(call.Id, pid, roundBytes, roundFiles, dumped.WallClock.TotalMilliseconds, dumped.Stats, dumped.LogPath, inNamespace,
                PreDumpRound: call.PreDumpRound, PrevImagesDir: previous));
        }
        if (!call.LeaveRunning && call.Workload is { Length: > 0 } gone && workloads.Named.TryRemove(gone, out var was)
            && was.RestoredFrom is { } from && workloads.Restored.TryRemove(from, out var tree))
            // The dumped tree was restored here: its PID namespace holds nothing but its init now.
            await tree.DisposeAsync().ConfigureAwait(false);
        var (bytes, files) = previous is null ? Size(directory) : Size(directory, withoutPreDumps: true);
        return Results.Ok(new CriuDumpAnswer(call.Id, pid, bytes, files, dumped.WallClock.TotalMilliseconds, dumped.Stats, dumped.LogPath, inNamespace, pageServer?.ToString(),
            PrevImagesDir: previous));
    }

    private static async Task<IResult> SendImagesAsync(string id, CriuSendCall call, IOptions<AgentOptions> options, IHttpClientFactory clients,
        TransferTracker tracker, TimeProvider time, CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(id))
            return BadId();
        if (!(Uri.TryCreate(call.Peer, UriKind.Absolute, out var peer) && peer.Scheme is "http" or "https"))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["peer"] = ["peer must be the absolute http(s) URL of the destination agent."] });
        if (call.BandwidthBitsPerSecond is { } b && (!double.IsFinite(b) || b < 0))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["bandwidthBitsPerSecond"] = ["The bandwidth limit must be ≥ 0 bits per second."] });
        var directory = CriuImages(o, id);
        if (!Directory.Exists(directory))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No images {id} on this agent.");
        if (call.PreDumpRound is { } round && (round < 0 || call.WithoutPreDumps || !Directory.Exists(Path.Combine(directory, PreDumpDirectory(round)))))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No pre-dump round {round} of images {id} on this agent.");
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;

        var limit = call.BandwidthBitsPerSecond is > 0 ? call.BandwidthBitsPerSecond : o.DefaultBandwidthBitsPerSecond > 0 ? o.DefaultBandwidthBitsPerSecond : null;
        var bucket = limit is { } bits ? TokenBucket.ForBits(bits, time) : null;
        var target = new Uri(new Uri(call.Peer.EndsWith('/') ? call.Peer : call.Peer + "/"), $"criu/images/{id}{(call.Merge ? "?merge=true" : "")}");
        var partOnly = call.PreDumpRound is not null || call.WithoutPreDumps;
        var entries = partOnly ? TarEntries(directory, call.PreDumpRound, call.WithoutPreDumps) : null;
        var size = entries is null ? Size(directory).Bytes : entries.Sum(e => File.Exists(e.Path) && new FileInfo(e.Path).LinkTarget is null ? new FileInfo(e.Path).Length : 0);
        var progress = tracker.Start("criu-stream", target.AbsoluteUri, size, limit);
        var started = time.GetTimestamp();
        CriuReceived? received;
        try
        {
            using var put = new HttpRequestMessage(HttpMethod.Put, target) { Content = new DirectoryTarContent(directory, bucket, progress, entries) };
            put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);
            using var response = await clients.CreateClient(PeerClient).SendAsync(put, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                progress.Finish(body);
                return Results.Problem(statusCode: 502, title: "Stream failed", detail: $"The peer agent answered {(int)response.StatusCode}: {body}");
            }
            received = await response.Content.ReadFromJsonAsync<CriuReceived>(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            progress.Finish(e.Message);
            return Results.Problem(statusCode: 502, title: "Stream failed", detail: $"Streaming images {id} to {call.Peer} failed: {e.Message}");
        }
        progress.Finish();
        return Results.Ok(new CriuSendAnswer(id, call.Peer, progress.Bytes, time.GetElapsedTime(started).TotalMilliseconds, limit, progress.Id, received));
    }

    /// <summary>
    /// The streamed images replace what this agent holds under <paramref name="id"/>, or are added to it: when a page server
    /// received the pages of the same dump here (it must have finished well), or when the sender asks (merge=true).
    /// </summary>
    private static async Task<IResult> ReceiveImagesAsync(string id, HttpRequest request, IOptions<AgentOptions> options, TransferTracker tracker,
        CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        var merge = workloads.PageServers.ContainsKey(id) || string.Equals(request.Query["merge"], "true", StringComparison.OrdinalIgnoreCase);
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;
        var directory = CriuImages(options.Value, id);
        var partial = directory + ".partial";
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        var progress = tracker.Start("criu-receive", id, request.ContentLength ?? 0, null);
        try
        {
            await using (var body = new ThrottledStream(request.Body, null, progress, leaveOpen: true))
                await TarFile.ExtractToDirectoryAsync(body, partial, overwriteFiles: true, cancellationToken).ConfigureAwait(false);
            if (merge && Directory.Exists(directory))
            {
                // Files and links (CRIU's parent) replace their namesakes; folders (pre-dump rounds) replace theirs whole.
                foreach (var entry in new DirectoryInfo(partial).EnumerateFileSystemInfos())
                {
                    var to = Path.Combine(directory, entry.Name);
                    if (entry is DirectoryInfo && entry.LinkTarget is null)
                    {
                        if (Directory.Exists(to) && new DirectoryInfo(to).LinkTarget is null)
                            Directory.Delete(to, recursive: true);
                        else if (File.Exists(to) || Directory.Exists(to))
                            File.Delete(to);
                        Directory.Move(entry.FullName, to);
                    }
                    else
                    {
                        if (Directory.Exists(to) && new DirectoryInfo(to).LinkTarget is null)
                            Directory.Delete(to, recursive: true);
                        else if (Directory.Exists(to))
                            File.Delete(to);
                        File.Move(entry.FullName, to, overwrite: true);
                    }
                }
                Directory.Delete(partial, recursive: true);
            }
            else
            {
                if (Directory.Exists(directory))
                    Directory.Delete(directory, recursive: true);
                Directory.Move(partial, directory);
            }
            progress.Finish();
            var (bytes, files) = Size(directory);
            return Results.Created($"/criu/images/{id}", new CriuReceived(id, bytes, files));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Directory.Delete(partial, recursive: true);
            progress.Finish(e.Message);
            return Results.Problem(statusCode: 400, title: "Bad images", detail: $"The streamed images {id} were rejected: {e.Message}");
        }
    }

    private static async Task<IResult> RestoreAsync(string id, CriuRestoreCall call, IOptions<AgentOptions> options, CriuDriver criu,
        CriuWorkloads workloads)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(id))
            return BadId();
        if (call.Workload is { Length: > 0 } w && !ImageName().IsMatch(w))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["workload"] = ["A workload name is [a-z0-9][a-z0-9._-]{0,199}."] });
        var directory = CriuImages(o, id);
        if (!Directory.Exists(directory))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No images {id} on this agent.");
        if (workloads.Restored.ContainsKey(id))
            return Results.Problem(statusCode: 409, title: "Already restored", detail: $"Images {id} are restored and running here; DELETE /criu/restored/{id} first.");
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;
        // The restore runs on, whatever happens to the request that asked for it: a half-restored tree is worse than a slow answer.
        var outcome = await criu.RestoreAsync(new CriuRestoreRequest(directory, Namespace(o), call.TcpClose), CancellationToken.None).ConfigureAwait(false);
        // The restored sockets exist (or never will): traffic to a guarded address may reach the host again.
        await RunInHostAsync(o, ["nft", "delete", "table", "inet", GuardTable], CancellationToken.None).ConfigureAwait(false);
        if (outcome is CriuOutcome.Failed failed)
            return Results.Problem(statusCode: 422, title: "criu restore failed", detail: failed.Reason);
        var restored = (CriuOutcome.Restored)outcome;
        workloads.Restored[id] = restored.Tree;
        var pid = RestoredRoot(restored.Tree.HolderPid);
        if (call.Workload is { Length: > 0 } name)
            workloads.Named[name] = (pid, id);
        return Results.Ok(new CriuRestoreAnswer(id, restored.Tree.Pid, pid, restored.Tree.HolderPid, restored.WallClock.TotalMilliseconds, restored.Stats, restored.LogPath));
    }

    /// <summary>Deletes the images, and stops a page server still waiting to receive them (a dump that failed or never came).</summary>
    private static async Task<IResult> DeleteImagesAsync(string id, IOptions<AgentOptions> options, CriuWorkloads workloads)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        if (workloads.PageServers.TryRemove(id, out var server))
            await server.DisposeAsync().ConfigureAwait(false);
        var directory = CriuImages(options.Value, id);
        if (!Directory.Exists(directory))
            return Results.NotFound();
        Directory.Delete(directory, recursive: true);
        return Results.NoContent();
    }

    /// <summary>
    /// POST /criu/images/{id}/page-server: a <c>criu page-server</c> on this host's address (<see cref="AgentOptions.PageServerAddress"/>,
    /// else the first address of the service device) at a port the kernel picks, receiving the pages of the dump of
    /// images <paramref name="id"/> into this agent's images <paramref name="id"/>.
    /// </summary>
    private static async Task<IResult> StartPageServerAsync(string id, IOptions<AgentOptions> options, CriuDriver criu, CriuWorkloads workloads,
        ILogger<CriuWorkloads> logger, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(id))
            return BadId();
        var directory = CriuImages(o, id);
        if (Directory.Exists(directory) || workloads.PageServers.ContainsKey(id))
            return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {id} already exist on this agent; DELETE /criu/images/{id} first.");
        var address = o.PageServerAddress is { Length: > 0 } configured ? configured : await HostAddressAsync(o, cancellationToken).ConfigureAwait(false);
        if (address is null)
            return Results.Problem(statusCode: 422, title: "No address for a page server",
                detail: $"{o.ServiceDevice} has no IPv4 address of its own on this host; set {AgentOptions.Section}:PageServerAddress to the address peers reach this host at.");
        CriuPageServer server;
        try
        {
            server = await criu.StartPageServerAsync(directory, Namespace(o), address, cancellationToken).ConfigureAwait(false);
        }
        catch (CriuPageServerException e)
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
            return Results.Problem(statusCode: 422, title: "criu page-server failed", detail: e.Message);
        }
        workloads.PageServers[id] = server;
        _ = ExpireAsync(id, server, directory, o.PageServerTimeout, workloads, logger);
        return Results.Ok(new CriuPageServerAnswer(id, server.Address, server.Endpoint.Port, server.LogPath));
    }

    /// <summary>
    /// Kills the page server of images <paramref name="id"/> and deletes its images when it has not finished within
    /// <paramref name="timeout"/> (<see cref="AgentOptions.PageServerTimeout"/>) and nobody has taken it over (a DELETE, a
    /// restore waiting for it): the portal that started it is gone, and it would listen and hold its folder forever.
    /// </summary>
    private static async Task ExpireAsync(string id, CriuPageServer server, string directory, TimeSpan timeout, CriuWorkloads workloads, ILogger logger)
    {
        try
        {
            await server.Finished.WaitAsync(timeout).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            // Still waiting for (or receiving) a dump.
        }
        if (!workloads.PageServers.TryRemove(new KeyValuePair<string, CriuPageServer>(id, server)))
            return;
        await server.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted meanwhile.
        }
        catch (IOException e)
        {
            logger.LogError(e, "Could not delete the images {Directory} of an expired page server", directory);
        }
        logger.LogWarning("Stopped the page server for images {Id} on {Address} and deleted its images: it had not received a whole dump within {Timeout}",
            id, server.Address, timeout);
    }

    /// <summary>
    /// Waits for the page server that received the pages of images <paramref name="id"/> here, if there is one, and forgets it:
    /// null when there was none or it received a whole dump, else the problem to answer.
    /// </summary>
    private static async Task<IResult?> PageServerFailedAsync(string id, CriuWorkloads workloads)
    {
        if (!workloads.PageServers.TryGetValue(id, out var server))
            return null;
        string? reason;
        try
        {
            reason = await server.Finished.WaitAsync(PageServerWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Results.Problem(statusCode: 409, title: "Page server still receiving",
                detail: $"The page server for images {id} ({server.Address}) has not finished within {PageServerWait.TotalSeconds:0} s: the dump that feeds it is still running or never connected.");
        }
        workloads.PageServers.TryRemove(id, out _);
        await server.DisposeAsync().ConfigureAwait(false);
        return reason is null ? null : Results.Problem(statusCode: 422, title: "criu page-server failed", detail: reason);
    }

    private static readonly TimeSpan PageServerWait = TimeSpan.FromSeconds(30);

    /// <summary>The first (primary) IPv4 address of the service device in the host's namespace, without its prefix.</summary>
    private static async Task<string?> HostAddressAsync(AgentOptions o, CancellationToken cancellationToken)
    {
        var shown = await RunInHostAsync(o, ["ip", "-4", "-o", "addr", "show", "dev", o.ServiceDevice], cancellationToken).ConfigureAwait(false);
        if (shown.ExitCode != 0)
            return null;
        return shown.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains("secondary", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"inet (\d+\.\d+\.\d+\.\d+)/"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).FirstOrDefault();
    }

    private static async Task<IResult> KillRestoredAsync(string id, CriuWorkloads workloads)
    {
        if (!workloads.Restored.TryRemove(id, out var tree))
            return Results.NotFound();
        foreach (var (name, entry) in workloads.Named)
            if (entry.RestoredFrom == id)
                workloads.Named.TryRemove(name, out _);
        await tree.DisposeAsync().ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> AddressAsync(string action, AddressCall call, IOptions<AgentOptions> options, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (action is not ("add" or "remove" or "announce"))
            return Results.NotFound();
        if (!System.Net.IPNetwork.TryParse(call.Address, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["address"] = ["address is an IPv4 address with its prefix length, e.g. 10.231.0.100/24."] });
        var device = string.IsNullOrWhiteSpace(call.Device) ? o.ServiceDevice : call.Device;
        var ip = call.Address.Split('/')[0];
        var clock = Stopwatch.StartNew();
        var done = new List<string>();
        if (action == "add")
        {
            if (call.Guard)
            {
                foreach (var nft in (string[][])[
                    ["nft", "add", "table", "inet", GuardTable],
                    ["nft", "add", "chain", "inet", GuardTable, "input", "{ type filter hook input priority -10 ; policy accept ; }"],
                    ["nft", "add", "rule", "inet", GuardTable, "input", "ip", "daddr", ip, "meta", "l4proto", "tcp", "drop"]])
                {
                    var r = await RunInHostAsync(o, nft, cancellationToken).ConfigureAwait(false);
                    if (r.ExitCode != 0)
                        return Results.Problem(statusCode: 422, title: "nft failed", detail: $"{string.Join(' ', nft)}: {r.Output.Trim()}");
                }
                done.Add($"TCP to {ip} dropped until the next restore here");
            }
            var add = await RunInHostAsync(o, ["ip", "addr", "replace", call.Address, "dev", device], cancellationToken).ConfigureAwait(false);
            if (add.ExitCode != 0)
                return Results.Problem(statusCode: 422, title: "ip addr failed", detail: $"ip addr replace {call.Address} dev {device}: {add.Output.Trim()}");
            done.Add($"added {call.Address} on {device}");
        }
        else if (action == "remove")
        {
            var del = await RunInHostAsync(o, ["ip", "addr", "del", call.Address, "dev", device], cancellationToken).ConfigureAwait(false);
            // Removing an address that is not there is what a retried or rolled-back step asks: done already.
            if (del.ExitCode != 0 && !del.Output.Contains("Cannot assign requested address", StringComparison.Ordinal))
                return Results.Problem(statusCode: 422, title: "ip addr failed", detail: $"ip addr del {call.Address} dev {device}: {del.Output.Trim()}");
            done.Add(del.ExitCode == 0 ? $"removed {call.Address} from {device}" : $"{call.Address} was not on {device}");
        }
        if (action == "announce" || (action == "add" && call.Announce))
        {
            // Unsolicited ARP: neighbours that cached the address at the old host's MAC update at once instead of after their
            // ARP timeout. arping sends the first at once, then waits a whole second (its -i takes whole seconds) before the
            // second, sent in case the first is lost: the answer comes after the first, arping finishes on its own.
            var error = await AnnounceAsync(o, device, ip).ConfigureAwait(false);
            if (error is not null)
                return Results.Problem(statusCode: 422, title: "arping failed", detail: error);
            done.Add($"announced {ip} on {device} (unsolicited ARP)");
        }
        return Results.Ok(new AddressAnswer(call.Address, device, string.Join("; ", done), clock.Elapsed.TotalMilliseconds));
    }

    /// <summary>Starts <c>arping -U -c 2</c> in the host; null once it runs (or ran) well, else arping's own words.</summary>
    private static async Task<string?> AnnounceAsync(AgentOptions o, string device, string ip)
    {
        string[] arping = ["arping", "-U", "-c", "2", "-I", device, ip];
        var info = new ProcessStartInfo(Namespace(o) is null ? arping[0] : "nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in Namespace(o) is { } ns ? [$"--net={ns}", "--", .. arping] : arping[1..])
            info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("arping did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"arping could not start: {e.Message} (Debian package iputils-arping)";
        }
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var exited = process.WaitForExitAsync(CancellationToken.None);
        _ = exited.ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
        if (await Task.WhenAny(exited, Task.Delay(50)).ConfigureAwait(false) != exited || process.ExitCode == 0)
            return null;
        var text = (await output.ConfigureAwait(false) + await errors.ConfigureAwait(false)).Trim();
        // In unsolicited mode arping exits 1 when nothing answered, which is expected; anything it could not send is not.
        return process.ExitCode == 1 && text.Contains("Sent", StringComparison.Ordinal) ? null
            : $"arping -U -I {device} {ip} ({process.ExitCode}): {text} (Debian package iputils-arping)";
    }

    private static Task<CommandResult> RunInHostAsync(AgentOptions o, string[] command, CancellationToken cancellationToken) =>
        Namespace(o) is { } ns
            ? CommandRunner.RunAsync("nsenter", [$"--net={ns}", "--", .. command], cancellationToken)
            : CommandRunner.RunAsync(command[0], command[1..], cancellationToken);

    private static (long Bytes, int Files) Size(string directory, bool withoutPreDumps = false)
    {
        // Never through a link: CRIU's parent link leads to the previous round, which is counted (or not) as itself.
        var files = new List<FileInfo>();
        void Walk(DirectoryInfo folder, bool recurse)
        {
            foreach (var entry in folder.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null)
                    continue;
                if (entry is FileInfo file)
                    files.Add(file);
                else if (recurse && entry is DirectoryInfo sub)
                    Walk(sub, true);
            }
        }
        Walk(new DirectoryInfo(directory), !withoutPreDumps);
        return (files.Sum(f => f.Length), files.Count);
    }

    /// <summary>Where pre-dump round <paramref name="round"/> of an images id is written, below the images folder.</summary>
    public static string PreDumpDirectory(int round) => $"pre-{round.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The entries to stream (path, name in the tar): the whole folder; one pre-dump round's folder (named pre-n/…, so that
    /// its parent link ../pre-{n-1} stays inside the folder the peer extracts to); or all but the pre-dump rounds.
    /// Symbolic links (CRIU's parent) go as links, never followed.
    /// </summary>
    private static List<(string Path, string Name)> TarEntries(string directory, int? preDumpRound, bool withoutPreDumps)
    {
        var entries = new List<(string, string)>();
        void Walk(string path, string name)
        {
            entries.Add((path, name));
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null)
                return;
            foreach (var child in info.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                if (child is DirectoryInfo && child.LinkTarget is null)
                    Walk(child.FullName, $"{name}/{child.Name}");
                else
                    entries.Add((child.FullName, $"{name}/{child.Name}"));
            }
        }
        if (preDumpRound is { } round)
        {
            Walk(Path.Combine(directory, PreDumpDirectory(round)), PreDumpDirectory(round));
            return entries;
        }
        foreach (var child in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var isRound = child is DirectoryInfo && child.LinkTarget is null && PreDumpName().IsMatch(child.Name);
            if (isRound && withoutPreDumps)
                continue;
            if (child is DirectoryInfo && child.LinkTarget is null)
                Walk(child.FullName, child.Name);
            else
                entries.Add((child.FullName, child.Name));
        }
        return entries;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^pre-\d+$")]
    private static partial System.Text.RegularExpressions.Regex PreDumpName();

    private static CriuWorkload Describe(string name, (int Pid, string? RestoredFrom) entry)
    {
        var proc = $"/proc/{entry.Pid.ToString(CultureInfo.InvariantCulture)}";
        string? commandLine = null;
        long? rss = null;
        int? threads = null;
        try
        {
            commandLine = File.ReadAllText($"{proc}/cmdline").Replace('\0', ' ').Trim();
            foreach (var line in File.ReadLines($"{proc}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (or a zombie): reported as not running.
        }
        return new CriuWorkload(name, entry.Pid, commandLine is { Length: > 0 }, commandLine, rss, threads, entry.RestoredFrom);
    }

    /// <summary>
    /// The restored root's PID seen from the agent: the holder (unshare) has one child, the namespace's init (the shell that
    /// became <c>sleep infinity</c>), whose child is the restored tree CRIU detached. 0 when that shape is not there.
    /// </summary>
    private static int RestoredRoot(int holderPid)
    {
        static int FirstChild(int pid)
        {
            var path = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task/{pid.ToString(CultureInfo.InvariantCulture)}/children";
            try
            {
                var first = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                return first is null ? 0 : int.Parse(first, CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                return 0;
            }
        }
        var init = FirstChild(holderPid);
        return init == 0 ? 0 : FirstChild(init);
    }

    /// <summary>An images folder as a tar, produced while it is sent, through the transfer's token bucket.</summary>
    private sealed class DirectoryTarContent(string directory, TokenBucket? bucket, TransferProgress progress, List<(string Path, string Name)>? entries = null) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
        {
            await using var throttled = new ThrottledStream(stream, bucket, progress, leaveOpen: true);
            if (entries is null)
            {
                await TarFile.CreateFromDirectoryAsync(directory, throttled, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
                return;
            }
            await using var tar = new TarWriter(throttled, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var (path, name) in entries)
                await tar.WriteEntryAsync(path, name, cancellationToken).ConfigureAwait(false);
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
