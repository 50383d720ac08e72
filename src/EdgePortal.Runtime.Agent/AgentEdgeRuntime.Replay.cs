using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// MS2M on the Agent runtime: MessageReplay and ReplayWithCutoff for a service that consumes its queue P, bound to the
/// fan-out exchange X, on the cluster's RabbitMQ broker (<see cref="AgentClusterOptions.Broker"/>). The service speaks the
/// control protocol of the lab's message service (control messages with AMQP type <c>edgeportal.*</c>, answered on their
/// reply-to queue; data messages carry consecutive sequence numbers, and the service applies a message only when its
/// number is one above the last one it applied, skipping — and counting — duplicates).
/// <list type="number">
/// <item>Checkpoint: declare the replay queue R and bind it to X: from then on every message lands in P and in R. Then a
/// <em>marker</em> goes through X (so behind every message routed before the binding, in P); the source answers it when it
/// consumes it from P, so every message published before R existed has been applied, and remembers R. Only after that
/// answer is the source dumped, with <c>--leave-running</c> (it keeps serving P) and <c>--tcp-close</c> (its broker
/// connection is left alone). The hole of the naive order — messages published before the binding but still unapplied at
/// the dump, in neither the images nor R — is closed by the answer, not by timing. A <c>dumped</c> message to P then makes
/// the source forget R.</item>
/// <item>Transfer as for Cold. Restore with <c>--tcp-close</c>: the copy finds its broker connection closed, reconnects,
/// and since it remembers R (the marker was applied before the dump) it consumes R, skipping what its state applied already
/// (everything up to the marker at least). The source keeps P: they never share a queue.</item>
/// <item>ReplayMessages, round 0: wait until the copy consumes R and at most <see cref="AgentBrokerOptions.DrainedMessages"/>
/// wait in it — or, with a cutoff, until <see cref="MigrationPlan.CutoffMs"/> after the marker. Round 1 (the cutoff, downtime):
/// <em>pause</em> the source (a control message to P; it answers with the last number S it applied, stops consuming P,
/// requeues what was in flight unapplied, and waits on its own resume queue), then wait until the copy has applied S (a
/// <em>reach</em> message: R is a priority queue, and the control messages sent to it overtake the data waiting there, so the
/// answer comes when the copy reaches S, not when it reaches the end of R, which keeps growing).</item>
/// <item>SwitchTraffic (downtime): pause the source unless the cutoff did, then <em>switch</em> the copy: a control message
/// to R carrying S (overtaking R's backlog); once the copy has applied S it consumes P instead of R. P holds every message after S (the source
/// acked up to S and requeued the rest), the copy holds everything up to S: none lost, and the duplicates P still has
/// (applied from R already) are skipped by number — none applied twice.</item>
/// <item>CleanUp: the paused source is told to exit, R and the resume queue deleted, the images deleted, the source's
/// registration dropped. Rollback kills the copy first, then resumes the source on P if it was paused (it never stopped
/// otherwise), deletes R, the resume queue and the images: the source serves as before.</item>
/// </list>
/// </summary>
public sealed partial class AgentEdgeRuntime
{
    private readonly ReplayBrokerPool _brokers = new();

    /// <summary>The replay queue of one migration: bound to the service's exchange from the checkpoint to the clean-up.</summary>
    public static string ReplayQueue(string queue, MigrationId migration) => $"{queue}.edgeportal-replay.{migration.Value:N}";

    /// <summary>The queue a paused source waits on for resume (rollback) or exit (clean-up).</summary>
    public static string ResumeQueue(string queue, MigrationId migration) => $"{queue}.edgeportal-resume.{migration.Value:N}";

    internal static bool IsReplay(MigrationStrategy strategy) => strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff;

    internal sealed record ReplayTarget(AgentBrokerOptions Broker, string Exchange, string Queue, string ReplayQueue, string ResumeQueue);

    internal static ReplayTarget ReplayService(AgentClusterOptions o, string cluster, string service)
    {
        var key = $"{AgentEdgeOptions.Section}:Clusters:{cluster}:Broker";
        if (o.Broker is not { } b)
            throw new AgentCallException($"message replay needs the cluster's broker: configure {key}:Uri and {key}:Services:{service}");
        if (!b.Services.TryGetValue(service, out var s) || s.Exchange is null || s.Queue is null)
            throw new AgentCallException($"{service} is not a message-consuming service of this cluster: configure {key}:Services:{service}:Exchange and :Queue");
        return new ReplayTarget(b, s.Exchange, s.Queue, "", "");
    }

