using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Replay;

/// <summary>A message-consuming service as one migration replays it: its exchange X, its queue P, and the migration's replay queue R and resume queue.</summary>
public sealed record ReplayTarget(ReplayBrokerOptions Broker, string Exchange, string Queue, string ReplayQueue, string ResumeQueue)
{
    /// <summary>The queues of <paramref name="migration"/>.</summary>
    public ReplayTarget For(MigrationId migration) =>
        this with { ReplayQueue = ReplayProtocol.ReplayQueue(Queue, migration), ResumeQueue = ReplayProtocol.ResumeQueue(Queue, migration) };
}

/// <summary>What the checkpoint's hand-over found: the marker's answer, when it went through, and the source's answer after the dump.</summary>
public sealed record ReplayCheckpoint<T>(ReplayTarget Target, ServiceAnswer Marker, DateTimeOffset MarkedAt, ServiceAnswer AfterDump, T Dumped)
{
    /// <summary>The queues and the marker, to store with the step: every later step of the replay reads them.</summary>
    public StepArtifacts Artifacts => new()
    {
        ReplayQueue = Target.ReplayQueue, ResumeQueue = Target.ResumeQueue, MarkedAt = MarkedAt, MarkedSequence = (long)Marker.Last,
    };

    /// <summary>"replay queue R bound to X; the marker … answered … at #n", for the step's message.</summary>
    public string Bound(string service, string node) => string.Create(CultureInfo.InvariantCulture,
        $"replay queue {Target.ReplayQueue} bound to {Target.Exchange}; the marker through {Target.Exchange} answered by {service} on {node} at #{Marker.Last} (every message published before the binding applied)");
}

/// <summary>
/// MS2M's hand-over between a live source and its restored copy (MessageReplay and ReplayWithCutoff), the one protocol both
/// runtimes that replay run: the Agent runtime around <c>criu dump --leave-running --tcp-close</c>, the Kubernetes runtime
/// around the kubelet's checkpoint (which leaves the container running; the nodes' runc configuration adds
/// <c>tcp-close</c>). The service consumes its queue P, bound to the fan-out exchange X, on the cluster's RabbitMQ broker
/// (<see cref="ReplayBrokerOptions"/>), and speaks the control protocol of the lab's message service (control messages with
/// AMQP type <c>edgeportal.*</c>, answered on their reply-to queue; data messages carry consecutive sequence numbers, and the
/// service applies a message only when its number is one above the last one it applied, skipping — and counting — duplicates).
/// <list type="number">
/// <item>Checkpoint (<see cref="CheckpointAsync"/>): declare the replay queue R and bind it to X: from then on every message
/// lands in P and in R. Then a <em>marker</em> goes through X (so behind every message routed before the binding, in P); the
/// source answers it when it consumes it from P, so every message published before R existed has been applied, and
/// remembers R. Only after that answer is the source checkpointed, leaving it running (it keeps serving P) with its broker
/// connection closed in the image. The hole of the naive order — messages published before the binding but still
/// unapplied at the dump, in neither the images nor R — is closed by the answer, not by timing. A <c>dumped</c> message to
/// P then makes the source forget R.</item>
/// <item>The runtime transfers and restores: the copy finds its broker connection closed, reconnects, and since it
/// remembers R (the marker was applied before the dump) it consumes R, skipping what its state applied already. The source
/// keeps P: they never share a queue.</item>
/// <item><see cref="ReplayMessagesAsync"/>, round 0: wait until the copy consumes R and at most
/// <see cref="ReplayBrokerOptions.DrainedMessages"/> wait in it — or, with a cutoff, until <see cref="MigrationPlan.CutoffMs"/>
/// after the marker. Round 1 (the cutoff, downtime): <em>pause</em> the source (a control message to P; it answers with the
/// last number S it applied, stops consuming P, requeues what was in flight unapplied, and waits on its own resume queue),
/// then wait until the copy has applied S (a <em>reach</em> message: R is a priority queue, and the control messages sent to
/// it overtake the data waiting there, so the answer comes when the copy reaches S, not when it reaches the end of R).</item>
/// <item><see cref="SwitchAsync"/> (downtime): pause the source unless the cutoff did, then <em>switch</em> the copy: a
/// control message to R carrying S; once the copy has applied S it consumes P instead of R. P holds every message after S,
/// the copy holds everything up to S: none lost, and the duplicates P still has are skipped by number — none applied twice.</item>
/// <item><see cref="CleanUpAsync"/>: the paused source told to exit, R and the resume queue deleted.
/// <see cref="RollbackAsync"/>, once the runtime has removed the copy: the source resumed on P if it was paused, R and the
/// resume queue deleted: the source serves as before.</item>
/// </list>
/// Broker connections are pooled between steps (<see cref="ReplayBrokerPool"/>) so that the downtime steps do not wait for
/// a new one. Every failure is an <see cref="AgentCallException"/> naming the broker and the operation.
/// </summary>
public sealed class ReplayProtocol(TimeProvider time) : IAsyncDisposable
{
    private readonly ReplayBrokerPool _brokers = new();

