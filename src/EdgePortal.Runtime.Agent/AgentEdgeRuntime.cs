using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using EdgePortal.Runtime.Agent.Steps;
using EdgePortal.Runtime.Replay;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// Runs migrations on <see cref="ClusterKind.Agent"/> clusters: plain Linux hosts whose EdgePortal agents drive CRIU.
/// Cold: Profile asks both agents for CRIU's probe and the source for the workload's /proc facts; Checkpoint dumps
/// the workload (registered on the source agent under the service's name) with <c>--tcp-established</c>; Transfer streams
/// the images source agent → destination agent at the plan's reserved bandwidth; Restore puts the service address on the
/// destination and restores in the destination host's network namespace, in a fresh PID namespace; SwitchTraffic announces
/// the address from the destination; CleanUp deletes the images on both hosts.
/// <para>
/// Traffic moves the lab's way: the service has an address of its own (<see cref="AgentClusterOptions.ServiceAddresses"/>)
/// on the hosts' shared L2 segment, and the address moves with the process. The source agent takes it off right after the
/// dump, while CRIU's network lock still holds (a client's retransmission must never find the address without the socket:
/// the kernel would reset the connection); the destination adds it guarded (TCP to it dropped until the restore ends),
/// before CRIU restores, because the restored sockets are bound to it; SwitchTraffic sends unsolicited ARP (arping -U) from
/// the destination so that clients' ARP caches follow at once. Until then clients' packets reach the source, which no longer
/// has the address and drops them; TCP retransmits. All of it is inside the plan's downtime steps.
/// </para>
/// <para>
/// MessageReplay and ReplayWithCutoff (MS2M) for services that consume a RabbitMQ queue fed by a fan-out exchange
/// (<see cref="AgentClusterOptions.Broker"/>): see AgentEdgeRuntime.Replay.cs for the hand-over.
/// </para>
/// PreCopy and IterativePreCopy where the source's probe says CRIU tracks dirty pages: each PreDump round runs
/// <c>criu pre-dump --track-mem</c> (round 0 full into images/{id}/pre-0, round n with <c>--prev-images-dir ../pre-{n-1}</c>)
/// and streams that round's folder to the destination; then Cold's steps, the final dump with <c>--track-mem
/// --prev-images-dir pre-{I}</c> (only the pages dirtied since) and a transfer of that last delta alone. CRIU's
/// <c>parent</c> links travel as links, so the restore on the destination finds every round. Where the probe says dirty
/// tracking is off, pre-copy is refused at the first step with the probe's reason.
/// </summary>
public sealed partial class AgentEdgeRuntime : StepHandlerRuntime, IAsyncDisposable, IDisposable
{
    private readonly IOptionsMonitor<AgentEdgeOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AgentEdgeRuntime> _logger;
    private readonly HttpClient? _http;
    private readonly EdgePortal.Agent.Contracts.Tls.AgentHttpClients _clients = new();
    private readonly ConcurrentDictionary<(string Cluster, string Node), (CriuCapabilities Capabilities, DateTimeOffset At)> _probes = new();
    private readonly IReadOnlyList<StepHandler> _handlers;

    public AgentEdgeRuntime(IOptionsMonitor<AgentEdgeOptions> options, TimeProvider time, ILogger<AgentEdgeRuntime> logger, HttpClient? http = null)
        : base(time, logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        // Each call bounds itself (RequestTimeout); the clients have no timeout of their own. Null: one mutual-TLS client per agent.
        _http = http;
        _replay = new ReplayProtocol(time);
        _handlers = AgentSteps.All(this);
    }

    public override ClusterKind Kind => ClusterKind.Agent;

    protected override IReadOnlyList<StepHandler> Handlers => _handlers;

    /// <summary>Closes the pooled broker connections and the agents' clients.</summary>
    public async ValueTask DisposeAsync()
    {
        await _replay.DisposeAsync().ConfigureAwait(false);
        _clients.Dispose();
    }

    /// <summary>Closes the pooled broker connections and the agents' clients, for a container disposed synchronously.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The refusal of post-copy on a host whose probe says lazy pages cannot run, with the probe's reason (and fix).</summary>
    public static string NoLazyPages(string node, CriuCapabilities capabilities) =>
        $"post-copy needs lazy pages on both hosts, which {node} cannot run (CRIU {capabilities.Version}: {capabilities.LazyPagesDetail ?? "not reported"})";

