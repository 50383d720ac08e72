using System.Globalization;
using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Images;
using EdgePortal.Agent.PageIn;
using EdgePortal.Agent.Proc;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>
/// Post-copy (CRIU lazy migration) on this host. Source: POST /criu/dumps with lazyPages runs criu dump --lazy-pages and
/// answers once its page server listens; POST /criu/images/{id}/lazy-dump waits until it has sent every page (and CRIU has
/// killed the frozen tree). Destination: POST /criu/images/{id}/restore with lazyPageServer starts a relay to the source's
/// page server (over the host's link, at the reserved bandwidth), criu lazy-pages behind it, and criu restore --lazy-pages;
/// POST /criu/images/{id}/page-in waits for the last page. DELETE /criu/images/{id} stops whichever of them is left.
/// </summary>
public static partial class AgentEndpoints
{
    public static WebApplication MapLazyPagesEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(AgentRoutes.PageIn, PageInAsync);
        app.MapPost(AgentRoutes.LazyDump, LazyDumpAsync);
        return app;
    }

    private static async Task<IResult> StartLazyDumpAsync(CriuDumpCall call, string? key, int pid, CriuImageStore images, HostNetwork host, CriuDriver criu,
        CriuWorkloads workloads, IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (call.LeaveRunning || call.TcpClose || call.PageServer is not null || call.PreDumpRound is not null || call.AfterPreDumpRound is not null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["lazyPages"] = ["lazyPages comes without leaveRunning, tcpClose, pageServer, preDumpRound and afterPreDumpRound."] });
        if (call.ReleaseAddress is { Length: > 0 } release && !System.Net.IPNetwork.TryParse(release, out _))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["releaseAddress"] = ["releaseAddress is an address with its prefix length, e.g. 10.231.0.100/24."] });
        var directory = images.PathOf(call.Id);
        if (Directory.Exists(directory) || workloads.LazyDumps.ContainsKey(call.Id))
            return ImagesExist(call.Id);
        var address = options.Value.PageServerAddress is { Length: > 0 } configured ? configured : await host.PrimaryAddressAsync(cancellationToken).ConfigureAwait(false);
        if (address is null)
            return Results.Problem(statusCode: 422, title: "No address for a page server",
                detail: $"{host.ServiceDevice} has no IPv4 address of its own on this host; set {AgentOptions.Section}:PageServerAddress to the address peers reach this host at.");
        var device = string.IsNullOrWhiteSpace(call.Device) ? host.ServiceDevice : call.Device;
        var started = time.GetUtcNow();
        var begin = time.GetTimestamp();
        CriuPageServer dump;
        try
        {
            dump = await criu.StartLazyDumpAsync(new CriuDumpRequest(pid, directory, host.Namespace, ReleaseAddress: call.ReleaseAddress, ReleaseDevice: device),
                address, LazyDumpLog(directory), cancellationToken).ConfigureAwait(false);
        }
        catch (CriuPageServerException e)
        {
            // CRIU resumed the process itself (its dump failed before the page server): nothing of it is left to undo here.
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
            return Results.Problem(statusCode: 422, title: "criu dump --lazy-pages failed", detail: e.Message);
        }
        var wall = time.GetElapsedTime(begin);
        workloads.LazyDumps[call.Id] = (dump, key, pid, started);
        var (bytes, files) = CriuImageStore.Size(directory);
        var endpoint = dump.Endpoint;
        return Results.Ok(new CriuDumpAnswer(call.Id, pid, bytes, files, wall.TotalMilliseconds, null, dump.LogPath, CriuDriver.PidInItsNamespace(pid).Pid,
            endpoint.ToString(), LazyPageServer: new CriuPageServerCall { Address = endpoint.Address, Port = endpoint.Port }));
    }

    /// <summary>The lazy dump's log: beside its images, not among them (they travel while CRIU still writes it).</summary>
    private static string LazyDumpLog(string directory) => directory + ".lazy-dump.log";

    private static async Task<IResult> LazyDumpAsync(string id, CriuImageStore images, CriuWorkloads workloads, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        if (!workloads.LazyDumps.TryGetValue(id, out var lazy))
            return Results.Problem(statusCode: 404, title: "No lazy dump", detail: $"No lazy dump of images {id} runs or ran on this agent.");
        var reason = await lazy.Dump.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        workloads.LazyDumps.TryRemove(id, out _);
        if (reason is not null)
            return Results.Problem(statusCode: 422, title: "criu dump --lazy-pages failed", detail: reason);
        // CRIU killed the frozen tree once its last page was sent.
        if (lazy.Key is { } key && workloads.Named.TryGetValue(key, out var entry) && entry.Pid == lazy.Pid)
        {
            workloads.Named.TryRemove(key, out _);
            if (entry.RestoredFrom is { } from && workloads.Restored.TryRemove(from, out var tree))
                await tree.DisposeAsync().ConfigureAwait(false);
        }
        var directory = images.PathOf(id);
        var (bytes, files) = CriuImageStore.Size(directory);
        var ended = lazy.Dump.ExitedAt ?? time.GetUtcNow();
        return Results.Ok(new CriuDumpAnswer(id, lazy.Pid, bytes, files, (ended - lazy.Started).TotalMilliseconds,
            CriuStatsReader.ReadDump(Path.Combine(directory, "stats-dump")), lazy.Dump.LogPath, CriuDriver.PidInItsNamespace(lazy.Pid).Pid));
    }

    private static async Task<IResult> LazyRestoreAsync(string id, CriuRestoreCall call, string directory, HostNetwork host, CriuDriver criu, CriuWorkloads workloads,
        Peers.PeerAgents peers, IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var ps = call.LazyPageServer!;
        if (!System.Net.IPAddress.TryParse(ps.Address, out var psAddress) || ps.Port is < 1 or > 65535)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["lazyPageServer"] = ["lazyPageServer is the address and port (1-65535) the source's lazy dump answered."] });
        if (!peers.IsPageServer(psAddress))
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["lazyPageServer"] = [$"lazyPageServer.address {ps.Address} is not the page server address of a peer of this agent's configuration ({AgentOptions.Section}:Peers: {peers.Names}): pages come from configured peers only."],
            });
        if (call.BandwidthBitsPerSecond is { } b && (!double.IsFinite(b) || b < 0))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["bandwidthBitsPerSecond"] = ["The bandwidth limit must be ≥ 0 bits per second."] });
        if (call.TcpClose)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["tcpClose"] = ["A lazy restore takes the connections over as they were dumped (no tcpClose)."] });
        if (workloads.PageIns.ContainsKey(id))
            return Results.Problem(statusCode: 409, title: "Already restored", detail: $"Images {id} are restored lazily here; DELETE /criu/restored/{id} first.");
        PageRelay relay;
        try
        {
            relay = await PageRelay.StartAsync(host.Namespace, new System.Net.IPEndPoint(psAddress, ps.Port), BandwidthLimit(call.BandwidthBitsPerSecond, options.Value), time, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return Results.Problem(statusCode: 422, title: "Lazy page server unreachable", detail: e.Message);
        }
        CriuPageServer daemon;
        try
        {
            daemon = await criu.StartLazyPagesAsync(directory, "127.0.0.1", relay.Port, cancellationToken).ConfigureAwait(false);
        }
        catch (CriuPageServerException e)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
            return Results.Problem(statusCode: 422, title: "criu lazy-pages failed", detail: e.Message);
        }
        // The restore runs on, whatever happens to the request that asked for it: a half-restored tree is worse than a slow answer.
        var outcome = await criu.RestoreAsync(new CriuRestoreRequest(directory, host.Namespace, LazyPages: true), CancellationToken.None).ConfigureAwait(false);
        if (outcome is CriuOutcome.Failed failed)
        {
            await daemon.DisposeAsync().ConfigureAwait(false);
            await relay.DisposeAsync().ConfigureAwait(false);
            return Results.Problem(statusCode: 422, title: "criu restore failed", detail: failed.Reason);
        }
        var resumedAt = time.GetUtcNow();
        await host.DropGuardAsync().ConfigureAwait(false);
        var restored = (CriuOutcome.Restored)outcome;
        workloads.Restored[id] = restored.Tree;
        workloads.PageIns[id] = (daemon, relay, resumedAt);
        var pid = ProcFs.RestoredRoot(restored.Tree.HolderPid);
        if (call.Workload is { Length: > 0 } name)
            workloads.Named[CriuWorkloads.Key(name, call.Tenant)] = (pid, id);
        return Results.Ok(new CriuRestoreAnswer(id, restored.Tree.Pid, pid, restored.Tree.HolderPid, restored.WallClock.TotalMilliseconds, restored.Stats, restored.LogPath));
    }

    private static async Task<IResult> PageInAsync(string id, CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        if (!workloads.PageIns.TryGetValue(id, out var pageIn))
            return Results.Problem(statusCode: 404, title: "No page-in", detail: $"Images {id} were not restored lazily on this agent (or their page-in was reported already).");
        var reason = await pageIn.Daemon.Finished.WaitAsync(cancellationToken).ConfigureAwait(false);
        var relayed = await pageIn.Relay.Completed.WaitAsync(cancellationToken).ConfigureAwait(false);
        workloads.PageIns.TryRemove(id, out _);
        await pageIn.Relay.DisposeAsync().ConfigureAwait(false);
        if (reason is not null)
        {
            // Pages that never came cannot be faulted in: the restored process would read zeros where its memory was. It is
            // killed rather than left to run on a corrupt state.
            if (workloads.Restored.TryRemove(id, out var tree))
                await tree.DisposeAsync().ConfigureAwait(false);
            foreach (var (name, entry) in workloads.Named)
                if (entry.RestoredFrom == id)
                    workloads.Named.TryRemove(name, out _);
            return Results.Problem(statusCode: 422, title: "page-in failed",
                detail: string.Create(CultureInfo.InvariantCulture,
                    $"{reason}{(relayed is null ? "" : $"; {relayed}")}; {pageIn.Relay.Bytes / 1e6:0.0} MB had arrived from {pageIn.Relay.Source}; the lazily restored process was killed (its missing pages are lost)"));
        }
        var last = pageIn.Relay.LastByteAt ?? pageIn.Daemon.ExitedAt ?? pageIn.ResumedAt;
        return Results.Ok(new CriuPageInAnswer(id, pageIn.Relay.Bytes, pageIn.ResumedAt, last, Math.Max(0, (last - pageIn.ResumedAt).TotalMilliseconds),
            pageIn.Relay.LimitBitsPerSecond, pageIn.Relay.Source, pageIn.Daemon.LogPath));
    }

    /// <summary>Stops the lazy dump or page-in of images <paramref name="id"/>, if one is left (a rollback, a clean-up).</summary>
    private static async Task StopLazyAsync(string id, CriuImageStore images, CriuWorkloads workloads, HostNetwork host)
    {
        if (workloads.LazyDumps.TryRemove(id, out var lazy))
        {
            // CRIU resumes the frozen tree itself only when its page transfer fails (a clean end of the stream means every
            // page was sent, and it kills the tree; killing CRIU leaves the tree stopped). So the transfer is made to fail:
            // a connection to its page server that sends a byte and is reset. Killed only if it does not end then.
            if (lazy.Dump.Running)
                await PageStream.AbortAsync(host.Namespace, lazy.Dump.Endpoint).ConfigureAwait(false);
            try
            {
                await lazy.Dump.Finished.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still serving: it did not take the aborted stream.
            }
            await lazy.Dump.DisposeAsync().ConfigureAwait(false);
        }
        // File.Delete of a file whose folder is missing throws: the images folder may never have existed here.
        var log = LazyDumpLog(images.PathOf(id));
        if (File.Exists(log))
            File.Delete(log);
        if (workloads.PageIns.TryRemove(id, out var pageIn))
        {
            await pageIn.Daemon.DisposeAsync().ConfigureAwait(false);
            await pageIn.Relay.DisposeAsync().ConfigureAwait(false);
        }
    }
}
