using System.Text.RegularExpressions;
using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Images;
using EdgePortal.Agent.Podman;
using EdgePortal.Agent.Proc;

namespace EdgePortal.Agent;

public static partial class AgentEndpoints
{
    /// <summary>What a workload name of a tenant resolves to: a registered (or restored) process, or a Podman container.</summary>
    private sealed record ResolvedWorkload(string? Key, (int Pid, string? RestoredFrom) Entry, PodmanContainer? Container, IResult? Problem);

    /// <summary>CRIU's probe, with Podman's when the agent drives it.</summary>
    private static async Task<CriuCapabilities> CapabilitiesAsync(CriuDriver criu, PodmanDriver podman, CancellationToken cancellationToken)
    {
        var c = await criu.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return podman.Enabled ? c with { Podman = await podman.ProbeAsync(c, cancellationToken).ConfigureAwait(false) } : c;
    }

    private static IResult? BadTenant(string? tenant) => tenant is null || TenantPattern().IsMatch(tenant)
        ? null
        : Results.ValidationProblem(new Dictionary<string, string[]> { ["tenant"] = ["A tenant is [a-z0-9][a-z0-9_-]{0,63} (the portal sends its tenant id, 32 hex digits)."] });

    /// <summary>
    /// Workload <paramref name="name"/> of <paramref name="tenant"/>, in this order: a process registered (or restored) for
    /// that tenant; the running Podman container labelled with both (or named <c>{name}.{tenant}</c>); a process registered
    /// without a tenant (a single-tenant host). Another tenant's workload of the same name is never found.
    /// </summary>
    private static async Task<ResolvedWorkload> ResolveAsync(string name, string? tenant, CriuWorkloads workloads, PodmanDriver podman, CancellationToken cancellationToken)
    {
        if (tenant is { Length: > 0 } && workloads.Named.TryGetValue(CriuWorkloads.Key(name, tenant), out var owned))
            return new ResolvedWorkload(CriuWorkloads.Key(name, tenant), owned, null, null);
        if (tenant is { Length: > 0 } && podman.Enabled)
        {
            try
            {
                if (await podman.FindAsync(name, tenant, cancellationToken).ConfigureAwait(false) is { } container)
                    return new ResolvedWorkload(null, default, container, null);
            }
            catch (PodmanException e)
            {
                return new ResolvedWorkload(null, default, null, Results.Problem(statusCode: 422, title: "Podman failed", detail: e.Message));
            }
        }
        if (workloads.Named.TryGetValue(name, out var shared))
            return new ResolvedWorkload(name, shared, null, null);
        if (tenant is null)
        {
            // Asked without a tenant (an operator, a calibration): the one tenant's workload of that name, if only one has it.
            var owners = workloads.Named.Keys.Where(k => CriuWorkloads.Split(k).Name == name).ToList();
            if (owners.Count == 1 && workloads.Named.TryGetValue(owners[0], out var only))
                return new ResolvedWorkload(owners[0], only, null, null);
            if (owners.Count > 1)
                return new ResolvedWorkload(null, default, null, Results.Problem(statusCode: 409, title: "Workload ambiguous",
                    detail: $"{owners.Count} tenants have a workload {name} on this agent: name the tenant (?tenant= or \"tenant\")."));
        }
        var where = podman.Enabled && tenant is { Length: > 0 }
            ? $"; no running Podman container is labelled {PodmanDriver.ServiceLabel}={name} and {PodmanDriver.TenantLabel}={tenant} or named {PodmanDriver.QualifiedName(name, tenant)}"
            : "";
        return new ResolvedWorkload(null, default, null, Results.Problem(statusCode: 404, title: "Workload not found",
            detail: $"No workload {name}{(tenant is null ? "" : $" of tenant {tenant}")} is registered on this agent (PUT /criu/workloads/{name} with its pid{(tenant is null ? "" : " and tenant")}){where}."));
    }