    /// <summary>The refusal of pre-copy on a host whose probe says it cannot track dirty pages.</summary>
    public static string NoDirtyTracking(string node, CriuCapabilities capabilities) =>
        $"pre-copy needs dirty-page tracking, which {node} does not support (CRIU {capabilities.Version}: mem_dirty_track off)";

    /// <summary>
    /// Asks every host's agent what its CRIU can do (GET /criu/capabilities) and reports it per host and for the cluster
    /// (<see cref="AgentCapabilities"/>); what each host said also serves the defensive checks of the steps.
    /// </summary>
    public override async Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (Options(cluster.Name) is not { } o)
        {
            var missing = $"no configuration for cluster {cluster.Name}: add {AgentEdgeOptions.Section}:Clusters:{cluster.Name}:Nodes";
            return new RuntimeProbe(false, missing, RuntimeCapabilities.None(missing));
        }
        var hosts = new List<HostCapabilities>();
        var parts = new List<string>();
        var answering = 0;
        foreach (var node in o.Nodes.Keys.Order(StringComparer.Ordinal))
        {
            try
            {
                var c = await RefreshAsync(cluster.Name, node, o, cancellationToken).ConfigureAwait(false);
                answering++;
                var host = AgentCapabilities.Host(o, c);
                hosts.Add(new HostCapabilities(node, host));
                parts.Add($"{node}: {host.Detail}");
            }
            catch (AgentCallException e)
            {
                hosts.Add(new HostCapabilities(node, AgentCapabilities.Silent(e.Message)));
                parts.Add($"{node}: {e.Message}");
            }
        }
        var capabilities = answering > 0 ? AgentCapabilities.Cluster(o, hosts) : RuntimeCapabilities.None("no agent answers");
        var strategies = string.Join(", ", capabilities.Strategies);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Agent, {answering} of {o.Nodes.Count} agents answering; {(capabilities.Strategies.Count == 0 ? "no migrations" : strategies == "Cold" ? "Cold migrations only" : strategies)} ({capabilities.Detail}); {string.Join("; ", parts)}");
        return new RuntimeProbe(answering > 0, summary, capabilities, hosts);
    }

    protected override async ValueTask<string?> RefuseAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Options(context.Cluster.Name) is not { } o)
            return NotConfigured(context.Cluster.Name);
        var strategy = context.Plan.Strategy;
        var preCopy = IsPreCopy(strategy);
        if (context.Step.Kind == StepKind.PreDump && !preCopy)
            return $"{strategy} has no pre-dump rounds";
        if (preCopy && context.Step.Kind is StepKind.Profile or StepKind.PreDump or StepKind.Checkpoint)
        {
            // Every step that asks CRIU to track dirty pages checks the source's probe first: a host whose CRIU says no is
            // refused in CRIU's terms before anything runs there.
            var c = await ProbeNodeAsync(context.Cluster.Name, Agent(o, context.Source.Name), o, cancellationToken).ConfigureAwait(false);
            if (!c.DirtyTracking)
                return NoDirtyTracking(context.Source.Name, c);
        }
        if (strategy == MigrationStrategy.PostCopy && context.Step.Kind is StepKind.Profile or StepKind.Checkpoint)
        {
            // Both ends need lazy pages: the source serves its pages, the destination faults them in through userfaultfd.
            foreach (var node in new[] { context.Source.Name, context.Destination.Name })
            {
                var c = await ProbeNodeAsync(context.Cluster.Name, Agent(o, node), o, cancellationToken).ConfigureAwait(false);
                if (!c.LazyPages)
                    return NoLazyPages(node, c);
            }
        }
        if (!AgentCapabilities.Executes(strategy) && !preCopy)
            return $"{strategy} is not supported by the Agent runtime";
        if (context.Step.Kind == StepKind.ReplayMessages && !IsReplay(strategy))
            return $"{strategy} has no message replay";
        return null;
    }

    protected override string NoHandler(StepContext context) =>
        $"step {context.Step.Label} is not part of {context.Plan.Strategy} on the Agent runtime";

    protected override StepOutcome.Failure? Map(Exception exception, StepContext context) => exception is AgentCallException e
        ? new($"{context.Step.Label} of {context.Service.Name}: {e.Message}", Retryable(e) ? TimeSpan.FromSeconds(10) : null)
        : null;

    /// <summary>
    /// An agent that did not answer, or that answered 503 because the peer it was to stream to did not (a restarting agent):
    /// worth trying again later, unlike a refusal. The chaos lab (CriuChaosTests) kills either agent mid-transfer.
    /// </summary>
    internal static bool Retryable(AgentCallException e) => e.Unreachable || e.Status == System.Net.HttpStatusCode.ServiceUnavailable;

    /// <summary>How often a rollback is tried when an agent it needs does not answer, and how long it waits between tries.</summary>
    internal const int RollbackAttempts = 4;
    internal static readonly TimeSpan RollbackRetryWait = TimeSpan.FromSeconds(5);

    internal static string NotConfigured(string cluster) => $"cluster {cluster} is not configured: add {AgentEdgeOptions.Section}:Clusters:{cluster}:Nodes";

    /// <summary>The cluster's options and the agents of the step's two nodes.</summary>
    internal (AgentClusterOptions Options, AgentApiClient Source, AgentApiClient Destination) Scope(StepContext c)
    {
        var o = Options(c.Cluster.Name) ?? throw new StepFailedException(NotConfigured(c.Cluster.Name));
        return (o, Agent(o, c.Source.Name), Agent(o, c.Destination.Name));
    }

    public override async Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Options(context.Cluster.Name) is not { } o)
            return new StepOutcome.Failure(NotConfigured(context.Cluster.Name));
        var done = new List<string>();
        var restoredOnSource = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (IsReplay(context.Plan.Strategy))
                    return await ReplayRollbackAsync(context, o, done, cancellationToken).ConfigureAwait(false);
                if (context.Plan.Strategy == MigrationStrategy.PostCopy)
                {
                    var postCopy = await PostCopyRollbackAsync(context, o, Agent(o, context.Source.Name), Agent(o, context.Destination.Name), done,
                        cancellationToken).ConfigureAwait(false);
                    LogRollback(context, postCopy);
                    return postCopy;
                }
                return await ColdRollbackAsync(context, o, done, () => restoredOnSource = true, restoredOnSource, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentCallException e) when (Retryable(e) && attempt < RollbackAttempts)
            {
                // An agent restarting (a crash, an upgrade) comes back within seconds: each part of the rollback that already
                // happened is skipped or repeats harmlessly (the source's own restore is done once), so it is tried again.
                _logger.LogWarning("Rollback of {Service} (migration {MigrationId}), attempt {Attempt} of {Attempts}: {Reason}; trying again in {Wait} s",
                    context.Service.Name, context.MigrationId, attempt, RollbackAttempts, e.Message, RollbackRetryWait.TotalSeconds);
                await Task.Delay(RollbackRetryWait, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentCallException e)
            {
                var so = done.Count == 0 ? "" : $" (done before: {string.Join("; ", done)})";
                var failed = new StepOutcome.Failure($"rollback of {context.Service.Name}: {e.Message}{so}", Retryable(e) ? TimeSpan.FromSeconds(10) : null);
                LogRollback(context, failed);
                return failed;
            }
        }
    }

    /// <summary>
    /// Undoes a Cold or pre-copy migration: the copy killed, the source restored from its own dump (once: <paramref name="restoredOnSource"/>
    /// says it was, by an earlier attempt), the images deleted on both hosts.
    /// </summary>
    private async Task<StepOutcome> ColdRollbackAsync(RollbackContext context, AgentClusterOptions o, List<string> done, Action restored,
        bool restoredOnSource, CancellationToken cancellationToken)
    {
        var source = Agent(o, context.Source.Name);
        var destination = Agent(o, context.Destination.Name);
        var id = context.Artifacts.ImagesId ?? ImagesId(context.Service.Name, context.MigrationId);
        var workload = WorkloadName(context.Service.Name);
        var dumped = context.CompletedSteps.Any(s => s.Kind == StepKind.Checkpoint);
        if (!dumped && !restoredOnSource && context.Plan.Steps.Any(s => s.Kind == StepKind.Checkpoint)
            && await SourceGoneAsync(source, workload, context.Service, cancellationToken).ConfigureAwait(false))
        {
            // EdgePortal stopped while the dump ran: the agent finished it (a dump runs to its end, whatever happens to the
            // call), which ended the process. The chaos lab found this: the service was gone after such a rollback.
            dumped = true;
            done.Add($"{workload} no longer ran on {context.Source.Name}: its dump finished after EdgePortal stopped");
        }
        // A failed Restore may have moved the address or left a tree: undo both whatever the completed steps say.
        if (await destination.DeleteRestoredAsync(id, cancellationToken).ConfigureAwait(false))
            done.Add($"killed the restored {workload} on {context.Destination.Name}");
        var address = o.ServiceAddresses.GetValueOrDefault(context.Service.Name);
        if (dumped && !restoredOnSource)
        {
            if (o.ColdTransferPath == AgentColdTransfer.PageServer && !IsPreCopy(context.Plan.Strategy))
            {
                // The dump's pages went to the destination's page server: the source's own images lack them. Fetched
                // before the address comes back guarded, so the guard drops clients' packets no longer than the restore.
                var back = await destination.SendImagesAsync(id, source.Node, null, cancellationToken, merge: true).ConfigureAwait(false);
                done.Add(string.Create(CultureInfo.InvariantCulture, $"fetched the pages ({back.Bytes / 1e6:0.0} MB) back from {context.Destination.Name}"));
            }
            // The dump ended the source process and released its address: both come back on the source, the address
            // guarded until the process is restored from its own images (in a fresh PID namespace), then announced.
            if (address is not null)
            {
                await destination.AddressAsync(AddressAction.Remove, address, o.Device, false, cancellationToken).ConfigureAwait(false);
                await source.AddressAsync(AddressAction.Add, address, o.Device, false, cancellationToken, guard: true).ConfigureAwait(false);
            }
            var again = await source.RestoreAsync(id, workload, cancellationToken, tenant: Tenant(context.Service)).ConfigureAwait(false);
            restored();
            done.Add(string.Create(CultureInfo.InvariantCulture, $"restored {workload} on {context.Source.Name} from its own dump in {again.WallClockMs:0} ms"));
            if (address is not null)
            {
                await source.AddressAsync(AddressAction.Announce, address, o.Device, false, cancellationToken).ConfigureAwait(false);
                done.Add($"{address} back on {context.Source.Name} and announced");
            }
        }
        if (await destination.DeleteImagesAsync(id, cancellationToken).ConfigureAwait(false))
            done.Add($"deleted the images on {context.Destination.Name}");
        if (await source.DeleteImagesAsync(id, cancellationToken).ConfigureAwait(false))
            done.Add($"deleted the images on {context.Source.Name}");
        var message = done.Count == 0
            ? $"{context.Service.Name} serves from {context.Source.Name}; nothing to undo"
            : $"{string.Join("; ", done)}; {context.Service.Name} serves from {context.Source.Name}";
        var rolledBack = new StepOutcome.Success(message);
        LogRollback(context, rolledBack);
        return rolledBack;
    }

    /// <summary>Whether the service's process no longer runs on the source (its agent does not know it, or knows it ended).</summary>
    private static async Task<bool> SourceGoneAsync(AgentApiClient source, string workload, ServiceInstance service, CancellationToken ct)
    {
        try
        {
            return !(await source.WorkloadAsync(workload, ct, Tenant(service)).ConfigureAwait(false)).Running;
        }
        catch (AgentCallException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            return true;
        }
    }

    internal async Task<StepResult> ProfileAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct,
        bool consumesMessages = false)
    {
        // The probe the planner used, while it is younger than ProbeMaxAge: probing runs criu check four times on each host
        // (~200 ms), which every migration would otherwise add to its total time.
        var from = await ProbeNodeAsync(c.Cluster.Name, source, o, ct).ConfigureAwait(false);
        var to = await ProbeNodeAsync(c.Cluster.Name, destination, o, ct).ConfigureAwait(false);
        foreach (var (node, capabilities) in new[] { (source.Node, from), (destination.Node, to) })
            // A message consumer's copy is restored with its connections closed (--tcp-close): TCP repair is not needed then.
            if (!capabilities.Usable || (!capabilities.TcpRepair && !consumesMessages))
                throw new AgentCallException($"criu check on {node} says it cannot checkpoint and restore {(consumesMessages ? "processes" : "with TCP connections")}: {capabilities.Report}");
        var workload = WorkloadName(c.Service.Name);
        CriuWorkload w;
        try
        {
            w = await source.WorkloadAsync(workload, ct, Tenant(c.Service)).ConfigureAwait(false);
        }
        catch (AgentCallException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
        {
            throw new AgentCallException($"no workload {workload} of tenant {Tenant(c.Service)} on the agent of {source.Node}: register the service's process there (PUT /criu/workloads/{workload} with its pid and tenant), or run it as a Podman container labelled {ContainerLabels(c.Service)} (agent with EdgePortal:Agent:Podman:Enabled) — {e.AgentWords ?? e.Message}");
        }
        if (!w.Running)
            throw new AgentCallException($"the workload {workload} on {source.Node} (pid {w.Pid}) is not running");
        if (consumesMessages && w.Container is { } replayed)
        {
            // Refused before the replay queue is bound: nothing to undo. The container is dumped left running with its connections
            // (Podman 4.3 has no --tcp-close), so the source needs TCP repair; the copy is restored with them closed through the
            // CRIU configuration its spec names (org.criu.config), which the destination's OCI runtime must honour.
            if (to.Podman is not { TcpClose: true })
                throw new AgentCallException($"{c.Plan.Strategy} of the Podman container {replayed.Name} needs its copy restored with its broker connection closed, which {destination.Node} cannot do: {to.Podman?.Detail ?? "its agent drives no Podman"}; migrate it Cold");
            if (!from.TcpRepair)
                throw new AgentCallException($"{c.Plan.Strategy} of the Podman container {replayed.Name} dumps it running with its connections (podman container checkpoint --leave-running --tcp-established), which needs TCP repair on {source.Node}: {from.Report}; migrate it Cold");
        }
        var address = o.ServiceAddresses.TryGetValue(c.Service.Name, out var a) ? $"address {a}"
            : consumesMessages ? "no service address (a message consumer: the copy reconnects to the broker)"
            : "no service address configured (its connections will not survive)";
        var container = w.Container is { } pc ? $"Podman container {pc.Name} ({pc.Image}, network {pc.NetworkMode}), " : "";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"profiled {workload} of tenant {Tenant(c.Service)} on {source.Node}: {container}pid {w.Pid}{(w.RestoredFrom is null ? "" : $" (restored from {w.RestoredFrom}, in a PID namespace of its own: dumped from inside it)")}, RSS {(w.ResidentBytes ?? 0) / 1e6:0.0} MB, {w.Threads} thread(s), {w.CommandLine}; {address}; CRIU {from.Version} on {source.Node} and {to.Version} on {destination.Node}, TCP repair {(from.TcpRepair && to.TcpRepair ? "on both" : "not on both")}, dirty tracking {(from.DirtyTracking ? "on" : "off")} on the source"));
    }

    internal static bool IsPreCopy(MigrationStrategy strategy) => strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy;

    /// <summary>
    /// Pre-dump round n while the service runs (CRIU pre-dump --track-mem; round 0 writes all the memory, round n only what
    /// was dirtied since round n-1), then that round's folder streamed to the destination at the reserved bandwidth, which
    /// adds it to the images it holds: the final transfer carries only the last delta.
    /// </summary>
    internal static async Task<StepResult> PreDumpAsync(StepContext c, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var round = c.Step.Round;
        var d = await source.PreDumpAsync(id, WorkloadName(c.Service.Name), round, ct, Tenant(c.Service)).ConfigureAwait(false);
        var reserved = c.Plan.ReservedBandwidth.BitsPerSecond;
        var t = await source.SendImagesAsync(id, destination.Node, reserved > 0 ? reserved : null, ct, merge: true, preDumpRound: round).ConfigureAwait(false);
        var s = d.Stats;
        var stats = s is null
            ? "no stats-dump"
            : string.Create(CultureInfo.InvariantCulture,
                $"CRIU: frozen {s.FrozenTimeUs / 1000.0:0.0} ms (memdump {s.MemdumpTimeUs / 1000.0:0.0}, memwrite {s.MemwriteTimeUs / 1000.0:0.0}), {s.PagesWritten} pages written of {s.PagesScanned} scanned");
        var how = d.PrevImagesDir is null ? "--track-mem, all the memory" : $"--track-mem --prev-images-dir {d.PrevImagesDir}, the pages dirtied since";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"pre-dump round {round} of pid {d.Pid} on {source.Node} into {id}/pre-{round} ({how}): {d.Bytes / 1e6:0.000} MB in {d.Files} files, wall clock {d.WallClockMs:0} ms, the process runs on; {stats}; streamed to {destination.Node}: {t.Bytes / 1e6:0.000} MB in {t.WallClockMs:0} ms (transfer {t.TransferId})"),
            d.WallClockMs + t.WallClockMs, new StepArtifacts { ImagesId = id });
    }

    internal static async Task<StepResult> CheckpointAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var address = o.ServiceAddresses.GetValueOrDefault(c.Service.Name);
        // After pre-dump rounds the final dump writes only the pages dirtied since the last round, here (no page server).
        int? lastRound = IsPreCopy(c.Plan.Strategy) && c.Plan.Steps.Any(s => s.Kind == StepKind.PreDump)
            ? c.Plan.Steps.Where(s => s.Kind == StepKind.PreDump).Max(s => s.Round)
            : null;
        // PageServer: the destination listens first; the pages cross the link while the process is frozen.
        // A Podman container's checkpoint is one archive (Podman has no page-server option): it takes the Images path.
        var pageServer = o.ColdTransferPath == AgentColdTransfer.PageServer && lastRound is null
            && (await source.WorkloadAsync(WorkloadName(c.Service.Name), ct, Tenant(c.Service)).ConfigureAwait(false)).Container is null
            ? await destination.StartPageServerAsync(id, ct).ConfigureAwait(false) : null;
        var d = await source.DumpAsync(id, WorkloadName(c.Service.Name), address, o.Device, ct, pageServer: pageServer, afterPreDumpRound: lastRound, tenant: Tenant(c.Service)).ConfigureAwait(false);
        var s = d.Stats;
        var podman = d.Podman is { } ps ? string.Create(CultureInfo.InvariantCulture,
            $"podman container checkpoint --export of {d.Container?.Name}: Podman {ps.PodmanDurationUs / 1000.0:0.0} ms{(ps.RuntimeDurationUs > 0 ? $", OCI runtime {ps.RuntimeDurationUs / 1000.0:0.0} ms" : "")}; ") : "";
        var stats = s is null
            ? "no stats-dump"
            : podman + string.Create(CultureInfo.InvariantCulture,
                $"CRIU: frozen {s.FrozenTimeUs / 1000.0:0.0} ms (freezing {s.FreezingTimeUs / 1000.0:0.0}, memdump {s.MemdumpTimeUs / 1000.0:0.0}, memwrite {s.MemwriteTimeUs / 1000.0:0.0}), {s.PagesWritten} pages written of {s.PagesScanned} scanned");
        var pages = pageServer is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; pages ({(s?.PagesWritten ?? 0) * 4096 / 1e6:0.0} MB) sent to the page server on {destination.Node} ({d.PageServer}) during the dump");
        var pid = d.PidInNamespace > 0 && d.PidInNamespace != d.Pid ? string.Create(CultureInfo.InvariantCulture, $"pid {d.Pid} (pid {d.PidInNamespace} in its own PID namespace, dumped from inside it)") : $"pid {d.Pid}";
        var delta = d.PrevImagesDir is null ? "" : $" (--track-mem --prev-images-dir {d.PrevImagesDir}: the pages dirtied since the last pre-dump round)";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"dumped {pid} on {source.Node} into {id}{delta}: {d.Bytes / 1e6:0.0} MB in {d.Files} files there, wall clock {d.WallClockMs:0} ms; {stats}{pages}{(address is null ? "" : $"; {address} released on {source.Node}")}"), d.WallClockMs,
            new StepArtifacts { ImagesId = id, PageServer = pageServer is null ? null : d.PageServer, ServiceAddress = address },
            // Downtime within the step: from CRIU freezing the service to the end of the dump (CRIU's freezing + frozen time,
            // what the calibration fits as T_p), not CRIU's start-up before it; the lab's 10 MB Cold runs counted 100-200 ms
            // more than their clients saw.
            s is null ? null : (s.FreezingTimeUs + (double)s.FrozenTimeUs) / 1000);
    }

    internal static async Task<StepResult> TransferAsync(StepContext c, AgentApiClient source, AgentApiClient destination, CancellationToken ct,
        AgentColdTransfer path = AgentColdTransfer.Images, bool withoutPreDumps = false)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var reserved = c.Plan.ReservedBandwidth.BitsPerSecond;
        var t = await source.SendImagesAsync(id, destination.Node, reserved > 0 ? reserved : null, ct, merge: withoutPreDumps, withoutPreDumps: withoutPreDumps).ConfigureAwait(false);
        var limit = t.LimitBitsPerSecond is { } l ? string.Create(CultureInfo.InvariantCulture, $"limit {l / 1e6:0.#} Mbit/s") : "no limit";
        var how = withoutPreDumps
            ? $"pre-copy: the final dump's images (the last delta; {destination.Node} holds the pre-dump rounds already)"
            : c.Plan.Strategy == MigrationStrategy.PostCopy
            ? "post-copy: the lazy dump's images, everything but the memory,"
            : path == AgentColdTransfer.PageServer
            ? $"PageServer path: the pages went to {destination.Node}'s page server during the dump; the other images"
            : "Images path: the dump's image files";
        var held = t.Received is { } r
            ? string.Create(CultureInfo.InvariantCulture, $"; {destination.Node} holds {r.Bytes / 1e6:0.0} MB in {r.Files} files{(path == AgentColdTransfer.PageServer ? " with the pages" : "")}")
            : "";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"{how} streamed {id} {source.Node} → {destination.Node}: {t.Bytes / 1e6:0.000} MB in {t.WallClockMs:0} ms ({(t.WallClockMs > 0 ? t.Bytes * 8 / t.WallClockMs / 1e3 : 0):0.#} Mbit/s, {limit}; transfer {t.TransferId}){held}"), t.WallClockMs, new StepArtifacts { ImagesId = id });
    }

    internal static async Task<StepResult> RestoreAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        o.ServiceAddresses.TryGetValue(c.Service.Name, out var address);
        // A repeat (EdgePortal stopped during this step, or the agent did not answer): when the copy runs (the address on
        // the destination, its guard dropped), it is kept; guarding the address again would cut its clients off. A first
        // attempt does not ask: it is downtime.
        if (c.Step.Attempts > 1 && await RestoredAlreadyAsync(destination, c.Service, id, ct).ConfigureAwait(false) is { } copy)
            return new StepResult(string.Create(CultureInfo.InvariantCulture,
                $"{id} was restored on {destination.Node} already, by the attempt EdgePortal stopped during: pid {copy.Pid} runs, so the migration goes on with it"), null,
                new StepArtifacts { RestoredPid = copy.Pid, ServiceAddress = address });
        var moved = "";
        if (address is not null)
        {
            // The restored sockets are bound to the service address: it must be on the destination before CRIU rebinds them.
            await destination.AddressAsync(AddressAction.Add, address, o.Device, false, ct, guard: true).ConfigureAwait(false);
            moved = $"; {address} moved {source.Node} → {destination.Node}";
        }
        var r = await destination.RestoreAsync(id, WorkloadName(c.Service.Name), ct, tenant: Tenant(c.Service)).ConfigureAwait(false);
        var s = r.Stats;
        var podman = r.Podman is { } ps ? string.Create(CultureInfo.InvariantCulture,
            $"podman container restore --import as {r.Container?.Name}: Podman {ps.PodmanDurationUs / 1000.0:0.0} ms{(ps.RuntimeDurationUs > 0 ? $", OCI runtime {ps.RuntimeDurationUs / 1000.0:0.0} ms" : "")}; ") : "";
        var stats = s is null
            ? "no stats-restore"
            : podman + string.Create(CultureInfo.InvariantCulture, $"CRIU: restore {s.RestoreTimeUs / 1000.0:0.0} ms, forking {s.ForkingTimeUs / 1000.0:0.0} ms, {s.PagesRestored} pages restored");
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"restored {id} on {destination.Node} ({o.ColdTransferPath} path): pid {r.Pid} (pid {r.PidInNamespace} in its own PID namespace), wall clock {r.WallClockMs:0} ms; {stats}{moved}"), null,
            new StepArtifacts { RestoredPid = r.Pid, ServiceAddress = address });
    }

    /// <summary>The service's process on <paramref name="destination"/> when it was restored from images <paramref name="id"/> and runs; else null.</summary>
    private static async Task<CriuWorkload?> RestoredAlreadyAsync(AgentApiClient destination, ServiceInstance service, string id, CancellationToken ct)
    {
        try
        {
            var w = await destination.WorkloadAsync(WorkloadName(service.Name), ct, Tenant(service)).ConfigureAwait(false);
            return w.Running && w.RestoredFrom == id ? w : null;
        }
        catch (AgentCallException e) when (e.Status is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    internal static async Task<StepResult> SwitchAsync(StepContext c, AgentClusterOptions o, AgentApiClient destination, CancellationToken ct)
    {
        if (!o.ServiceAddresses.TryGetValue(c.Service.Name, out var address))
            return new StepResult($"no service address configured for {c.Service.Name} ({AgentEdgeOptions.Section}:Clusters:{c.Cluster.Name}:ServiceAddresses:{c.Service.Name}): nothing to move");
        var a = await destination.AddressAsync(AddressAction.Announce, address, o.Device, false, ct).ConfigureAwait(false);
        return new StepResult(string.Create(CultureInfo.InvariantCulture, $"{a.Done} on {destination.Node} in {a.WallClockMs:0} ms"));
    }

    internal static async Task<StepResult> CleanUpAsync(StepContext c, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        // Both hosts at once: the migration's total runs until CleanUp ends, and neither deletion waits for the other.
        var onSource = source.DeleteImagesAsync(id, ct);
        var onDestination = destination.DeleteImagesAsync(id, ct);
        await Task.WhenAll(onSource, onDestination).ConfigureAwait(false);
        var deleted = new List<string>();
        if (await onSource.ConfigureAwait(false))
            deleted.Add(source.Node);
        if (await onDestination.ConfigureAwait(false))
            deleted.Add(destination.Node);
        return new StepResult(deleted.Count == 0 ? $"no images {id} left to delete" : $"deleted the images {id} on {string.Join(" and ", deleted)}");
    }

    private async Task<CriuCapabilities> ProbeNodeAsync(string cluster, AgentApiClient agent, AgentClusterOptions o, CancellationToken ct) =>
        _probes.TryGetValue((cluster, agent.Node), out var p) && _time.GetUtcNow() - p.At < o.ProbeMaxAge
            ? p.Capabilities
            : await RefreshAsync(cluster, agent.Node, o, ct).ConfigureAwait(false);

    private async Task<CriuCapabilities> RefreshAsync(string cluster, string node, AgentClusterOptions o, CancellationToken ct)
    {
        var capabilities = await Agent(o, node).CapabilitiesAsync(ct).ConfigureAwait(false);
        _probes[(cluster, node)] = (capabilities, _time.GetUtcNow());
        return capabilities;
    }

    internal AgentClusterOptions? Options(string cluster) => _options.CurrentValue.Clusters.GetValueOrDefault(cluster);

    internal AgentApiClient Agent(AgentClusterOptions o, string node)
    {
        if (!o.Nodes.TryGetValue(node, out var url))
            throw new AgentCallException($"node {node} has no agent configured ({AgentEdgeOptions.Section}:Clusters:<cluster>:Nodes:{node} = its agent's base URL)");
        var uri = new Uri(url);
        return new AgentApiClient(o.HttpFor(node, uri, _http, _clients), node, uri, o.RequestTimeout);
    }

    /// <summary>The name the service's process is registered under on its host's agent: the service name as an agent name.</summary>
    public static string WorkloadName(string service) => Sanitize(service);

    /// <summary>
    /// The tenant that qualifies the service's workload on its agent (the tenant id, 32 hex digits): two tenants' services
    /// of one name are two workloads there (issue 14 item 8).
    /// </summary>
    public static string Tenant(ServiceInstance service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service.TenantId.Value.ToString("N");
    }

    /// <summary>The labels a Podman container of the service carries, as the agent finds it.</summary>
    public static string ContainerLabels(ServiceInstance service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return $"io.edgeportal.service={WorkloadName(service.Name)} and io.edgeportal.tenant={Tenant(service)}";
    }

    /// <summary>The images of one migration, on both agents.</summary>
    public static string ImagesId(string service, MigrationId migration) => $"{Sanitize(service)}-{migration.Value:N}";

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var ch in name.ToLowerInvariant())
            text.Append(ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' ? ch : '-');
        var s = text.ToString().Trim('-', '.', '_');
        return s.Length == 0 ? "service" : s[..Math.Min(s.Length, 150)];
    }





}
