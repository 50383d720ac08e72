using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Images;
using EdgePortal.Agent.Proc;

namespace EdgePortal.Agent;

public static partial class AgentEndpoints
{
    /// <summary>
    /// Real checkpoint/restore on this host, by CRIU: workloads, dumps into images folders under
    /// <c>{ImageDirectory}/criu/{id}</c> (<see cref="CriuImageStore"/>), streaming them to a peer agent through the transfer
    /// token bucket, restores (in the host's network namespace, a fresh PID namespace each), and the service addresses that
    /// move with a process. Every CRIU answer carries CRIU's own stats and the wall clock; every CRIU failure CRIU's own words.
    /// </summary>
    public static WebApplication MapCriuEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPut(AgentRoutes.Workload, RegisterWorkload);
        app.MapGet(AgentRoutes.Workloads, (CriuWorkloads w) => Results.Ok(w.Named.Keys.Order(StringComparer.Ordinal).Select(n => Describe(n, w.Named[n])).ToList()));
        app.MapGet(AgentRoutes.Workload, GetWorkloadAsync);
        app.MapDelete(AgentRoutes.Workload, DeleteWorkloadAsync);
        app.MapPost(AgentRoutes.Dumps, DumpAsync);
        app.MapPost(AgentRoutes.SendImages, SendImagesAsync);
        app.MapPut(AgentRoutes.Images, ReceiveImagesAsync).WithMetadata(Security.ReceiveEndpoint.Instance);
        app.MapPost(AgentRoutes.PageServer, StartPageServerAsync);
        app.MapPost(AgentRoutes.Restore, RestoreAsync);
        app.MapDelete(AgentRoutes.Images, DeleteImagesAsync);
        app.MapDelete(AgentRoutes.Restored, KillRestoredAsync);
        app.MapLazyPagesEndpoints();
        app.MapPost(AgentRoutes.Addresses, AddressAsync);
        return app;
    }

    /// <summary>
    /// Forgets a registered workload; a container dumped here for a replay (<see cref="CriuWorkloads.ReplayedContainers"/>) is
    /// removed: the replay's clean-up calls this once the old source has left, and its stopped container is no workload any more.
    /// </summary>
    private static async Task<IResult> DeleteWorkloadAsync(string name, string? tenant, CriuWorkloads w, Podman.PodmanDriver podman)
    {
        if (BadTenant(tenant) is { } bad)
            return bad;
        var removed = false;
        foreach (var (id, (key, container)) in w.ReplayedContainers)
            if (key == CriuWorkloads.Key(name, tenant) && w.ReplayedContainers.TryRemove(id, out _))
                removed |= await podman.RemoveAsync(container, CancellationToken.None).ConfigureAwait(false);
        return w.Named.TryRemove(CriuWorkloads.Key(name, tenant), out _) || (tenant is not null && w.Named.TryRemove(name, out _))
            ? Saved(w, Results.NoContent())
            : removed ? Results.NoContent() : Results.NotFound();
    }

    private static CriuWorkload Describe(string key, (int Pid, string? RestoredFrom) entry)
    {
        var (name, tenant) = CriuWorkloads.Split(key);
        return ProcFs.Describe(name, entry.Pid, entry.RestoredFrom) with { Tenant = tenant };
    }

    /// <summary>The journal written after a change, then the answer.</summary>
    private static IResult Saved(CriuWorkloads workloads, IResult result)
    {
        workloads.Save();
        return result;
    }

    private static IResult WorkloadNotFound(string name) =>
        Results.Problem(statusCode: 404, title: "Workload not found", detail: $"No workload {name} is registered on this agent (PUT /criu/workloads/{name} with its pid).");

    private static IResult BadId() =>
        Results.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["An images id is [a-z0-9][a-z0-9._-]{0,199}."] });

    private static IResult RegisterWorkload(string name, CriuWorkloadRegistration registration, CriuWorkloads workloads)
    {
        if (!ImageName().IsMatch(name))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["A workload name is [a-z0-9][a-z0-9._-]{0,199}."] });
        if (BadTenant(registration.Tenant) is { } bad)
            return bad;
        if (registration.Pid <= 1 || !ProcFs.Exists(registration.Pid))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["pid"] = [$"No process {registration.Pid} runs on this host."] });
        var key = CriuWorkloads.Key(name, registration.Tenant);
        workloads.Named[key] = (registration.Pid, null);
        workloads.Save();
        return Results.Ok(Describe(key, workloads.Named[key]));
    }

    private static async Task<IResult> DumpAsync(CriuDumpCall call, CriuImageStore images, HostNetwork host, CriuDriver criu, CriuWorkloads workloads,
        Peers.PeerAgents peers, Podman.PodmanDriver podman, Microsoft.Extensions.Options.IOptions<AgentOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(call.Id))
            return BadId();
        if (BadTenant(call.Tenant) is { } badTenant)
            return badTenant;
        int pid;
        string? key = null;
        if (call.Workload is { Length: > 0 } name)
        {
            var resolved = await ResolveAsync(name, call.Tenant, workloads, podman, cancellationToken).ConfigureAwait(false);
            if (resolved.Problem is { } problem)
                return problem;
            if (resolved.Container is { } container)
                return call.LazyPages
                    ? Results.Problem(statusCode: 422, title: "No lazy pages for containers",
                        detail: $"{name} is a Podman container: podman container checkpoint has no --lazy-pages; migrate it Cold.")
                    : await DumpContainerAsync(call, container, images, host, podman, workloads, cancellationToken).ConfigureAwait(false);
            key = resolved.Key;
            pid = resolved.Entry.Pid;
        }
        else if (call.Pid is > 1 and var p)
            pid = p;
        else
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["workload"] = ["Set workload (a registered name) or pid."] });

        if (call.LazyPages)
            return await StartLazyDumpAsync(call, key, pid, images, host, criu, workloads, options, time, cancellationToken).ConfigureAwait(false);
        var directory = images.PathOf(call.Id);
        string? previous = null;
        if (call.PreDumpRound is { } round)
        {
            if (round < 0 || call.AfterPreDumpRound is not null || call.PageServer is not null || call.ReleaseAddress is { Length: > 0 })
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["preDumpRound"] = ["preDumpRound is a round ≥ 0 and comes without afterPreDumpRound, pageServer or releaseAddress."] });
            if (round == 0 && Directory.Exists(directory))
                return ImagesExist(call.Id);
            if (round > 0 && !Directory.Exists(Path.Combine(directory, CriuImageStore.PreDumpDirectory(round - 1))))
                return Results.Problem(statusCode: 409, title: "Previous round missing", detail: $"Pre-dump round {round} of images {call.Id} needs round {round - 1} ({CriuImageStore.PreDumpDirectory(round - 1)}) here first.");
            if (Directory.Exists(Path.Combine(directory, CriuImageStore.PreDumpDirectory(round))))
                return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Pre-dump round {round} of images {call.Id} exists on this agent already.");
            previous = round == 0 ? null : $"../{CriuImageStore.PreDumpDirectory(round - 1)}";
        }
        else if (call.AfterPreDumpRound is { } last)
        {
            if (last < 0)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["afterPreDumpRound"] = ["afterPreDumpRound is a round ≥ 0."] });
            if (call.PageServer is not null)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageServer"] = ["A dump after pre-dump rounds writes its delta here: no page server."] });
            if (!Directory.Exists(Path.Combine(directory, CriuImageStore.PreDumpDirectory(last))))
                return Results.Problem(statusCode: 409, title: "Previous round missing", detail: $"The dump after pre-dump round {last} of images {call.Id} needs that round ({CriuImageStore.PreDumpDirectory(last)}) here first.");
            if (File.Exists(Path.Combine(directory, "inventory.img")))
                return Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {call.Id} hold a dump already; DELETE /criu/images/{call.Id} first.");
            previous = CriuImageStore.PreDumpDirectory(last);
        }
        else if (Directory.Exists(directory))
            return ImagesExist(call.Id);
        if (call.ReleaseAddress is { Length: > 0 } release && !System.Net.IPNetwork.TryParse(release, out _))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["releaseAddress"] = ["releaseAddress is an address with its prefix length, e.g. 10.231.0.100/24."] });
        CriuPageServerEndpoint? pageServer = null;
        if (call.PageServer is { } ps)
        {
            if (!System.Net.IPAddress.TryParse(ps.Address, out var psAddress) || ps.Port is < 1 or > 65535)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageServer"] = ["pageServer is the address and port (1-65535) the destination's page server answered."] });
            if (!peers.IsPageServer(psAddress))
                return Results.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["pageServer"] = [$"pageServer.address {ps.Address} is not the page server address of a peer of this agent's configuration ({AgentOptions.Section}:Peers: {peers.Names}): pages go to configured peers only."],
                });
            pageServer = new CriuPageServerEndpoint(ps.Address, ps.Port);
        }
        var device = string.IsNullOrWhiteSpace(call.Device) ? host.ServiceDevice : call.Device;
        var inNamespace = CriuDriver.PidInItsNamespace(pid).Pid;
        var preDump = call.PreDumpRound is not null;
        var written = preDump ? Path.Combine(directory, CriuImageStore.PreDumpDirectory(call.PreDumpRound!.Value)) : directory;
        // The dump runs to its end whatever happens to the request that asked for it, as a restore does: CRIU killed halfway
        // would leave the process in an unknown state, while a finished dump leaves images a rollback restores from (the
        // chaos lab kills the portal while dumps run).
        var outcome = await criu.DumpAsync(new CriuDumpRequest(pid, written, host.Namespace, call.LeaveRunning, call.ReleaseAddress, device, call.TcpClose, pageServer,
            preDump, previous), CancellationToken.None).ConfigureAwait(false);
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
            var (roundBytes, roundFiles) = CriuImageStore.Size(written);
            return Results.Ok(new CriuDumpAnswer(call.Id, pid, roundBytes, roundFiles, dumped.WallClock.TotalMilliseconds, dumped.Stats, dumped.LogPath, inNamespace,
                PreDumpRound: call.PreDumpRound, PrevImagesDir: previous));
        }
        if (!call.LeaveRunning && key is { } gone && workloads.Named.TryRemove(gone, out var was)
            && was.RestoredFrom is { } from && workloads.Restored.TryRemove(from, out var tree))
            // The dumped tree was restored here: its PID namespace holds nothing but its init now.
            await tree.DisposeAsync().ConfigureAwait(false);
        if (!call.LeaveRunning && key is not null)
            workloads.Save();
        var (bytes, files) = previous is null ? CriuImageStore.Size(directory) : CriuImageStore.Size(directory, withoutPreDumps: true);
        return Results.Ok(new CriuDumpAnswer(call.Id, pid, bytes, files, dumped.WallClock.TotalMilliseconds, dumped.Stats, dumped.LogPath, inNamespace, pageServer?.ToString(),
            PrevImagesDir: previous));
    }

    private static IResult ImagesExist(string id) =>
        Results.Problem(statusCode: 409, title: "Images exist", detail: $"Images {id} already exist on this agent; DELETE /criu/images/{id} first.");

    private static async Task<IResult> RestoreAsync(string id, CriuRestoreCall call, CriuImageStore images, HostNetwork host, CriuDriver criu,
        CriuWorkloads workloads, Podman.PodmanDriver podman, Peers.PeerAgents peers, Microsoft.Extensions.Options.IOptions<AgentOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!ImageName().IsMatch(id))
            return BadId();
        if (call.Workload is { Length: > 0 } w && !ImageName().IsMatch(w))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["workload"] = ["A workload name is [a-z0-9][a-z0-9._-]{0,199}."] });
        if (BadTenant(call.Tenant) is { } badTenant)
            return badTenant;
        var directory = images.PathOf(id);
        if (!Directory.Exists(directory))
            return Results.Problem(statusCode: 404, title: "Images not found", detail: $"No images {id} on this agent.");
        if (workloads.Restored.ContainsKey(id) || workloads.RestoredContainers.ContainsKey(id))
            return Results.Problem(statusCode: 409, title: "Already restored", detail: $"Images {id} are restored and running here; DELETE /criu/restored/{id} first.");
        if (File.Exists(Path.Combine(directory, Podman.PodmanDriver.ArchiveName)))
            return await RestoreContainerAsync(id, call, directory, host, workloads, podman).ConfigureAwait(false);
        if (await PageServerFailedAsync(id, workloads).ConfigureAwait(false) is { } pageServerFailed)
            return pageServerFailed;
        if (call.LazyPageServer is not null)
            return await LazyRestoreAsync(id, call, directory, host, criu, workloads, peers, options, time, cancellationToken).ConfigureAwait(false);
        // The restore runs on, whatever happens to the request that asked for it: a half-restored tree is worse than a slow answer.
        var outcome = await criu.RestoreAsync(new CriuRestoreRequest(directory, host.Namespace, call.TcpClose), CancellationToken.None).ConfigureAwait(false);
        // A failed restore keeps the guard until the rollback takes the address off (HostNetwork.DropGuardAsync says why).
        if (outcome is CriuOutcome.Failed failed)
            return Results.Problem(statusCode: 422, title: "criu restore failed", detail: failed.Reason);
        // The restored sockets exist: traffic to a guarded address may reach the host again.
        await host.DropGuardAsync().ConfigureAwait(false);
        var restored = (CriuOutcome.Restored)outcome;
        workloads.Restored[id] = restored.Tree;
        var pid = ProcFs.RestoredRoot(restored.Tree.HolderPid);
        if (call.Workload is { Length: > 0 } name)
            workloads.Named[CriuWorkloads.Key(name, call.Tenant)] = (pid, id);
        workloads.Save();
        return Results.Ok(new CriuRestoreAnswer(id, restored.Tree.Pid, pid, restored.Tree.HolderPid, restored.WallClock.TotalMilliseconds, restored.Stats, restored.LogPath));
    }

    private static async Task<IResult> KillRestoredAsync(string id, CriuWorkloads workloads, Podman.PodmanDriver podman)
    {
        if (workloads.PageIns.TryRemove(id, out var pageIn))
        {
            await pageIn.Daemon.DisposeAsync().ConfigureAwait(false);
            await pageIn.Relay.DisposeAsync().ConfigureAwait(false);
        }
        if (workloads.RestoredContainers.TryRemove(id, out var container))
        {
            await podman.RemoveAsync(container, CancellationToken.None).ConfigureAwait(false);
            return Results.NoContent();
        }
        if (!workloads.Restored.TryRemove(id, out var tree))
            return Results.NotFound();
        foreach (var (name, entry) in workloads.Named)
            if (entry.RestoredFrom == id)
                workloads.Named.TryRemove(name, out _);
        await tree.DisposeAsync().ConfigureAwait(false);
        workloads.Save();
        return Results.NoContent();
    }
}