    private static ReplayTarget For(ReplayTarget t, MigrationId migration) =>
        t with { ReplayQueue = ReplayQueue(t.Queue, migration), ResumeQueue = ResumeQueue(t.Queue, migration) };

    internal async Task<StepResult> ReplayProfileAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct)
    {
        var profiled = (await ProfileAsync(c, o, source, destination, ct, consumesMessages: true).ConfigureAwait(false)).Message;
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        if (await broker.QueueAsync(t.Queue, ct).ConfigureAwait(false) is not { } q)
            throw new AgentCallException($"the queue {t.Queue} of {c.Service.Name} does not exist on the broker");
        if (q.Consumers == 0)
            throw new AgentCallException($"nothing consumes {t.Queue}: {c.Service.Name} is not serving on {c.Source.Name}");
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"{profiled}; consumes {t.Queue} (fed by the fan-out exchange {t.Exchange}): {q.Messages} waiting, {q.Consumers} consumer(s)"));
    }

    internal async Task<StepResult> ReplayCheckpointAsync(StepContext c, ReplayTarget target, AgentApiClient source, CancellationToken ct)
    {
        var t = For(target, c.MigrationId);
        var id = ImagesId(c.Service.Name, c.MigrationId);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        await broker.DeclareBoundQueueAsync(t.ReplayQueue, t.Exchange, ct, priorities: true).ConfigureAwait(false);
        var marker = await broker.AskAsync(t.Exchange, "", "edgeportal.marker", $"replay-queue={t.ReplayQueue}", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not answer the marker sent through {t.Exchange} after binding {t.ReplayQueue}", ct).ConfigureAwait(false);
        var markedAt = _time.GetUtcNow();
        var d = await source.DumpAsync(id, WorkloadName(c.Service.Name), null, null, ct, leaveRunning: true, tcpClose: true, tenant: Tenant(c.Service)).ConfigureAwait(false);
        var after = await broker.AskAsync("", t.Queue, "edgeportal.dumped", "", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not confirm the dump", ct).ConfigureAwait(false);
        var s = d.Stats;
        var stats = s is null
            ? "no stats-dump"
            : string.Create(CultureInfo.InvariantCulture, $"CRIU: frozen {s.FrozenTimeUs / 1000.0:0.0} ms, {s.PagesWritten} pages written");
        // A container is dumped with its connections (Podman 4.3 has no --tcp-close); its copy is restored with them closed.
        var how = d.Container is { } dc
            ? string.Create(CultureInfo.InvariantCulture, $"dumped the Podman container {dc.Name} (pid {d.Pid}) with podman container checkpoint --leave-running --tcp-established --export{(d.Podman is { } ps ? $" (Podman {ps.PodmanDurationUs / 1000.0:0.0} ms)" : "")}")
            : $"dumped pid {d.Pid} with --leave-running --tcp-close";
        var stored = new StepArtifacts
        {
            ImagesId = id, ReplayQueue = t.ReplayQueue, ResumeQueue = t.ResumeQueue, MarkedAt = markedAt, MarkedSequence = (long)marker.Last,
        };
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"replay queue {t.ReplayQueue} bound to {t.Exchange}; the marker through {t.Exchange} answered by {c.Service.Name} on {source.Node} at #{marker.Last} (every message published before the binding applied); {how} into {id}: {d.Bytes / 1e6:0.0} MB, wall clock {d.WallClockMs:0} ms, {stats}; {c.Service.Name} keeps serving {t.Queue} on {source.Node} (#{after.Last} applied){(s is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; downtime: the {s.FrozenTimeUs / 1000.0:0.0} ms the source was frozen"))}"),
            null, stored, s is null ? null : s.FrozenTimeUs / 1000.0);
    }

    internal static async Task<StepResult> ReplayRestoreAsync(StepContext c, ReplayTarget target, AgentApiClient destination, CancellationToken ct)
    {
        var t = For(target, c.MigrationId);
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

    internal async Task<StepResult> ReplayMessagesAsync(StepContext c, ReplayTarget target, CancellationToken ct)
    {
        var t = For(target, c.MigrationId);
        var markedAt = MarkedAt(c);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        var started = _time.GetTimestamp();
        if (c.Step.Round == 1)
        {
            // The cutoff: the source stops here, and the rest of the replay is downtime.
            var since = (_time.GetUtcNow() - markedAt).TotalMilliseconds;
            var paused = await PauseSourceAsync(c, t, broker, ct).ConfigureAwait(false);
            var drained = await broker.AskAsync("", t.ReplayQueue, "edgeportal.reach", string.Create(CultureInfo.InvariantCulture, $"until={paused.Last}"),
                t.Broker.ReplayTimeout, $"the copy on {c.Destination.Name} did not reach #{paused.Last} in {t.ReplayQueue}", ct, overtake: true).ConfigureAwait(false);
            return new StepResult(string.Create(CultureInfo.InvariantCulture,
                $"{(c.Plan.CutoffMs is { } x && since < x ? $"caught up before the cutoff ({x:0} ms)" : "cutoff")}: {c.Service.Name} stopped on {c.Source.Name} {since:0} ms after the checkpoint, at #{paused.Last}; the copy on {c.Destination.Name} drained {t.ReplayQueue} to #{drained.Last} in {_time.GetElapsedTime(started).TotalMilliseconds:0} ms ({drained.Duplicates} duplicates skipped, {drained.Lost} lost)"), null,
                new StepArtifacts { PausedAt = (long)paused.Last });
        }

        var cutoff = c.Plan.CutoffMs;
        (uint Messages, uint Consumers) q = default;
        uint? first = null;
        while (true)
        {
            q = await broker.QueueAsync(t.ReplayQueue, ct).ConfigureAwait(false)
                ?? throw new AgentCallException($"the replay queue {t.ReplayQueue} is gone");
            if (q.Consumers > 0)
                first ??= q.Messages;
            var since = (_time.GetUtcNow() - markedAt).TotalMilliseconds;
            if (q.Consumers > 0 && q.Messages <= t.Broker.DrainedMessages)
                return new StepResult(string.Create(CultureInfo.InvariantCulture,
                    $"the copy on {c.Destination.Name} consumes {t.ReplayQueue}: {first} message(s) waited when it started, {q.Messages} now, caught up {since:0} ms after the checkpoint{(cutoff is { } x ? $" (before the cutoff at {x:0} ms)" : "")}"));
            if (cutoff is { } limit && since >= limit)
                return new StepResult(string.Create(CultureInfo.InvariantCulture,
                    $"cutoff reached {since:0} ms after the checkpoint (plan: {limit:0} ms): {q.Messages} message(s) still wait in {t.ReplayQueue}{(q.Consumers == 0 ? ", and the copy does not consume it yet" : "")}"));
            var waited = _time.GetElapsedTime(started);
            if (waited > t.Broker.ReplayTimeout)
                throw new AgentCallException(q.Consumers == 0
                    ? $"the copy restored on {c.Destination.Name} did not consume {t.ReplayQueue} within {t.Broker.ReplayTimeout.TotalSeconds:0} s (it must reconnect to the broker after the restore)"
                    : string.Create(CultureInfo.InvariantCulture, $"the replay did not catch up within {t.Broker.ReplayTimeout.TotalSeconds:0} s: {q.Messages} messages still wait in {t.ReplayQueue} (more arrive than the copy processes: plan ReplayWithCutoff)"));
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time, ct).ConfigureAwait(false);
        }
    }

    internal async Task<StepResult> ReplaySwitchAsync(StepContext c, ReplayTarget target, CancellationToken ct)
    {
        var t = For(target, c.MigrationId);
        _ = MarkedAt(c);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        var pausedAt = c.Stored.PausedAt is { } p ? (ulong)p : (ulong?)null;
        var stopped = pausedAt is { } s ? $"stopped at #{s} by the cutoff" : null;
        var until = pausedAt ?? (await PauseSourceAsync(c, t, broker, ct).ConfigureAwait(false)).Last;
        stopped ??= $"paused at #{until}";
        var switched = await broker.AskAsync("", t.ReplayQueue, "edgeportal.switch", string.Create(CultureInfo.InvariantCulture, $"until={until}"),
            t.Broker.ReplayTimeout, $"the copy on {c.Destination.Name} did not switch from {t.ReplayQueue} to {t.Queue}", ct, overtake: true).ConfigureAwait(false);
        if (switched.Queue != t.Queue || switched.Last < until)
            throw new AgentCallException($"the copy on {c.Destination.Name} answered the switch but is not where it must be: {switched}");
        if (switched.Lost > 0)
            throw new AgentCallException($"the copy on {c.Destination.Name} recorded {switched.Lost} lost message(s) (gaps in the sequence numbers it replayed): {switched}");
        return new StepResult($"{c.Service.Name} {stopped} on {c.Source.Name}; the copy on {c.Destination.Name} switched from {t.ReplayQueue} to {t.Queue}: {switched}",
            null, new StepArtifacts { PausedAt = (long)until });
    }

    internal async Task<StepResult> ReplayCleanUpAsync(StepContext c, ReplayTarget target, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var t = For(target, c.MigrationId);
        var done = new List<string>();
        await using (var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false))
        {
            var broker = rented.Broker;
            if (await broker.QueueAsync(t.ResumeQueue, ct).ConfigureAwait(false) is { Consumers: > 0 })
            {
                var exiting = await broker.AskAsync("", t.ResumeQueue, "edgeportal.exit", "", t.Broker.ReplyTimeout,
                    $"the paused source on {c.Source.Name} did not answer exit", ct).ConfigureAwait(false);
                done.Add($"the old {c.Service.Name} on {c.Source.Name} left (#{exiting.Last} applied there)");
            }
            foreach (var queue in new[] { t.ReplayQueue, t.ResumeQueue })
                if (await broker.DeleteQueueAsync(queue, ct).ConfigureAwait(false))
                    done.Add($"deleted {queue}");
        }
        await source.DeleteWorkloadAsync(WorkloadName(c.Service.Name), ct, Tenant(c.Service)).ConfigureAwait(false);
        done.Add((await CleanUpAsync(c, source, destination, ct).ConfigureAwait(false)).Message);
        return new StepResult(string.Join("; ", done));
    }

    private async Task<StepOutcome> ReplayRollbackAsync(RollbackContext c, AgentClusterOptions o, List<string> done, CancellationToken ct)
    {
        var source = Agent(o, c.Source.Name);
        var destination = Agent(o, c.Destination.Name);
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var t = For(ReplayService(o, c.Cluster.Name, c.Service.Name), c.MigrationId);
        // A connection of its own: a pooled one may be what failed.
        // The copy goes first: source and copy must never consume the same queue.
        if (await destination.DeleteRestoredAsync(id, ct).ConfigureAwait(false))
            done.Add($"killed the restored copy on {c.Destination.Name}");
        await using (var broker = await ReplayBroker.ConnectAsync(t.Broker, ct).ConfigureAwait(false))
        {
            if (await broker.QueueAsync(t.ResumeQueue, ct).ConfigureAwait(false) is { Consumers: > 0 })
            {
                var resumed = await broker.AskAsync("", t.ResumeQueue, "edgeportal.resume", "", t.Broker.ReplyTimeout,
                    $"the paused source on {c.Source.Name} did not answer resume", ct).ConfigureAwait(false);
                done.Add($"resumed {c.Service.Name} on {c.Source.Name} at #{resumed.Last}, consuming {resumed.Queue}");
                if (c.CompletedSteps.Any(s => s.Kind == StepKind.SwitchTraffic))
                    done.Add($"the messages the copy consumed from {t.Queue} after the switch are not in the source's state");
            }
            foreach (var queue in new[] { t.ReplayQueue, t.ResumeQueue })
                if (await broker.DeleteQueueAsync(queue, ct).ConfigureAwait(false))
                    done.Add($"deleted {queue}");
        }
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

    /// <summary>Stops the source: it answers with the last number it applied and waits on the resume queue.</summary>
    private static async Task<ServiceAnswer> PauseSourceAsync(StepContext c, ReplayTarget t, ReplayBroker broker, CancellationToken ct)
    {
        await broker.DeclareBoundQueueAsync(t.ResumeQueue, null, ct).ConfigureAwait(false);
        var paused = await broker.AskAsync("", t.Queue, "edgeportal.pause", $"resume-queue={t.ResumeQueue}", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not confirm the pause", ct).ConfigureAwait(false);
        return paused;
    }

    /// <summary>When the checkpoint's marker went through, as the checkpoint step stored it.</summary>
    private static DateTimeOffset MarkedAt(StepContext c) => c.Stored.MarkedAt
        ?? throw new StepFailedException($"migration {c.MigrationId} stored no replay marker: its checkpoint did not complete, so the replay cannot go on");
}
