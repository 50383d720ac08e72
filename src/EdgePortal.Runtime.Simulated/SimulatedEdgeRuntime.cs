using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// The digital twin behind <see cref="ClusterKind.Simulated"/> clusters. Each step takes the plan's prediction
/// times lognormal noise (a transfer or pre-dump also times the sharing of its path; a replay follows the
/// message-queue model instead), waits that long divided by <see cref="SimulatorOptions.SpeedFactor"/> on the
/// injected <see cref="TimeProvider"/>, and answers in a runtime's words with the simulated duration.
/// Faults come from <see cref="SimulatedEdge.SetNodeDown"/> and the configured failure probabilities.
/// </summary>
/// <remarks>
/// Replay model (MS2M, docs/migration-model.md §4): messages queue at λ from the start of the live checkpoint,
/// measured on the migration's virtual clock (the simulated durations of its steps, summed); the replay step
/// drains the backlog at μ − λ. With μ ≤ λ it never drains: with the plan's cutoff (ms after the checkpoint)
/// the source stops there and the target drains the rest at μ; without one the step fails.
/// </remarks>
public sealed partial class SimulatedEdgeRuntime : StepHandlerRuntime
{
    private const double PageSizeBytes = 4096;
    /// <summary>The longest wait <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> accepts.</summary>
    private const double MaxDelayMs = uint.MaxValue - 1d;

    private readonly SimulatedEdge _edge;
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SimulatedEdgeRuntime> _logger;
    private readonly IInventoryRepository? _inventory;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly IReadOnlyList<StepHandler> _handlers;

    /// <param name="inventory">Where the nodes of a probed cluster are listed; without it the probe counts the nodes seen in steps.</param>
    public SimulatedEdgeRuntime(SimulatedEdge edge, IOptions<SimulatorOptions> options, TimeProvider timeProvider,
        ILogger<SimulatedEdgeRuntime> logger, IInventoryRepository? inventory = null)
        : base(timeProvider, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _edge = edge ?? throw new ArgumentNullException(nameof(edge));
        _options = options.Value;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _inventory = inventory;
        // The container validates already; this covers a runtime built by hand.
        var validation = new SimulatorOptionsValidator().Validate(Options.DefaultName, _options);
        if (validation.Failed)
            throw new OptionsValidationException(Options.DefaultName, typeof(SimulatorOptions), validation.Failures);
        _random = _options.RandomSeed is { } seed ? new Random(seed) : new Random();
        _handlers = [.. Enum.GetValues<StepKind>().Select(kind => new SimulatedStepHandler(this, kind))];
    }

    public override ClusterKind Kind => ClusterKind.Simulated;

    protected override IReadOnlyList<StepHandler> Handlers => _handlers;