    /// <summary>The replay queue of one migration: bound to the service's exchange from the checkpoint to the clean-up.</summary>
    public static string ReplayQueue(string queue, MigrationId migration) => $"{queue}.edgeportal-replay.{migration.Value:N}";

    /// <summary>The queue a paused source waits on for resume (rollback) or exit (clean-up).</summary>
    public static string ResumeQueue(string queue, MigrationId migration) => $"{queue}.edgeportal-resume.{migration.Value:N}";

    /// <summary>Whether <paramref name="strategy"/> runs this protocol.</summary>
    public static bool IsReplay(MigrationStrategy strategy) => strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff;

    /// <summary>
    /// <paramref name="service"/> on the broker <paramref name="broker"/> configured at <paramref name="key"/> (the cluster's
    /// <c>…:Broker</c> key, which a refusal names); its migration queues still empty until <see cref="ReplayTarget.For"/>.
    /// </summary>
    public static ReplayTarget Target(ReplayBrokerOptions? broker, string key, string service)
    {
        if (broker is not { } b)
            throw new AgentCallException($"message replay needs the cluster's broker: configure {key}:Uri and {key}:Services:{service}");
        if (!b.Services.TryGetValue(service, out var s) || s.Exchange is null || s.Queue is null)
            throw new AgentCallException($"{service} is not a message-consuming service of this cluster: configure {key}:Services:{service}:Exchange and :Queue");
        return new ReplayTarget(b, s.Exchange, s.Queue, "", "");
    }

    /// <summary>The service's queue on the broker, for Profile: it must exist and be consumed.</summary>
    public async Task<string> ProfileAsync(StepContext c, ReplayTarget t, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(t);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        if (await rented.Broker.QueueAsync(t.Queue, ct).ConfigureAwait(false) is not { } q)
            throw new AgentCallException($"the queue {t.Queue} of {c.Service.Name} does not exist on the broker");
        if (q.Consumers == 0)
            throw new AgentCallException($"nothing consumes {t.Queue}: {c.Service.Name} is not serving on {c.Source.Name}");
        return string.Create(CultureInfo.InvariantCulture,
            $"consumes {t.Queue} (fed by the fan-out exchange {t.Exchange}): {q.Messages} waiting, {q.Consumers} consumer(s)");
    }

