using System.Diagnostics;
using System.Threading.Channels;
using EdgePortal.Core.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>A migration waiting for a slot, and what it waits for.</summary>
public sealed record QueueEntry(MigrationId MigrationId, ClusterId Cluster, NodeId Source, DateTimeOffset QueuedAt, string WaitingFor,
    DateTimeOffset? NotBefore = null);

/// <summary>What a cancel request found.</summary>
public enum CancelOutcome
{
    /// <summary>It was queued and is now cancelled.</summary>
    Cancelled,
    /// <summary>It is running; it rolls back and ends Cancelled.</summary>
    RollingBack,
    /// <summary>It had already finished (or is already rolling back).</summary>
    AlreadyFinished,
    /// <summary>Another replica drives it: the cancel was sent there, where it rolls back and ends Cancelled.</summary>
    Forwarded,
    NotFound,
    /// <summary>A post-copy whose service already resumed at the destination: there is no way back, it runs on to the last page.</summary>
    OnlyForward,
}

/// <summary>
/// Executes stored migrations step by step through the runtime of the service's cluster. Every
/// transition is persisted before the next step starts and published afterwards. At most
/// <see cref="EngineOptions.MaxConcurrentPerCluster"/> migrations run per cluster and
/// <see cref="EngineOptions.MaxOutboundPerNode"/> leave one node; the rest wait in order. On start,
/// migrations that were in flight when the process stopped are resumed or rolled back, and each says which.
/// With several replicas on one store, the engine holds a lease (<see cref="IMigrationLeaseStore"/>) on every migration it
/// drives: it claims queued migrations under the limits counted across replicas, renews its leases every
/// <see cref="EngineOptions.LeaseRenewal"/>, and takes over only migrations whose lease expired (their replica died).
/// </summary>
public sealed class MigrationEngine : BackgroundService
{
    private readonly IMigrationRepository _migrations;
    private readonly IMigrationLeaseStore _leases;
    private readonly IInventoryRepository _inventory;
    private readonly IReadOnlyDictionary<ClusterKind, IEdgeRuntime> _runtimes;
    private readonly IMigrationEventPublisher _publisher;
    private readonly MigrationMetrics _metrics;
    private readonly IOptionsMonitor<EngineOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<MigrationEngine> _logger;

    private readonly Lock _gate = new();
    private readonly List<QueueEntry> _queue = [];
    private readonly Dictionary<MigrationId, RunningMigration> _running = [];
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopping;