    public override Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<RuntimeProbe>(cancellationToken);
        var nodes = NodesOf(cluster.Id);
        var down = nodes.Count(_edge.IsDown);
        var reachable = nodes.Count == 0 || down < nodes.Count;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"Simulated edge, speed ×{_options.SpeedFactor:0.##}, {nodes.Count} {(nodes.Count == 1 ? "node" : "nodes")}, {down} down");
        if (!reachable)
            summary += ": every node of the cluster is down";
        return Task.FromResult(new RuntimeProbe(reachable, summary, Capabilities(_options)));
    }

    /// <summary>The twin models every strategy: dirty pages, pre-dumps and the replay queue are all part of the model; bytes travel the modelled path.</summary>
    public static RuntimeCapabilities Capabilities(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RuntimeCapabilities
        {
            Strategies = Enum.GetValues<MigrationStrategy>(),
            DirtyTracking = true,
            PreDump = true,
            LazyPages = true,
            ReplayBroker = true,
            TransferPaths = [TransferPath.Model],
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"model: speed ×{options.SpeedFactor:0.##}, noise CV {options.NoiseCoefficientOfVariation:0.##}, failure probability {options.FailureProbability:0.###}, seed {options.RandomSeed?.ToString(CultureInfo.InvariantCulture) ?? "none"}"),
        };
    }

    /// <summary>One step of the model: what <see cref="SimulatedStepHandler"/> runs for every step kind.</summary>
    internal async Task<StepResult> RunStepAsync(StepContext context, CancellationToken cancellationToken)
    {
        _edge.Observe(context.Source);
        _edge.Observe(context.Destination);
        var kind = context.Step.Kind;

        foreach (var node in Touches(kind, context))
            if (_edge.IsDown(node))
                throw Refuse(context, kind == StepKind.PageIn && node.Id == context.Source.Id
                    ? SourceLostText(context, context.Service.Profile.StateSizeBytes)
                    : $"node {node.Name} is unreachable (connection refused)");
        var sends = kind is StepKind.Transfer or StepKind.PreDump or StepKind.PageIn;
        if (sends && context.PathBandwidth.BitsPerSecond <= 0)
            throw Refuse(context, $"no route from {context.Source.Name} to {context.Destination.Name}");
        if (kind != StepKind.ReplayMessages && (!double.IsFinite(context.Step.PredictedMs) || context.Step.PredictedMs < 0))
            throw Refuse(context, $"cannot simulate {context.Step.Label}: the plan predicts {Invariant(context.Step.PredictedMs)} ms");

        var noise = kind == StepKind.ReplayMessages ? 1 : NoiseFactor();
        var start = _edge.WithService(context.Service.Id, context.MigrationId, context.Source.Id, twin => Begin(context, twin, noise));
        if (start.Refusal is { } refusal)
            throw Refuse(context, refusal);

        var durationMs = start.DurationMs;

        if (DrawFault(kind) is { } fraction)
        {
            var partialMs = durationMs * fraction;
            await WaitAsync(partialMs, cancellationToken).ConfigureAwait(false);
            _edge.WithService(context.Service.Id, context.MigrationId, context.Source.Id, twin => twin.ClockMs += partialMs);
            var reason = FaultText(context, start, fraction, partialMs) + " (injected fault)";
            LogInjectedFault(context.Step.Label, context.MigrationId, context.Service.Name, reason);
            throw new StepFailedException(reason);
        }

        LinkSharing.Sent? sent = null;
        if (sends)
        {
            // The step's network part (its bytes at the reserved rate, as the model has it) crosses the path's links
            // and shares them with every other transfer; the rest of the step is the dump or restore work.
            var capBits = context.Plan.ReservedBandwidth.BitsPerSecond > 0
                ? Math.Min(context.Plan.ReservedBandwidth.BitsPerSecond, context.PathBandwidth.BitsPerSecond) : context.PathBandwidth.BitsPerSecond;
            var networkMs = Math.Min(durationMs, start.Bytes * 8_000d / capBits);
            var shared = await _edge.Links.SendAsync(new SimulatedEdge.Transfer(context.MigrationId, context.Source.Id, context.Destination.Id),
                LinksOf(context), capBits, networkMs * capBits / 1_000, durationMs - networkMs, _time, _options.SpeedFactor, cancellationToken)
                .ConfigureAwait(false);
            sent = shared;
            // Alone, a transfer takes exactly the model's time (kept as computed rather than summed back from rates).
            if (shared.Slowed)
                durationMs = shared.DurationMs;
        }
        else
            await WaitAsync(durationMs, cancellationToken).ConfigureAwait(false);
        var message = _edge.WithService(context.Service.Id, context.MigrationId, context.Source.Id,
            twin => Finish(context, twin, start, durationMs, sent));
        return new StepResult(message, durationMs);
    }

    public override Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<StepOutcome>(cancellationToken);
        _edge.Observe(context.Source);
        _edge.Observe(context.Destination);
        if (context.Plan.Strategy == MigrationStrategy.PostCopy
            && (context.CompletedSteps.Any(s => s.Kind == StepKind.SwitchTraffic)
                || _edge.WithService(context.Service.Id, context.MigrationId, context.Source.Id, twin => twin.ResumedAtDestination)))
        {
            var forward = new StepOutcome.Failure(PostCopyForwardOnly(context, _edge.IsDown(context.Source)));
            LogRollback(context, forward);
            return Task.FromResult<StepOutcome>(forward);
        }
        if (_edge.IsDown(context.Source))
        {
            var failed = new StepOutcome.Failure($"cannot resume on {context.Source.Name}: node is down");
            LogRollback(context, failed);
            return Task.FromResult<StepOutcome>(failed);
        }
        var destinationDown = _edge.IsDown(context.Destination);
        var message = _edge.WithService(context.Service.Id, context.MigrationId, context.Source.Id, twin => Undo(context, twin, destinationDown));
        var done = new StepOutcome.Success(message);
        LogRollback(context, done);
        return Task.FromResult<StepOutcome>(done);
    }

    /// <summary>The links a transfer crosses: the path's, or the node pair as one link of the path's bandwidth when they are unknown.</summary>
    private static LinkSharing.LinkShare[] LinksOf(StepContext c)
    {
        if (c.PathLinks is not { Count: > 0 } links)
            return [new LinkSharing.LinkShare(LinkKey(c.Source.Id, c.Destination.Id), c.PathBandwidth.BitsPerSecond)];
        var shares = new LinkSharing.LinkShare[links.Count];
        for (var i = 0; i < links.Count; i++)
            shares[i] = new LinkSharing.LinkShare(links[i].Id, links[i].Bandwidth.BitsPerSecond);
        return shares;
    }

    /// <summary>The same key for both directions of a node pair.</summary>
    private static (NodeId, NodeId) LinkKey(NodeId a, NodeId b) => a.Value.CompareTo(b.Value) <= 0 ? (a, b) : (b, a);

    /// <summary>Which nodes a step talks to; a step fails when one of them is down.</summary>
    private static EdgeNode[] Touches(StepKind kind, StepContext c) => kind switch
    {
        StepKind.Profile or StepKind.Checkpoint or StepKind.CleanUp => [c.Source],
        StepKind.PreDump or StepKind.Transfer or StepKind.PageIn => [c.Source, c.Destination],
        _ => [c.Destination],
    };

    /// <summary>Cold and the pre-copy strategies freeze the source for the final dump; MS2M checkpoints it live.</summary>
    private static bool StopsSource(MigrationStrategy strategy) =>
        strategy is not (MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff);

    /// <summary>Computes the step's simulated duration and applies what happens when it starts. Runs under the edge's lock.</summary>
    private static StepStart Begin(StepContext c, SimulatedEdge.ServiceTwin twin, double noise)
    {
        twin.Fresh = false;
        var profile = c.Service.Profile;
        var predicted = c.Step.PredictedMs * noise;
        switch (c.Step.Kind)
        {
            case StepKind.PreDump:
                return new StepStart(predicted, c.Step.Round == 0
                    ? profile.StateSizeBytes
                    : DirtyBytes(profile, twin.LastRoundMs ?? PreviousPredictedMs(c)));
            case StepKind.Checkpoint:
                var precopied = c.Plan.Strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy
                    && (twin.LastRoundMs is not null || c.Plan.Steps.Take(c.Step.Index).Any(s => s.Kind == StepKind.PreDump));
                var bytes = precopied ? DirtyBytes(profile, twin.LastRoundMs ?? PreviousPredictedMs(c))
                    : c.Plan.Strategy == MigrationStrategy.PostCopy ? LazyImageBytes(c) : profile.StateSizeBytes;
                if (StopsSource(c.Plan.Strategy))
                {
                    // The final dump stops the service at its start, so a rollback finds it frozen even if the dump fails.
                    if (twin.RoleOn(c.Source.Id) is ReplicaRole.Serving or null)
                        twin.Set(c.Source.Id, ReplicaRole.Frozen);
                }
                else
                {
                    twin.CheckpointAtMs = twin.ClockMs;
                    twin.ArrivalRate = profile.MessageArrivalRate;
                    twin.ReplayedMessages = 0;
                    twin.SourceStoppedAtMs = null;
                }
                return new StepStart(predicted, bytes);
            case StepKind.Transfer:
                return new StepStart(predicted, twin.LastDumpBytes ?? profile.StateSizeBytes);
            case StepKind.ReplayMessages:
                return Replay(c, twin);
            case StepKind.PageIn:
                return new StepStart(predicted, profile.StateSizeBytes);
            default:
                return new StepStart(predicted, profile.StateSizeBytes);
        }
    }

    /// <summary>
    /// The queue model of a replay step (see the class remarks). A plan with a cutoff may split the replay in
    /// two: round 0 replays while the source still serves, until the target catches up or the cutoff comes;
    /// round 1 starts with the source stopped and drains what is left at μ. A single replay step does both.
    /// </summary>
    private static StepStart Replay(StepContext c, SimulatedEdge.ServiceTwin twin)
    {
        var lambda = c.Service.Profile.MessageArrivalRate;
        var mu = c.Service.Profile.MessageProcessingRate;
        // Time since the checkpoint when this step starts: the virtual clock, or after a restart the plan's figures.
        var sinceCheckpointMs = twin.CheckpointAtMs is { } at ? twin.ClockMs - at : PredictedSinceCheckpointMs(c);
        var backlog = Math.Max(0, lambda * sinceCheckpointMs / 1_000 - twin.ReplayedMessages);
        var cutoff = c.Plan.CutoffMs;
        if (lambda <= 0 || backlog <= 0 && cutoff is null)
            return new StepStart(0, 0, new ReplayFigures(0, null, 0));
        if (mu <= 0)
            return StepStart.Refused("replay cannot drain: μ=0 messages/s, the target processes nothing even after the source stops");

        if (c.Step.Round == 1)
        {
            // After the cutoff: the source is stopped, nothing more arrives, the rest drains at μ.
            var drainMs = backlog * 1_000 / mu;
            return new StepStart(drainMs, 0, new ReplayFigures(backlog, sinceCheckpointMs, backlog));
        }

        var catchUpMs = mu > lambda ? backlog * 1_000 / (mu - lambda) : double.PositiveInfinity;
        if (cutoff is null || sinceCheckpointMs + catchUpMs <= cutoff)
        {
            if (double.IsPositiveInfinity(catchUpMs))
                return StepStart.Refused(string.Create(CultureInfo.InvariantCulture,
                    $"replay cannot converge: λ={lambda:0.##} ≥ μ={mu:0.##} messages/s, the backlog only grows, and the plan sets no cutoff"));
            return new StepStart(catchUpMs, 0, new ReplayFigures(mu * catchUpMs / 1_000, null, 0));
        }

        var untilCutoffMs = Math.Max(0, cutoff.Value - sinceCheckpointMs);
        if (c.Plan.Steps.Any(s => s.Kind == StepKind.ReplayMessages && s.Round == 1))
            // The plan has its own step after the cutoff: this one ends at the cutoff.
            return new StepStart(untilCutoffMs, 0, new ReplayFigures(mu * untilCutoffMs / 1_000, null, 0));

        // One step for both: replay until the cutoff, stop the source, drain the rest at μ.
        var stopAtMs = sinceCheckpointMs + untilCutoffMs;
        var remaining = Math.Max(0, backlog + (lambda - mu) * untilCutoffMs / 1_000);
        var durationMs = untilCutoffMs + remaining * 1_000 / mu;
        return new StepStart(durationMs, 0, new ReplayFigures(mu * untilCutoffMs / 1_000 + remaining, stopAtMs, remaining));
    }

    /// <summary>Applies what a step leaves behind and words its result. Runs under the edge's lock.</summary>
    private static string Finish(StepContext c, SimulatedEdge.ServiceTwin twin, StepStart start, double durationMs, LinkSharing.Sent? sent)
    {
        twin.ClockMs += durationMs;
        var service = c.Service.Name;
        var source = c.Source.Name;
        var destination = c.Destination.Name;
        var took = Durations.Format(durationMs);
        var bytes = ByteSize.Format(start.Bytes);
        var shared = sent is { Slowed: true } s ? $" (path shared by {s.MostSharing} transfers)" : "";
        switch (c.Step.Kind)
        {
            case StepKind.Profile:
                var profile = c.Service.Profile;
                var rates = profile.ConsumesMessages
                    ? string.Create(CultureInfo.InvariantCulture, $", λ={profile.MessageArrivalRate:0.##} and μ={profile.MessageProcessingRate:0.##} messages/s")
                    : "";
                return string.Create(CultureInfo.InvariantCulture,
                    $"profiled {service} on {source}: {ByteSize.Format(profile.StateSizeBytes)} of state, {profile.DirtyPagesPerSecond:#,0} dirty pages/s{rates}");
            case StepKind.PreDump:
                twin.LastRoundMs = durationMs;
                twin.LastDumpBytes = start.Bytes;
                twin.SentToDestination = true;
                return c.Step.Round == 0
                    ? $"pre-dumped {bytes} on {source} and sent it to {destination} in {took}{shared}"
                    : $"dump round {c.Step.Round}: {bytes} of dirty pages sent to {destination} in {took}{shared}";
            case StepKind.Checkpoint:
                twin.LastRoundMs = durationMs;
                twin.LastDumpBytes = start.Bytes;
                if (c.Plan.Strategy == MigrationStrategy.PostCopy)
                    return $"lazy dump of {service} on {source} in {took}: {bytes} of images besides the memory; {service} frozen, its {ByteSize.Format(c.Service.Profile.StateSizeBytes)} of memory stay there to be served as pages";
                return StopsSource(c.Plan.Strategy)
                    ? $"dumped {bytes} in {took}; {service} frozen on {source}"
                    : $"checkpointed {bytes} in {took}; {service} keeps serving on {source}";
            case StepKind.Transfer:
                twin.SentToDestination = true;
                return $"transferred {bytes} to {destination} in {took}{shared}";
            case StepKind.Restore:
                twin.Set(c.Destination.Id, ReplicaRole.Standby);
                return c.Plan.Strategy == MigrationStrategy.PostCopy
                    ? $"restored on {destination} with lazy pages in {took}; its memory will fault in from {source}"
                    : $"restored on {destination} in {took}";
            case StepKind.ReplayMessages:
                var replay = start.Replay!;
                twin.ReplayedMessages += replay.Messages;
                if (replay.StoppedAtMs is { } stop && twin.CheckpointAtMs is { } checkpoint)
                    twin.SourceStoppedAtMs = checkpoint + stop;
                var replayed = string.Create(CultureInfo.InvariantCulture, $"replayed {replay.Messages:#,0} messages on {destination} in {took}");
                if (replay.StoppedAtMs is not { } stoppedAt)
                    return replayed;
                if (twin.RoleOn(c.Source.Id) is ReplicaRole.Serving)
                    twin.Set(c.Source.Id, ReplicaRole.Frozen);
                return string.Create(CultureInfo.InvariantCulture,
                    $"{replayed}; cutoff: {service} stopped on {source} {Durations.Format(stoppedAt)} after the checkpoint, {replay.DrainedAfterStop:#,0} messages drained after it");
            case StepKind.SwitchTraffic:
                twin.Set(c.Destination.Id, ReplicaRole.Serving);
                if (c.Plan.Strategy == MigrationStrategy.PostCopy)
                {
                    // The frozen source stays: it serves the pages until the last one has arrived.
                    twin.ResumedAtDestination = true;
                    return $"traffic switched to {destination} in {took}: {service} resumed there; its pages follow from {source}, which must stay up until the last one arrives (from here the migration only goes forward)";
                }
                if (twin.RoleOn(c.Source.Id) is ReplicaRole.Serving or ReplicaRole.Frozen)
                    twin.Set(c.Source.Id, ReplicaRole.Retired);
                return $"traffic switched to {destination} in {took}";
            case StepKind.PageIn:
                if (twin.RoleOn(c.Source.Id) is ReplicaRole.Serving or ReplicaRole.Frozen)
                    twin.Set(c.Source.Id, ReplicaRole.Retired);
                return $"last page arrived: {bytes} of memory from {source} to {destination} in {took}{shared}; {service} no longer depends on {source}";
            case StepKind.CleanUp:
                var removed = twin.RoleOn(c.Source.Id) is ReplicaRole.Retired && twin.Remove(c.Source.Id);
                twin.ClearQueue();
                return removed
                    ? $"removed the old replica of {service} and its checkpoint images from {source} in {took}"
                    : $"nothing of {service} left to remove on {source}";
            default:
                return $"{c.Step.Label} done in {took}";
        }
    }

    /// <summary>Makes the source serve as before and removes what the migration created elsewhere. Runs under the edge's lock.</summary>
    private static string Undo(RollbackContext c, SimulatedEdge.ServiceTwin twin, bool destinationDown)
    {
        var service = c.Service.Name;
        var source = c.Source.Name;
        var done = new List<string>();
        if (twin.Fresh)
        {
            // A migration the simulator never saw (the host restarted): what the completed steps say happened.
            if (c.CompletedSteps.Any(s => s.Kind == StepKind.Checkpoint && StopsSource(c.Plan.Strategy)
                    || s.Kind == StepKind.SwitchTraffic || s.Kind == StepKind.ReplayMessages && c.Plan.CutoffMs is not null))
                done.Add($"resumed {service} on {source}");
            if (c.CompletedSteps.Any(s => s.Kind is StepKind.Restore or StepKind.SwitchTraffic or StepKind.PreDump or StepKind.Transfer))
                done.Add(Removal(c, c.Destination.Id, destinationDown));
        }
        else
        {
            switch (twin.RoleOn(c.Source.Id))
            {
                case ReplicaRole.Frozen or ReplicaRole.Retired:
                    done.Add($"resumed {service} on {source}");
                    break;
                case null:
                    done.Add($"restarted {service} on {source} from its last checkpoint");
                    break;
            }
            var elsewhere = twin.Replicas.Where(r => r.Node != c.Source.Id).Select(r => r.Node).ToList();
            foreach (var node in elsewhere)
                done.Add(Removal(c, node, destinationDown));
            if (twin.SentToDestination && !elsewhere.Contains(c.Destination.Id))
                done.Add(destinationDown
                    ? Removal(c, c.Destination.Id, destinationDown)
                    : $"deleted the checkpoint images sent to {c.Destination.Name}");
        }
        foreach (var replica in twin.Replicas.Where(r => r.Node != c.Source.Id).ToList())
            twin.Remove(replica.Node);
        twin.Set(c.Source.Id, ReplicaRole.Serving);
        twin.ClearQueue();
        twin.LastDumpBytes = null;
        twin.LastRoundMs = null;
        twin.SentToDestination = false;
        twin.ResumedAtDestination = false;
        twin.Fresh = false;
        return done.Count == 0
            ? $"{service} is serving on {source}; nothing to undo"
            : string.Join("; ", done);
    }

    private static string Removal(RollbackContext c, NodeId node, bool destinationDown)
    {
        var isDestination = node == c.Destination.Id;
        var name = isDestination ? c.Destination.Name : node.ToString();
        return isDestination && destinationDown
            ? $"{name} is down: what was created there will be removed when it comes back"
            : $"removed the replica and checkpoint images of {c.Service.Name} from {name}";
    }

    /// <summary>Pages dirtied during a round of <paramref name="roundMs"/>, capped by the whole state.</summary>
    private static double DirtyBytes(WorkloadProfile profile, double roundMs) =>
        Math.Min(profile.StateSizeBytes, profile.DirtyPagesPerSecond * PageSizeBytes * Math.Max(0, roundMs) / 1_000);

    private static double PreviousPredictedMs(StepContext c)
    {
        var index = c.Step.Index;
        return index > 0 && index <= c.Plan.Steps.Count && double.IsFinite(c.Plan.Steps[index - 1].PredictedMs)
            ? c.Plan.Steps[index - 1].PredictedMs
            : 0;
    }

    /// <summary>The plan's predictions from the (last) checkpoint up to this step, for a replay the simulator did not see start.</summary>
    private static double PredictedSinceCheckpointMs(StepContext c)
    {
        var steps = c.Plan.Steps;
        var index = Math.Min(c.Step.Index, steps.Count);
        var checkpoint = -1;
        for (var i = index - 1; i >= 0 && checkpoint < 0; i--)
            if (steps[i].Kind == StepKind.Checkpoint)
                checkpoint = i;
        var sum = 0d;
        for (var i = Math.Max(checkpoint, 0); checkpoint >= 0 && i < index; i++)
            if (double.IsFinite(steps[i].PredictedMs))
                sum += steps[i].PredictedMs;
        return sum;
    }

    private static string FaultText(StepContext c, StepStart start, double fraction, double partialMs)
    {
        var after = Durations.Format(partialMs);
        return c.Step.Kind switch
        {
            StepKind.Profile => $"profiling {c.Service.Name} on {c.Source.Name} failed: the metrics endpoint timed out after {after}",
            StepKind.PreDump => $"criu pre-dump of {c.Service.Name} on {c.Source.Name} failed after {after}: exit status 1",
            StepKind.Checkpoint => $"criu dump of {c.Service.Name} on {c.Source.Name} failed after {after}: exit status 1",
            StepKind.Transfer => $"transfer to {c.Destination.Name} aborted after {ByteSize.Format(start.Bytes * fraction)} of {ByteSize.Format(start.Bytes)}: connection reset by peer",
            StepKind.Restore => $"criu restore of {c.Service.Name} on {c.Destination.Name} failed after {after}: exit status 1",
            StepKind.ReplayMessages => string.Create(CultureInfo.InvariantCulture,
                $"replay on {c.Destination.Name} failed after {(start.Replay?.Messages ?? 0) * fraction:#,0} messages: the broker closed the consumer"),
            StepKind.SwitchTraffic => $"switching traffic to {c.Destination.Name} failed after {after}: the route update was rejected",
            StepKind.CleanUp => $"clean-up on {c.Source.Name} failed after {after}: deleting the checkpoint images timed out",
            StepKind.PageIn => SourceLostText(c, c.Service.Profile.StateSizeBytes * (1 - fraction)),
            _ => $"{c.Step.Label} failed after {after}",
        };
    }

    /// <summary>Why a post-copy that resumed at the destination has no way back, and what is left.</summary>
    internal static string PostCopyForwardOnly(RollbackContext c, bool sourceDown) => PostCopyRollback.ForwardOnly(c, sourceDown);

    /// <summary>Words for a page-in cut short: the pages still on the source are gone with it, and so is the service.</summary>
    private static string SourceLostText(StepContext c, double missingBytes) =>
        $"page-in from {c.Source.Name} broke off with {ByteSize.Format(missingBytes)} of {c.Service.Name}'s memory still there: "
        + $"{c.Service.Name} on {c.Destination.Name} cannot fault those pages in and is lost (post-copy cannot go back to a source that is gone)";

    /// <summary>Bytes of a lazy dump's images: the plan's transfer of them at its reserved bandwidth.</summary>
    private static double LazyImageBytes(StepContext c)
    {
        foreach (var step in c.Plan.Steps)
            if (step.Kind == StepKind.Transfer && double.IsFinite(step.PredictedMs))
                return step.PredictedMs * c.Plan.ReservedBandwidth.BytesPerMillisecond;
        return 0;
    }

    private static StepFailedException Refuse(StepContext context, string reason) => new(reason);

    private IReadOnlyList<EdgeNode> NodesOf(ClusterId cluster)
    {
        var nodes = new Dictionary<NodeId, EdgeNode>();
        foreach (var node in _edge.SeenNodes(cluster))
            nodes[node.Id] = node;
        if (_inventory is not null)
            foreach (var node in _inventory.Nodes())
                if (node.ClusterId == cluster)
                    nodes[node.Id] = node;
        return [.. nodes.Values.Where(n => !n.IsRetired)];
    }

    /// <summary>A lognormal factor with mean 1 and the configured coefficient of variation.</summary>
    private double NoiseFactor()
    {
        var cv = _options.NoiseCoefficientOfVariation;
        if (cv <= 0)
            return 1;
        var sigma = Math.Sqrt(Math.Log(1 + cv * cv));
        double u1, u2;
        lock (_randomGate)
        {
            u1 = 1 - _random.NextDouble();
            u2 = _random.NextDouble();
        }
        var z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Exp(sigma * z - sigma * sigma / 2);
    }

    /// <summary>Null when the step succeeds; otherwise how far into the step (0–1) the injected fault strikes.</summary>
    private double? DrawFault(StepKind kind)
    {
        var p = _options.FailureProbabilityFor(kind);
        if (p <= 0)
            return null;
        lock (_randomGate)
        {
            if (p < 1 && _random.NextDouble() >= p)
                return null;
            return _random.NextDouble();
        }
    }

    private Task WaitAsync(double simulatedMs, CancellationToken cancellationToken)
    {
        var realMs = Math.Min(simulatedMs / _options.SpeedFactor, MaxDelayMs);
        var ticks = (long)Math.Round(realMs * TimeSpan.TicksPerMillisecond);
        return ticks <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromTicks(ticks), _time, cancellationToken);
    }

    private static string Invariant(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);


    [LoggerMessage(Level = LogLevel.Information, Message = "Injected a fault into {Step} of migration {MigrationId} ({Service}): {Reason}")]
    private partial void LogInjectedFault(string step, MigrationId migrationId, string service, string reason);




    /// <summary>What a step will take (simulated ms) and carry, decided when it starts; or why it cannot run.</summary>
    private sealed record StepStart(double DurationMs, double Bytes, ReplayFigures? Replay = null, string? Refusal = null)
    {
        public static StepStart Refused(string reason) => new(0, 0, null, reason);
    }

    /// <param name="Messages">Messages the target replays.</param>
    /// <param name="StoppedAtMs">When the cutoff stopped the source, ms after the checkpoint; null when it did not trigger.</param>
    /// <param name="DrainedAfterStop">Messages replayed after the source stopped.</param>
    private sealed record ReplayFigures(double Messages, double? StoppedAtMs, double DrainedAfterStop);
}