    /// <summary>
    /// The checkpoint's hand-over around the runtime's <paramref name="dump"/> (which must leave the source running and its
    /// broker connection closed in the image): R bound, the marker answered, then the dump, then <c>dumped</c>.
    /// </summary>
    public async Task<ReplayCheckpoint<T>> CheckpointAsync<T>(StepContext c, ReplayTarget target, Func<CancellationToken, Task<T>> dump, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(dump);
        var t = target.For(c.MigrationId);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        await broker.DeclareBoundQueueAsync(t.ReplayQueue, t.Exchange, ct, priorities: true).ConfigureAwait(false);
        var marker = await broker.AskAsync(t.Exchange, "", "edgeportal.marker", $"replay-queue={t.ReplayQueue}", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not answer the marker sent through {t.Exchange} after binding {t.ReplayQueue}", ct).ConfigureAwait(false);
        var markedAt = time.GetUtcNow();
        var dumped = await dump(ct).ConfigureAwait(false);
        var after = await broker.AskAsync("", t.Queue, "edgeportal.dumped", "", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not confirm the dump", ct).ConfigureAwait(false);
        return new ReplayCheckpoint<T>(t, marker, markedAt, after, dumped);
    }

    /// <summary>Round 0: wait until the copy catches up on R, or for the cutoff. Round 1 (the cutoff): pause the source and drain R to where it stopped.</summary>
    public async Task<StepResult> ReplayMessagesAsync(StepContext c, ReplayTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(target);
        var t = target.For(c.MigrationId);
        var markedAt = MarkedAt(c);
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        var started = time.GetTimestamp();
        if (c.Step.Round == 1)
        {
            // The cutoff: the source stops here, and the rest of the replay is downtime.
            var since = (time.GetUtcNow() - markedAt).TotalMilliseconds;
            var paused = await PauseSourceAsync(c, t, broker, ct).ConfigureAwait(false);
            var drained = await broker.AskAsync("", t.ReplayQueue, "edgeportal.reach", string.Create(CultureInfo.InvariantCulture, $"until={paused.Last}"),
                t.Broker.ReplayTimeout, $"the copy on {c.Destination.Name} did not reach #{paused.Last} in {t.ReplayQueue}", ct, overtake: true).ConfigureAwait(false);
            return new StepResult(string.Create(CultureInfo.InvariantCulture,
                $"{(c.Plan.CutoffMs is { } x && since < x ? $"caught up before the cutoff ({x:0} ms)" : "cutoff")}: {c.Service.Name} stopped on {c.Source.Name} {since:0} ms after the checkpoint, at #{paused.Last}; the copy on {c.Destination.Name} drained {t.ReplayQueue} to #{drained.Last} in {time.GetElapsedTime(started).TotalMilliseconds:0} ms ({drained.Duplicates} duplicates skipped, {drained.Lost} lost)"), null,
                new StepArtifacts { PausedAt = (long)paused.Last });
        }

        var cutoff = c.Plan.CutoffMs;
        uint? first = null;
        while (true)
        {
            var q = await broker.QueueAsync(t.ReplayQueue, ct).ConfigureAwait(false)
                ?? throw new AgentCallException($"the replay queue {t.ReplayQueue} is gone");
            if (q.Consumers > 0)
                first ??= q.Messages;
            var since = (time.GetUtcNow() - markedAt).TotalMilliseconds;
            if (q.Consumers > 0 && q.Messages <= t.Broker.DrainedMessages)
                return new StepResult(string.Create(CultureInfo.InvariantCulture,
                    $"the copy on {c.Destination.Name} consumes {t.ReplayQueue}: {first} message(s) waited when it started, {q.Messages} now, caught up {since:0} ms after the checkpoint{(cutoff is { } x ? $" (before the cutoff at {x:0} ms)" : "")}"));
            if (cutoff is { } limit && since >= limit)
                return new StepResult(string.Create(CultureInfo.InvariantCulture,
                    $"cutoff reached {since:0} ms after the checkpoint (plan: {limit:0} ms): {q.Messages} message(s) still wait in {t.ReplayQueue}{(q.Consumers == 0 ? ", and the copy does not consume it yet" : "")}"));
            var waited = time.GetElapsedTime(started);
            if (waited > t.Broker.ReplayTimeout)
                throw new AgentCallException(q.Consumers == 0
                    ? $"the copy restored on {c.Destination.Name} did not consume {t.ReplayQueue} within {t.Broker.ReplayTimeout.TotalSeconds:0} s (it must reconnect to the broker after the restore)"
                    : string.Create(CultureInfo.InvariantCulture, $"the replay did not catch up within {t.Broker.ReplayTimeout.TotalSeconds:0} s: {q.Messages} messages still wait in {t.ReplayQueue} (more arrive than the copy processes: plan ReplayWithCutoff)"));
            await Task.Delay(TimeSpan.FromMilliseconds(10), time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Pause the source (unless the cutoff did) and switch the copy from R to P at the source's last number.</summary>
    public async Task<StepResult> SwitchAsync(StepContext c, ReplayTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(target);
        var t = target.For(c.MigrationId);
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

    /// <summary>The paused source told to exit (where it still waits), R and the resume queue deleted; what was done, in words.</summary>
    public async Task<IReadOnlyList<string>> CleanUpAsync(StepContext c, ReplayTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(target);
        var t = target.For(c.MigrationId);
        var done = new List<string>();
        await using var rented = await _brokers.RentAsync(t.Broker, ct).ConfigureAwait(false);
        var broker = rented.Broker;
        if (await broker.QueueAsync(t.ResumeQueue, ct).ConfigureAwait(false) is { Consumers: > 0 })
        {
            var exiting = await broker.AskAsync("", t.ResumeQueue, "edgeportal.exit", "", t.Broker.ReplyTimeout,
                $"the paused source on {c.Source.Name} did not answer exit", ct).ConfigureAwait(false);
            done.Add($"the old {c.Service.Name} on {c.Source.Name} left (#{exiting.Last} applied there)");
        }
        await DeleteQueuesAsync(broker, t, done, ct).ConfigureAwait(false);
        return done;
    }

    /// <summary>
    /// Undoes the hand-over once the runtime has removed the copy (source and copy must never consume the same queue): the
    /// source resumed on P if it was paused, R and the resume queue deleted. On a connection of its own: a pooled one may be what failed.
    /// </summary>
    public static async Task RollbackAsync(RollbackContext c, ReplayTarget target, List<string> done, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(done);
        var t = target.For(c.MigrationId);
        await using var broker = await ReplayBroker.ConnectAsync(t.Broker, ct).ConfigureAwait(false);
        if (await broker.QueueAsync(t.ResumeQueue, ct).ConfigureAwait(false) is { Consumers: > 0 })
        {
            var resumed = await broker.AskAsync("", t.ResumeQueue, "edgeportal.resume", "", t.Broker.ReplyTimeout,
                $"the paused source on {c.Source.Name} did not answer resume", ct).ConfigureAwait(false);
            done.Add($"resumed {c.Service.Name} on {c.Source.Name} at #{resumed.Last}, consuming {resumed.Queue}");
            if (c.CompletedSteps.Any(s => s.Kind == StepKind.SwitchTraffic))
                done.Add($"the messages the copy consumed from {t.Queue} after the switch are not in the source's state");
        }
        await DeleteQueuesAsync(broker, t, done, ct).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _brokers.DisposeAsync();

    private static async Task DeleteQueuesAsync(ReplayBroker broker, ReplayTarget t, List<string> done, CancellationToken ct)
    {
        foreach (var queue in new[] { t.ReplayQueue, t.ResumeQueue })
            if (await broker.DeleteQueueAsync(queue, ct).ConfigureAwait(false))
                done.Add($"deleted {queue}");
    }

    /// <summary>Stops the source: it answers with the last number it applied and waits on the resume queue.</summary>
    private static async Task<ServiceAnswer> PauseSourceAsync(StepContext c, ReplayTarget t, ReplayBroker broker, CancellationToken ct)
    {
        await broker.DeclareBoundQueueAsync(t.ResumeQueue, null, ct).ConfigureAwait(false);
        return await broker.AskAsync("", t.Queue, "edgeportal.pause", $"resume-queue={t.ResumeQueue}", t.Broker.ReplyTimeout,
            $"{c.Service.Name} on {c.Source.Name} did not confirm the pause", ct).ConfigureAwait(false);
    }

    /// <summary>When the checkpoint's marker went through, as the checkpoint step stored it.</summary>
    private static DateTimeOffset MarkedAt(StepContext c) => c.Stored.MarkedAt
        ?? throw new StepFailedException($"migration {c.MigrationId} stored no replay marker: its checkpoint did not complete, so the replay cannot go on");
}