    public MigrationEngine(IMigrationRepository migrations, IMigrationLeaseStore leases, IInventoryRepository inventory, IEnumerable<IEdgeRuntime> runtimes,
        IMigrationEventPublisher publisher, MigrationMetrics metrics, IOptionsMonitor<EngineOptions> options, TimeProvider clock,
        ILogger<MigrationEngine> logger, IMigrationCancelForwarder? cancels = null)
    {
        _cancels = cancels;
        _migrations = migrations;
        _leases = leases;
        _inventory = inventory;
        _runtimes = runtimes.ToDictionary(r => r.Kind);
        _publisher = publisher;
        _metrics = metrics;
        _options = options;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>This engine's name on its leases: unique per engine instance, and says which host and process holds them.</summary>
    private readonly IMigrationCancelForwarder? _cancels;

    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Completes once migrations left in flight by the previous run have been resumed, rolled back or re-queued.</summary>
    public Task Recovered => _recovered.Task;

    /// <summary>The waiting line of migrations submitted to this engine, oldest first, each with what it waits for.</summary>
    public IReadOnlyList<QueueEntry> Queue
    {
        get { lock (_gate) return [.. _queue]; }
    }

    /// <summary>Migrations this process is executing now.</summary>
    public IReadOnlyCollection<MigrationId> Running
    {
        get { lock (_gate) return [.. _running.Keys]; }
    }

    /// <summary>Whether a runtime is registered for clusters of this kind.</summary>
    public bool CanDrive(ClusterKind kind) => _runtimes.ContainsKey(kind);

    /// <summary>The runtime for a cluster kind, for probes.</summary>
    public IEdgeRuntime? RuntimeFor(ClusterKind kind) => _runtimes.GetValueOrDefault(kind);

    /// <summary>Accepts a stored, queued migration for execution.</summary>
    public void Submit(Migration migration)
    {
        if (migration.State != MigrationState.Queued)
            throw new InvalidMigrationTransitionException($"Only a queued migration can be submitted; {migration.Id} is {migration.State}.");
        lock (_gate)
            Enqueue(migration);
        Wake();
    }

    /// <summary>Adds a migration to the waiting line once: a submit racing the start-up recovery must not run it twice.</summary>
    private bool Enqueue(Migration migration)
    {
        if (_running.ContainsKey(migration.Id) || _queue.Exists(q => q.MigrationId == migration.Id))
            return false;
        // A plan on the link reservation ledger holds its bandwidth from its predicted start: started sooner, it would share
        // the links with the reservations it was planned to follow and slow them (and itself) below their predictions.
        // (A wait for a slot is not held: the slot is the engine's own to give as soon as it frees.)
        DateTimeOffset? notBefore = _options.CurrentValue is { LinkReservations: true, HoldUntilPredictedStart: true } && migration.Plan is { Capacity: CapacityChoice.Wait, PredictedStartMs: > 0 }
            ? migration.CreatedAt.AddMilliseconds(migration.Plan.PredictedStartMs) : null;
        _queue.Add(new QueueEntry(migration.Id, migration.ClusterId, migration.Source, migration.CreatedAt,
            notBefore is null ? "a free slot" : "its predicted start", notBefore));
        return true;
    }

    /// <summary>
    /// Whether the migration can no longer go back: a post-copy whose traffic switched to the destination, where the service has run
    /// since; its memory is still arriving from the source, and only finishing the page-in saves it.
    /// </summary>
    public static bool PastPointOfNoReturn(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return migration.Strategy == MigrationStrategy.PostCopy
            && migration.Steps.Any(s => s.Kind == StepKind.SwitchTraffic && s.Status == StepStatus.Succeeded);
    }

    /// <summary>Stops a migration: a queued one at once, a running one by rolling it back (not a post-copy past its switch: <see cref="CancelOutcome.OnlyForward"/>).</summary>
    public CancelOutcome Cancel(MigrationId id, string reason)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(id, out var running))
            {
                if (running.CancelReason is not null)
                    return CancelOutcome.AlreadyFinished;
                if (_migrations.Find(id) is { } current && PastPointOfNoReturn(current))
                    return CancelOutcome.OnlyForward;
                running.CancelReason = reason;
                running.Cancellation.Cancel();
                return CancelOutcome.RollingBack;
            }
            _queue.RemoveAll(q => q.MigrationId == id);
        }
        var migration = _migrations.Find(id);
        if (migration is null)
            return CancelOutcome.NotFound;
        // Running on another replica: only the holder of its lease can roll it back, so the cancel goes there.
        if (migration.State == MigrationState.Running && PastPointOfNoReturn(migration))
            return CancelOutcome.OnlyForward;
        if (migration.State == MigrationState.Running && _cancels is not null
            && _leases.Active(_clock.GetUtcNow()).FirstOrDefault(l => l.MigrationId == id) is { } lease && lease.Owner != Owner
            && _cancels.Forward(id, lease.Owner, reason))
            return CancelOutcome.Forwarded;
        if (migration.State != MigrationState.Queued)
            return CancelOutcome.AlreadyFinished;
        migration.Cancel(reason, _clock.GetUtcNow());
        Commit(migration);
        _metrics.Finished(migration);
        Wake();
        return CancelOutcome.Cancelled;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            Recover();
        }
        finally
        {
            _recovered.TrySetResult();
        }
        var leases = Task.Run(() => KeepLeasesAsync(stoppingToken), CancellationToken.None);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var held = Dispatch();
                if (held is { } until && until - _clock.GetUtcNow() is { } wait && wait > TimeSpan.Zero)
                {
                    // Also wake when the first migration held for its predicted start may go. The clock may pass that
                    // start between reading it and arming the timer, which then counts from the later time: look again
                    // once the timer is armed, so a start already due is dispatched now rather than a full wait late.
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    var woken = _wake.Reader.WaitToReadAsync(timer.Token).AsTask();
                    var due = Task.Delay(wait, _clock, timer.Token);
                    if (_clock.GetUtcNow() < until)
                        await Task.WhenAny(woken, due).ConfigureAwait(false);
                    await timer.CancelAsync().ConfigureAwait(false);
                    stoppingToken.ThrowIfCancellationRequested();
                    _wake.Reader.TryRead(out _);
                }
                else if (held is null)
                    await _wake.Reader.ReadAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        Task[] inFlight;
        lock (_gate)
            inFlight = [.. _running.Values.Select(r => r.Execution)];
        // Running migrations observe the stopping token and stay in flight in the database, their leases released: the
        // next start (or another replica, at once) resumes or rolls them back, exactly as after a crash, so there is one
        // recovery path, not two.
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        await leases.ConfigureAwait(false);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// Every <see cref="EngineOptions.LeaseRenewal"/>: renews the leases of what this engine drives, takes over migrations
    /// whose replica died, and wakes the dispatcher so it claims what other replicas queued. The rounds keep to a fixed
    /// rhythm from the first: a round that starts late (a busy host, a GC pause) does not push the next ones later, so
    /// the delays cannot add up to a lease that expires under a live replica.
    /// </summary>
    private async Task KeepLeasesAsync(CancellationToken stoppingToken)
    {
        var due = _clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var period = _options.CurrentValue.LeaseRenewal;
            due += period;
            var wait = due - _clock.GetUtcNow();
            if (wait < -period)
                due = _clock.GetUtcNow(); // more than a round behind: start the rhythm again from now
            try
            {
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, _clock, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                RenewLeases();
                TakeOverAbandoned();
                ForgetQueuedElsewhere();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Renewing the migration leases of {Owner} failed; retrying in {Period}", Owner, _options.CurrentValue.LeaseRenewal);
            }
            Wake();
        }
    }

    /// <summary>A lease that could not be renewed was claimed by another replica: stop driving it here, without rolling back.</summary>
    private void RenewLeases()
    {
        var duration = _options.CurrentValue.LeaseDuration;
        RunningMigration[] held;
        lock (_gate)
            held = [.. _running.Values.Where(r => r.Lease is not null && !r.LeaseLost)];
        foreach (var running in held)
        {
            var renewed = _leases.Renew(running.Lease!, _clock.GetUtcNow(), duration);
            lock (_gate)
            {
                if (!_running.TryGetValue(running.Id, out var current) || current != running)
                    continue;
                if (renewed is not null)
                {
                    running.Lease = renewed;
                    continue;
                }
                running.LoseLease();
            }
            _logger.LogWarning("{Owner} lost its lease on migration {MigrationId} to another replica; it stops driving it here", Owner, running.Id);
        }
    }

    /// <summary>Drops from the local waiting line the migrations that are no longer queued (another replica ran or cancelled them).</summary>
    private void ForgetQueuedElsewhere()
    {
        QueueEntry[] waiting;
        lock (_gate)
            waiting = [.. _queue];
        var gone = waiting.Where(q => _migrations.Find(q.MigrationId) is not { State: MigrationState.Queued }).Select(q => q.MigrationId).ToHashSet();
        if (gone.Count == 0)
            return;
        lock (_gate)
            _queue.RemoveAll(q => gone.Contains(q.MigrationId));
    }

    /// <summary>
    /// Claims the queued migrations that fit the limits counted over every replica's leases, oldest first, starts them,
    /// and tells the rest of the local waiting line what they wait for: those submitted here at once, another replica's
    /// once they have waited <see cref="EngineOptions.HandOffDelay"/> (that replica is busy or gone).
    /// </summary>
    /// <returns>When the first migration held for its predicted start may go; null when none is held.</returns>
    private DateTimeOffset? Dispatch()
    {
        var options = _options.CurrentValue;
        var now = _clock.GetUtcNow();
        HashSet<MigrationId> own;
        HashSet<MigrationId> held;
        DateTimeOffset? firstRelease = null;
        lock (_gate)
        {
            own = [.. _queue.Select(q => q.MigrationId)];
            held = [.. _queue.Where(q => q.NotBefore > now).Select(q => q.MigrationId)];
            foreach (var entry in _queue)
                if (entry.NotBefore is { } at && at > now && (firstRelease is null || at < firstRelease))
                    firstRelease = at;
        }
        var claimed = _leases.ClaimQueued(Owner, now, options.LeaseDuration,
            new ClaimLimits(options.MaxConcurrentPerCluster, options.MaxOutboundPerNode), int.MaxValue,
            new ClaimScope(own, now - options.HandOffDelay) { Held = held });
        foreach (var lease in claimed)
        {
            var migration = _migrations.Find(lease.MigrationId);
            bool started;
            lock (_gate)
            {
                _queue.RemoveAll(q => q.MigrationId == lease.MigrationId);
                started = migration is { State: MigrationState.Queued } && !_running.ContainsKey(lease.MigrationId);
                if (started)
                    StartLeased(migration!, lease);
            }
            if (!started)
                _leases.Release(lease);
        }
        lock (_gate)
        {
            for (var i = 0; i < _queue.Count; i++)
            {
                var entry = _queue[i];
                var inCluster = _running.Values.Count(r => r.Cluster == entry.Cluster);
                var fromNode = _running.Values.Count(r => r.Source == entry.Source);
                var waitingFor = entry.NotBefore > now ? $"its predicted start ({(entry.NotBefore.Value - now).TotalSeconds:0.#} s, bandwidth reserved by others until then)"
                    : inCluster >= options.MaxConcurrentPerCluster
                    ? $"a slot in the cluster ({inCluster} of {options.MaxConcurrentPerCluster} running)"
                    : fromNode >= options.MaxOutboundPerNode
                        ? $"a slot on the source node ({fromNode} of {options.MaxOutboundPerNode} outbound)"
                        : "a slot held by another replica";
                _queue[i] = entry with { WaitingFor = waitingFor };
            }
            _metrics.SetQueue(_queue.Count, _running.Count);
        }
        return firstRelease;
    }

    /// <summary>Runs a migration this engine holds the lease of. Call under <see cref="_gate"/>.</summary>
    private void StartLeased(Migration migration, MigrationLease lease)
    {
        var options = _options.CurrentValue;
        // The deadline runs on the injected clock, so tests (and the simulator's fast clock) control it.
        var deadline = new CancellationTokenSource(options.CompletionTimeout, _clock);
        var running = new RunningMigration(migration.Id, migration.ClusterId, migration.Source,
            CancellationTokenSource.CreateLinkedTokenSource(_stopping, deadline.Token), deadline) { Lease = lease };
        _running[migration.Id] = running;
        running.Execution = Task.Run(() => RunAsync(running));
    }

    private async Task RunAsync(RunningMigration running)
    {
        try
        {
            var migration = _migrations.Find(running.Id);
            if (migration is null)
            {
                _logger.LogWarning("Migration {MigrationId} vanished from the database before it started", running.Id);
                return;
            }
            using var scope = _logger.BeginScope(new Dictionary<string, object>
            {
                ["TenantId"] = migration.TenantId,
                ["ClusterId"] = migration.ClusterId,
                ["MigrationId"] = migration.Id,
            });
            await ExecuteAsync(migration, running).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Migration {MigrationId} stopped on an unexpected error", running.Id);
        }
        finally
        {
            Finish(running);
        }
    }

    /// <summary>Forgets a migration this engine stopped driving and gives its lease up (unless another replica has it now).</summary>
    private void Finish(RunningMigration running)
    {
        lock (_gate)
            _running.Remove(running.Id);
        try
        {
            if (running.Lease is { } lease && !running.LeaseLost)
                _leases.Release(lease);
        }
        catch (Exception e)
        {
            // The lease expires by itself; another replica then finds the migration finished and leaves it.
            _logger.LogWarning(e, "Releasing the lease on migration {MigrationId} failed", running.Id);
        }
        running.Dispose();
        Wake();
    }

    private async Task ExecuteAsync(Migration migration, RunningMigration running)
    {
        using var trace = MigrationTracing.Execute(migration);
        if (!TryResolve(migration, out var world, out var problem) && migration.State == MigrationState.Running)
        {
            // A resumed migration whose world went away since: nothing can undo it through a runtime.
            migration.Abort(problem, _clock.GetUtcNow());
            migration.FailRollback(problem, _clock.GetUtcNow());
            Commit(migration);
            _metrics.Finished(migration);
            return;
        }
        if (world is null)
        {
            migration.Start(_clock.GetUtcNow());
            var first = migration.NextStep!;
            migration.BeginStep(first.Index, _clock.GetUtcNow());
            migration.FailStep(first.Index, problem, 0, _clock.GetUtcNow());
            migration.CompleteRollback("Nothing had been done; the service keeps running where it was.", _clock.GetUtcNow());
            Commit(migration);
            _metrics.Finished(migration);
            return;
        }

        var token = running.Cancellation.Token;
        if (migration.State == MigrationState.Queued)
        {
            migration.Start(_clock.GetUtcNow());
            Commit(migration);
            _logger.LogInformation("Migration of {Service} from {Source} to {Destination} started ({Strategy})",
                migration.ServiceName, world.Source.Name, world.Destination.Name, migration.Strategy);
        }

        while (migration.State == MigrationState.Running && migration.NextStep is { } step)
        {
            if (token.IsCancellationRequested)
            {
                if (Interrupt(migration, running, step))
                    return;
                break;
            }
            migration.BeginStep(step.Index, _clock.GetUtcNow());
            Commit(migration);
            var policy = world.Runtime.RetryPolicy(migration.Strategy, step.Kind);
            while (true)
            {
                var started = _clock.GetTimestamp();
                _metrics.StepStarted();
                using var span = trace.Step(migration.Steps[step.Index]);
                StepOutcome outcome;
                try
                {
                    outcome = await world.Runtime.ExecuteAsync(world.ContextFor(migration, migration.Steps[step.Index]), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    _metrics.StepEnded();
                    if (Interrupt(migration, running, step))
                        return;
                    break;
                }
                catch (Exception e)
                {
                    outcome = new StepOutcome.Failure($"{e.GetType().Name}: {e.Message}");
                }
                _metrics.StepEnded();
                var measured = _clock.GetElapsedTime(started).TotalMilliseconds;
                ExecutionTrace.StepEnded(span, outcome, measured);
                if (outcome is StepOutcome.Failure { RetryAfter: var hint } retry
                    && policy.DelayAfter(migration.Steps[step.Index].Attempts, hint) is { } delay)
                {
                    migration.RetryStep(step.Index, retry.Reason, delay, _clock.GetUtcNow());
                    Commit(migration);
                    _logger.LogWarning("Step {Step} of migration {MigrationId} failed ({Reason}); attempt {Attempt} of {MaxAttempts} in {Delay}",
                        step.Label, migration.Id, retry.Reason, migration.Steps[step.Index].Attempts, policy.MaxAttempts, delay);
                    try
                    {
                        await Task.Delay(delay, _clock, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        if (Interrupt(migration, running, step))
                            return;
                        break;
                    }
                    continue;
                }
                switch (outcome)
                {
                    case StepOutcome.Success success:
                        migration.CompleteStep(step.Index, success.DurationMs ?? measured, success.Message, _clock.GetUtcNow(), success.Artifacts, success.FrozenMs);
                        break;
                    case StepOutcome.Failure failure:
                        migration.FailStep(step.Index, failure.Reason, measured, _clock.GetUtcNow());
                        _logger.LogWarning("Step {Step} of migration {MigrationId} failed: {Reason}", step.Label, migration.Id, failure.Reason);
                        break;
                }
                Commit(migration);
                break;
            }
        }

        if (migration.State == MigrationState.Running)
            Complete(migration, world);
        else if (migration.State == MigrationState.RollingBack)
            await RollBackAsync(migration, world, running).ConfigureAwait(false);
    }

    /// <summary>
    /// The migration's token fired: the operator cancelled, the deadline passed, or the host is stopping.
    /// Returns true when the migration must be left as it is (stopping: the next start rolls it back).
    /// </summary>
    private bool Interrupt(Migration migration, RunningMigration running, MigrationStep step)
    {
        if (running.LeaseLost)
        {
            _logger.LogWarning("Migration {MigrationId} is driven by another replica now; {Owner} leaves it during step {Step}", migration.Id, Owner, step.Label);
            return true;
        }
        if (_stopping.IsCancellationRequested)
        {
            _logger.LogWarning("EdgePortal is stopping during step {Step} of migration {MigrationId}; the next start rolls it back", step.Label, migration.Id);
            return true;
        }
        if (running.CancelReason is { } reason)
            migration.Cancel(reason, _clock.GetUtcNow());
        else
            migration.Abort($"The migration did not finish within {_options.CurrentValue.CompletionTimeout:g} and was aborted during {step.Label}.", _clock.GetUtcNow());
        Commit(migration);
        return false;
    }

    /// <summary>The service moves first, then the migration completes: a crash between the two is completed again on restart.</summary>
    private void Complete(Migration migration, MigrationWorld world)
    {
        var service = _inventory.FindService(migration.ServiceId) ?? world.Service;
        if (service.NodeId != migration.Destination)
            _inventory.Save(service.MovedTo(migration.Destination));
        migration.Complete(_clock.GetUtcNow());
        Commit(migration);
        _metrics.Finished(migration);
        _logger.LogInformation("Migration of {Service} to {Destination} completed: downtime {Downtime:0} ms (predicted {Predicted:0} ms)",
            migration.ServiceName, world.Destination.Name, migration.MeasuredDowntimeMs, migration.Plan.PredictedDowntimeMs);
    }

    private async Task RollBackAsync(Migration migration, MigrationWorld world, RunningMigration running)
    {
        using var timeout = new CancellationTokenSource(_options.CurrentValue.RollbackTimeout, _clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, running.LeaseLostToken);
        using var span = MigrationTracing.Rollback(migration);
        StepOutcome outcome;
        try
        {
            var done = migration.Steps.Where(s => s.Status == StepStatus.Succeeded).ToList();
            outcome = await world.Runtime.RollbackAsync(new RollbackContext(migration.Id, world.Service, world.Cluster, world.Source,
                world.Destination, migration.Plan, done, migration.FailureReason ?? "rollback", world.DestinationCluster), stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (running.LeaseLost)
        {
            _logger.LogWarning("Migration {MigrationId} is driven by another replica now; {Owner} leaves its rollback to it", migration.Id, Owner);
            return;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            outcome = new StepOutcome.Failure($"the rollback did not finish within {_options.CurrentValue.RollbackTimeout:g}");
        }
        catch (Exception e)
        {
            outcome = new StepOutcome.Failure($"{e.GetType().Name}: {e.Message}");
        }
        switch (outcome)
        {
            case StepOutcome.Success success:
                migration.CompleteRollback(success.Message ?? $"Rolled back: {migration.ServiceName} serves from {world.Source.Name}.", _clock.GetUtcNow());
                break;
            case StepOutcome.Failure failure:
                migration.FailRollback(failure.Reason, _clock.GetUtcNow());
                _logger.LogError("Rollback of migration {MigrationId} failed: {Reason}. {Service} needs an operator.", migration.Id, failure.Reason, migration.ServiceName);
                break;
        }
        Commit(migration);
        _metrics.Finished(migration);
    }

    /// <summary>
    /// Picks up what the previous run left: queued migrations go back into the waiting line (the dispatcher claims them in
    /// creation order); in-flight ones are taken over like those of a dead replica (<see cref="TakeOverAbandoned"/>).
    /// </summary>
    private void Recover()
    {
        foreach (var migration in _migrations.Unfinished().Where(m => m.State == MigrationState.Queued))
        {
            bool requeued;
            lock (_gate)
                requeued = Enqueue(migration);
            if (requeued)
                _logger.LogInformation("Recovered migration {MigrationId} of {Service}: still queued", migration.Id, migration.ServiceName);
        }
        TakeOverAbandoned();
    }

    /// <summary>
    /// Claims the in-flight migrations whose lease expired or that never had one (their replica, or this process's previous
    /// life, stopped) and finishes them: running ones whose steps all succeeded are completed, the others resumed or rolled
    /// back; rollbacks are finished. A migration another live replica drives keeps its lease and is never touched.
    /// </summary>
    private void TakeOverAbandoned()
    {
        var options = _options.CurrentValue;
        foreach (var lease in _leases.ClaimAbandoned(Owner, _clock.GetUtcNow(), options.LeaseDuration, int.MaxValue))
        {
            lock (_gate)
            {
                if (_running.TryGetValue(lease.MigrationId, out var mine))
                {
                    // This engine's own lease lapsed (a stalled renewal) and it claimed the migration back: it goes on driving it.
                    mine.Lease = lease;
                    continue;
                }
            }
            var migration = _migrations.Find(lease.MigrationId);
            switch (migration?.State)
            {
                case MigrationState.Running when migration.NextStep is null && TryResolve(migration, out var world, out _):
                    Complete(migration, world);
                    _leases.Release(lease);
                    _logger.LogInformation("Recovered migration {MigrationId} of {Service}: every step had succeeded, completed it", migration.Id, migration.ServiceName);
                    break;
                case MigrationState.Running:
                    RecoverRunning(migration, lease);
                    break;
                case MigrationState.RollingBack:
                    StartRecoveryRollback(migration, lease);
                    _logger.LogWarning("Recovered migration {MigrationId} of {Service}: it was rolling back, finishing the rollback", migration.Id, migration.ServiceName);
                    break;
                default:
                    _leases.Release(lease);
                    break;
            }
        }
    }

    /// <summary>
    /// Resume or roll back a migration whose process stopped while it ran (this process's previous life, or a replica
    /// whose lease expired). Between two steps it resumes: the next step has not touched the edge, and what the earlier
    /// ones did is stored with them. Inside a step it resumes only when the runtime says that step is safe to repeat
    /// (<see cref="IEdgeRuntime.SafeToRepeat"/>); otherwise it rolls back from the stored artifacts.
    /// docs/architecture.md has the table per step and runtime.
    /// </summary>
    private void RecoverRunning(Migration migration, MigrationLease lease)
    {
        var inStep = migration.Steps.FirstOrDefault(s => s.Status == StepStatus.Running);
        var where = inStep?.Label ?? (migration.LastCompletedStep is { } last ? $"after {last.Label}" : "before its first step");
        var resolved = TryResolve(migration, out var world, out _);
        var resumable = resolved && (inStep is null || world.Runtime.SafeToRepeat(migration.Strategy, inStep.Kind));
        if (resumable)
        {
            migration.Resume(inStep is null
                ? $"EdgePortal stopped {where}; resumed on restart from {migration.NextStep?.Label ?? "the end"}."
                : $"EdgePortal stopped during {where}; it is safe to repeat, so the migration resumed from it on restart.", _clock.GetUtcNow());
            Commit(migration);
            lock (_gate)
                StartLeased(migration, lease);
            _logger.LogWarning("Recovered migration {MigrationId} of {Service}: it was running ({Step}), resuming it", migration.Id, migration.ServiceName, where);
            return;
        }
        migration.Abort($"EdgePortal stopped during {where}; the migration was rolled back on restart.", _clock.GetUtcNow());
        Commit(migration);
        StartRecoveryRollback(migration, lease);
        _logger.LogWarning("Recovered migration {MigrationId} of {Service}: it was running ({Step}), rolling it back", migration.Id, migration.ServiceName, where);
    }

    private void StartRecoveryRollback(Migration migration, MigrationLease lease)
    {
        var running = new RunningMigration(migration.Id, migration.ClusterId, migration.Source, CancellationTokenSource.CreateLinkedTokenSource(_stopping), null)
        {
            Lease = lease,
        };
        lock (_gate)
        {
            _running[migration.Id] = running;
            running.Execution = Task.Run(async () =>
            {
                try
                {
                    if (TryResolve(migration, out var world, out var problem))
                        await RollBackAsync(migration, world, running).ConfigureAwait(false);
                    else
                    {
                        migration.FailRollback(problem, _clock.GetUtcNow());
                        Commit(migration);
                        _metrics.Finished(migration);
                    }
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Recovery of migration {MigrationId} failed", migration.Id);
                }
                finally
                {
                    Finish(running);
                }
            });
        }
    }

    private void Commit(Migration migration)
    {
        _migrations.Save(migration);
        _publisher.Publish(migration.DequeueEvents());
    }

    private bool TryResolve(Migration migration, out MigrationWorld world, out string problem)
    {
        world = null!;
        var topology = _inventory.Topology();
        var service = topology.Services.FirstOrDefault(s => s.Id == migration.ServiceId);
        if (service is null)
        {
            problem = $"Service {migration.ServiceName} no longer exists.";
            return false;
        }
        if (!topology.Contains(migration.Source) || !topology.Contains(migration.Destination))
        {
            problem = "The source or destination node no longer exists.";
            return false;
        }
        var cluster = topology.Cluster(topology.Node(migration.Source).ClusterId);
        if (!_runtimes.TryGetValue(cluster.Kind, out var runtime))
        {
            problem = $"No runtime drives {cluster.Kind} clusters in this EdgePortal (cluster {cluster.Name}).";
            return false;
        }
        var destinationCluster = topology.Cluster(topology.Node(migration.Destination).ClusterId);
        if (destinationCluster.Kind != cluster.Kind)
        {
            // One runtime runs every step: a checkpoint of one kind is restored by nothing of another.
            problem = $"The destination's cluster {destinationCluster.Name} is a {destinationCluster.Kind} cluster and the source's {cluster.Name} a {cluster.Kind} cluster: nothing migrates across runtime kinds.";
            return false;
        }
        world = new MigrationWorld(runtime, service, cluster, topology.Node(migration.Source), topology.Node(migration.Destination),
            topology.PathBandwidth(migration.Source, migration.Destination), topology.PathLinks(migration.Source, migration.Destination),
            destinationCluster.Id == cluster.Id ? null : destinationCluster);
        problem = "";
        return true;
    }

    private sealed record MigrationWorld(IEdgeRuntime Runtime, ServiceInstance Service, EdgeCluster Cluster, EdgeNode Source,
        EdgeNode Destination, Bandwidth PathBandwidth, IReadOnlyList<NetworkLink> PathLinks, EdgeCluster? DestinationCluster)
    {
        public StepContext ContextFor(Migration migration, MigrationStep step)
            => new(migration.Id, Service, Cluster, Source, Destination, migration.Plan, step, PathBandwidth, migration.Artifacts, PathLinks, DestinationCluster);
    }

    private sealed class RunningMigration(MigrationId id, ClusterId cluster, NodeId source, CancellationTokenSource cancellation,
        CancellationTokenSource? deadline) : IDisposable
    {
        public MigrationId Id { get; } = id;
        public ClusterId Cluster { get; } = cluster;
        public NodeId Source { get; } = source;
        /// <summary>Fires on operator cancel, on the deadline, or when the host stops.</summary>
        public CancellationTokenSource Cancellation { get; } = cancellation;
        public Task Execution { get; set; } = Task.CompletedTask;
        public string? CancelReason { get; set; }
        private readonly CancellationTokenSource _leaseLost = new();
        private volatile MigrationLease? _lease;

        /// <summary>This engine's claim on the migration, renewed while it drives it.</summary>
        public MigrationLease? Lease { get => _lease; set => _lease = value; }

        /// <summary>Another replica claimed the migration after a lease this engine could not renew.</summary>
        public bool LeaseLost => _leaseLost.IsCancellationRequested;

        /// <summary>Fires when the lease is lost: the migration is left as it is, for its new holder.</summary>
        public CancellationToken LeaseLostToken => _leaseLost.Token;

        /// <summary>Stops driving the migration without rolling it back. Call under the engine's gate, before <see cref="Dispose"/>.</summary>
        public void LoseLease()
        {
            _leaseLost.Cancel();
            Cancellation.Cancel();
        }

        public void Dispose()
        {
            Cancellation.Dispose();
            _leaseLost.Dispose();
            deadline?.Dispose();
        }
    }
}