    private static async Task<IResult> GetWorkloadAsync(string name, string? tenant, CriuWorkloads workloads, PodmanDriver podman, CancellationToken cancellationToken)
    {
        if (BadTenant(tenant) is { } bad)
            return bad;
        var resolved = await ResolveAsync(name, tenant, workloads, podman, cancellationToken).ConfigureAwait(false);
        if (resolved.Problem is { } problem)
            return problem;
        if (resolved.Container is { } c)
            return Results.Ok(ProcFs.Describe(name, await podman.PidAsync(c.Id, cancellationToken).ConfigureAwait(false), null) with { Tenant = tenant, Container = c });
        return Results.Ok(Describe(resolved.Key!, resolved.Entry));
    }

    /// <summary>
    /// A container's checkpoint: <c>podman container checkpoint --export</c> into the images folder (one archive, streamed to
    /// the peer like any images), then, when it ends the container, the service address off the host. Pre-dump rounds and page
    /// servers are CRIU options Podman does not pass on. A replay's dump (<c>tcpClose</c> with <c>leaveRunning</c>) keeps the
    /// container running with its connections (<c>--leave-running --tcp-established</c>, uncompressed): Podman 4.3 cannot dump
    /// them closed, and need not — the destination restores the copy with them closed (<see cref="RestoreContainerAsync"/>).
    /// </summary>
    private static async Task<IResult> DumpContainerAsync(CriuDumpCall call, PodmanContainer container, CriuImageStore images, HostNetwork host, PodmanDriver podman,
        CriuWorkloads workloads, CancellationToken cancellationToken)
    {
        if (call.PreDumpRound is not null || call.AfterPreDumpRound is not null)
            return Results.Problem(statusCode: 422, title: "Not for containers",
                detail: $"{container.Name} is a Podman container: pre-copy would need podman container checkpoint --pre-checkpoint/--with-previous, which this agent does not run (and which needs CRIU's dirty-page tracking).");
        if (call.PageServer is not null)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["pageServer"] = [$"{container.Name} is a Podman container: its checkpoint is one archive (podman container checkpoint has no page-server option); stream the images instead."] });
        if (call.TcpClose && !call.LeaveRunning)
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["tcpClose"] = [$"{container.Name} is a Podman container: its connections are dumped closed only for a replay, which leaves it running (leaveRunning); Podman 4.3 has no --tcp-close."] });
        if (call.ReleaseAddress is { Length: > 0 } release && !System.Net.IPNetwork.TryParse(release, out _))
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["releaseAddress"] = ["releaseAddress is an address with its prefix length, e.g. 10.231.0.100/24."] });
        if (container.NetworkMode != "host")
            return Results.Problem(statusCode: 422, title: "Container cannot move",
                detail: $"{container.Name} runs in network mode {container.NetworkMode}: only containers in the host's network (podman run --network host) keep their address and TCP connections when restored on another host.");
        var directory = images.PathOf(call.Id);
        if (Directory.Exists(directory))
            return ImagesExist(call.Id);
        var pid = await podman.PidAsync(container.Id, cancellationToken).ConfigureAwait(false);
        var outcome = await podman.CheckpointAsync(container, directory, call.LeaveRunning, cancellationToken, uncompressed: call.TcpClose).ConfigureAwait(false);
        if (!outcome.Succeeded)
            return Results.Problem(statusCode: 422, title: "podman checkpoint failed", detail: outcome.Reason);
        if (call.TcpClose && call.Workload is { Length: > 0 } workload)
            workloads.ReplayedContainers[call.Id] = (CriuWorkloads.Key(workload, call.Tenant), container.Id);
        if (!call.LeaveRunning && call.ReleaseAddress is { Length: > 0 } address)
        {
            var device = string.IsNullOrWhiteSpace(call.Device) ? host.ServiceDevice : call.Device;
            var released = await host.RunAsync(["ip", "addr", "del", address, "dev", device], cancellationToken).ConfigureAwait(false);
            if (released.ExitCode != 0 && !released.Output.Contains("Cannot assign requested address", StringComparison.Ordinal))
                return Results.Problem(statusCode: 422, title: "podman checkpoint failed",
                    detail: $"the checkpoint of {container.Name} succeeded but ip addr del {address} dev {device} failed ({released.ExitCode}): {released.Output.Trim()}");
        }
        var (bytes, files) = CriuImageStore.Size(directory);
        return Results.Ok(new CriuDumpAnswer(call.Id, pid, bytes, files, outcome.WallClock.TotalMilliseconds, outcome.Stats?.Dump, "", pid,
            Container: container, Podman: outcome.Stats));
    }

    /// <summary>The CRIU configuration file a replay's copy is restored with, in its images folder: gone with them, so a later checkpoint of the copy ignores it.</summary>
    internal const string TcpCloseConfigName = "criu-tcp-close.conf";

    /// <summary>
    /// <c>podman container restore --import</c> of the archive the images hold, in this host's network namespace. With
    /// <c>tcpClose</c> (a replay's copy) the archive's spec first gets the annotation <c>org.criu.config</c> naming a file here that
    /// says <c>tcp-close</c>: runc hands it to CRIU, which restores the connections closed, so the copy reconnects while the
    /// source keeps its own. Where this host's Podman has a container of the archive's name already (the source still runs
    /// under it in the lab, whose hosts share one storage), the copy gets a name of its own; its labels still say whose it is.
    /// </summary>
    private static async Task<IResult> RestoreContainerAsync(string id, CriuRestoreCall call, string directory, HostNetwork host, CriuWorkloads workloads, PodmanDriver podman)
    {
        if (!podman.Enabled)
            return Results.Problem(statusCode: 422, title: "Podman not enabled",
                detail: $"Images {id} hold a Podman checkpoint archive, and this agent does not drive Podman ({AgentOptions.Section}:Podman:Enabled).");
        string? name = null;
        if (call.TcpClose)
        {
            var config = Path.Combine(directory, TcpCloseConfigName);
            await File.WriteAllTextAsync(config, "tcp-close\n", CancellationToken.None).ConfigureAwait(false);
            string? archived;
            try
            {
                archived = await CheckpointArchive.AnnotateAsync(Path.Combine(directory, PodmanDriver.ArchiveName), PodmanDriver.CriuConfigAnnotation, config,
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                return Results.Problem(statusCode: 422, title: "podman restore failed", detail: $"the copy of images {id} cannot be restored with its connections closed: {e.Message}");
            }
            try
            {
                if (archived is not null && await podman.ExistsAsync(archived, CancellationToken.None).ConfigureAwait(false))
                    name = $"{archived}-{id[^Math.Min(12, id.Length)..]}";
            }
            catch (PodmanException e)
            {
                return Results.Problem(statusCode: 422, title: "podman restore failed", detail: e.Message);
            }
        }
        // As for processes: the restore runs on whatever happens to the request.
        var (outcome, container) = await podman.RestoreAsync(directory, CancellationToken.None, call.TcpClose, name).ConfigureAwait(false);
        if (!outcome.Succeeded)
            return Results.Problem(statusCode: 422, title: "podman restore failed", detail: outcome.Reason);
        await host.DropGuardAsync().ConfigureAwait(false);
        if (container is null)
            return Results.Problem(statusCode: 422, title: "podman restore failed", detail: $"podman restored images {id} but did not name the container (--print-stats without an Id).");
        workloads.RestoredContainers[id] = container.Id;
        var pid = await podman.PidAsync(container.Id, CancellationToken.None).ConfigureAwait(false);
        return Results.Ok(new CriuRestoreAnswer(id, 1, pid, 0, outcome.WallClock.TotalMilliseconds, outcome.Stats?.Restore, "", container, outcome.Stats));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex TenantPattern();
}
