using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Replay;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// MS2M on the Agent runtime: MessageReplay and ReplayWithCutoff for a service that consumes its queue P, bound to the
/// fan-out exchange X, on the cluster's RabbitMQ broker (<see cref="AgentClusterOptions.Broker"/>). The hand-over (replay
/// queue bound and marker answered before the checkpoint, replay until caught up, hand-over by sequence number, switch) is
/// <see cref="ReplayProtocol"/>'s, shared with the Kubernetes runtime; what is the Agent's own is around it: the dump with
/// <c>--leave-running</c> (the source keeps serving P) and <c>--tcp-close</c> (its broker connection is left alone), the
/// transfer as for Cold, the restore with <c>--tcp-close</c> (the copy finds its broker connection closed, reconnects, and
/// consumes R), and in the clean-up and rollback the workload's registration and the images. Rollback kills the copy
/// first, then lets the protocol resume the source.
/// </summary>
public sealed partial class AgentEdgeRuntime
{
    private readonly ReplayProtocol _replay;

    internal static bool IsReplay(MigrationStrategy strategy) => ReplayProtocol.IsReplay(strategy);

    internal static ReplayTarget ReplayService(AgentClusterOptions o, string cluster, string service) =>
        ReplayProtocol.Target(o.Broker, $"{AgentEdgeOptions.Section}:Clusters:{cluster}:Broker", service);

    internal async Task<StepResult> ReplayProfileAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct)
    {
        var profiled = (await ProfileAsync(c, o, source, destination, ct, consumesMessages: true).ConfigureAwait(false)).Message;
        return new StepResult($"{profiled}; {await _replay.ProfileAsync(c, t, ct).ConfigureAwait(false)}");
    }

    internal async Task<StepResult> ReplayCheckpointAsync(StepContext c, ReplayTarget target, AgentApiClient source, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var k = await _replay.CheckpointAsync(c, target, dumpCt =>
            source.DumpAsync(id, WorkloadName(c.Service.Name), null, null, dumpCt, leaveRunning: true, tcpClose: true, tenant: Tenant(c.Service)), ct).ConfigureAwait(false);
        var d = k.Dumped;
        var s = d.Stats;
        var stats = s is null
            ? "no stats-dump"
            : string.Create(CultureInfo.InvariantCulture, $"CRIU: frozen {s.FrozenTimeUs / 1000.0:0.0} ms, {s.PagesWritten} pages written");
        // A container is dumped with its connections (Podman 4.3 has no --tcp-close); its copy is restored with them closed.
        var how = d.Container is { } dc
            ? string.Create(CultureInfo.InvariantCulture, $"dumped the Podman container {dc.Name} (pid {d.Pid}) with podman container checkpoint --leave-running --tcp-established --export{(d.Podman is { } ps ? $" (Podman {ps.PodmanDurationUs / 1000.0:0.0} ms)" : "")}")
            : $"dumped pid {d.Pid} with --leave-running --tcp-close";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"{k.Bound(c.Service.Name, source.Node)}; {how} into {id}: {d.Bytes / 1e6:0.0} MB, wall clock {d.WallClockMs:0} ms, {stats}; {c.Service.Name} keeps serving {k.Target.Queue} on {source.Node} (#{k.AfterDump.Last} applied){(s is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; downtime: the {s.FrozenTimeUs / 1000.0:0.0} ms the source was frozen"))}"),
            null, k.Artifacts with { ImagesId = id }, s is null ? null : s.FrozenTimeUs / 1000.0);
    }

    internal static async Task<StepResult> ReplayRestoreAsync(StepContext c, ReplayTarget target, AgentApiClient destination, CancellationToken ct)
    {
        var t = target.For(c.MigrationId);
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var r = await destination.RestoreAsync(id, WorkloadName(c.Service.Name), ct, tcpClose: true, tenant: Tenant(c.Service)).ConfigureAwait(false);
        var stats = r.Stats is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"CRIU: restore {s.RestoreTimeUs / 1000.0:0.0} ms, {s.PagesRestored} pages restored")
            : "no stats-restore";
        var what = r.Container is { } rc
            ? string.Create(CultureInfo.InvariantCulture, $"as the Podman container {rc.Name} (podman container restore --import, CRIU configured by org.criu.config to close its connections{(r.Podman is { } ps ? $"; Podman {ps.PodmanDurationUs / 1000.0:0.0} ms" : "")}): pid {r.Pid}")
            : string.Create(CultureInfo.InvariantCulture, $"pid {r.Pid} (pid {r.PidInNamespace} in its own PID namespace)");
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"restored {id} on {destination.Node} {what}, wall clock {r.WallClockMs:0} ms, {stats}; its broker connection was restored closed: it reconnects and replays {t.ReplayQueue}"),
            null, new StepArtifacts { RestoredPid = r.Pid });
    }

    internal Task<StepResult> ReplayMessagesAsync(StepContext c, ReplayTarget target, CancellationToken ct) => _replay.ReplayMessagesAsync(c, target, ct);

    internal Task<StepResult> ReplaySwitchAsync(StepContext c, ReplayTarget target, CancellationToken ct) => _replay.SwitchAsync(c, target, ct);

    internal async Task<StepResult> ReplayCleanUpAsync(StepContext c, ReplayTarget target, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var done = new List<string>(await _replay.CleanUpAsync(c, target, ct).ConfigureAwait(false));
        await source.DeleteWorkloadAsync(WorkloadName(c.Service.Name), ct, Tenant(c.Service)).ConfigureAwait(false);
        done.Add((await CleanUpAsync(c, source, destination, ct).ConfigureAwait(false)).Message);
        return new StepResult(string.Join("; ", done));
    }

    private async Task<StepOutcome> ReplayRollbackAsync(RollbackContext c, AgentClusterOptions o, List<string> done, CancellationToken ct)
    {
        var source = Agent(o, c.Source.Name);
        var destination = Agent(o, c.Destination.Name);
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var t = ReplayService(o, c.Cluster.Name, c.Service.Name);
        // The copy goes first: source and copy must never consume the same queue.
        if (await destination.DeleteRestoredAsync(id, ct).ConfigureAwait(false))
            done.Add($"killed the restored copy on {c.Destination.Name}");
        await ReplayProtocol.RollbackAsync(c, t, done, ct).ConfigureAwait(false);
        if (await destination.DeleteImagesAsync(id, ct).ConfigureAwait(false))
            done.Add($"deleted the images on {c.Destination.Name}");
        if (await source.DeleteImagesAsync(id, ct).ConfigureAwait(false))
            done.Add($"deleted the images on {c.Source.Name}");
        var message = done.Count == 0
            ? $"{c.Service.Name} serves from {c.Source.Name}; nothing to undo"
            : $"{string.Join("; ", done)}; {c.Service.Name} serves from {c.Source.Name}";
        var rolledBack = new StepOutcome.Success(message);
        LogRollback(c, rolledBack);
        return rolledBack;
    }
}
