using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

public enum MigrationState
{
    /// <summary>Accepted and waiting for a concurrency slot or a window.</summary>
    Queued,
    Running,
    /// <summary>A step failed, the operator cancelled, or the deadline passed: the source is being made to serve again.</summary>
    RollingBack,
    Completed,
    /// <summary>Failed mid-way and rolled back: the source serves, as before.</summary>
    RolledBack,
    /// <summary>Cancelled by an operator, and rolled back where it had started.</summary>
    Cancelled,
    /// <summary>The rollback itself failed: the service needs an operator.</summary>
    Failed,
}

public enum StepStatus
{
    Pending,
    Running,
    Succeeded,
    Failed,
    /// <summary>Not run because the migration rolled back before reaching it.</summary>
    Skipped,
}

public enum MigrationTrigger
{
    Operator,
    Api,
    Schedule,
    KpiMonitor,
    Drain,
}

/// <summary>
/// One step of a migration as it ran: the plan's prediction beside what was measured, what the step left for later
/// steps and a rollback (<see cref="Artifacts"/>), and the attempts that failed with a retry before the last one.
/// </summary>
public sealed record MigrationStep(
    int Index,
    StepKind Kind,
    int Round,
    bool IsDowntime,
    double PredictedMs,
    StepStatus Status,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    double? MeasuredMs,
    string? Message,
    StepArtifacts? Artifacts = null,
    int Attempts = 0,
    IReadOnlyList<StepAttempt>? Retries = null,
    double? FrozenMs = null)
{
    public string Label => new PlannedStep(Kind, Round, PredictedMs, IsDowntime).Label;

    /// <summary>
    /// What of this step the service's clients went without: <see cref="FrozenMs"/> when the runtime measured the frozen
    /// interval within the step (a live dump: CRIU froze the source for part of it, and it served the rest), else the whole
    /// step if it is a downtime step; 0 otherwise.
    /// </summary>
    public double DowntimeMs => FrozenMs ?? (IsDowntime ? MeasuredMs ?? 0 : 0);
}

/// <summary>An attempt of a step that failed and was retried: when, why, and how long the runtime asked to wait.</summary>
public sealed record StepAttempt(int Attempt, DateTimeOffset At, string Error, double RetryAfterMs);

/// <summary>
/// The migration aggregate. Its state changes only through the guarded methods below, each of which
/// checks the transition, records it and raises a <see cref="MigrationEvent"/>; an illegal transition
/// throws <see cref="InvalidMigrationTransitionException"/> naming the state it found.
/// </summary>
public sealed class Migration
{
    private readonly List<MigrationStep> _steps;
    private readonly List<MigrationEvent> _pending = [];

    [JsonConstructor]
    internal Migration(MigrationId id, TenantId tenantId, ServiceId serviceId, ClusterId clusterId, string serviceName,
        MigrationPlan plan, KpiTargets targets, Objective objective, MigrationTrigger trigger, string requestedBy,
        MigrationState state, IReadOnlyList<MigrationStep> steps, DateTimeOffset createdAt, DateTimeOffset? startedAt,
        DateTimeOffset? finishedAt, string? failureReason, int? failedStep, bool cancelRequested, long version,
        IReadOnlyList<LinkReservation>? reservations = null, BatchId? batchId = null)
    {
        Reservations = reservations ?? [];
        BatchId = batchId;
        Id = id;
        TenantId = tenantId;
        ServiceId = serviceId;
        ClusterId = clusterId;
        ServiceName = serviceName;
        Plan = plan;
        Targets = targets;
        Objective = objective;
        Trigger = trigger;
        RequestedBy = requestedBy;
        State = state;
        _steps = [.. steps];
        CreatedAt = createdAt;
        StartedAt = startedAt;
        FinishedAt = finishedAt;
        FailureReason = failureReason;
        FailedStep = failedStep;
        CancelRequested = cancelRequested;
        Version = version;
    }

    public MigrationId Id { get; }
    public TenantId TenantId { get; }
    public ServiceId ServiceId { get; }
    public ClusterId ClusterId { get; }
    public string ServiceName { get; }
    public MigrationPlan Plan { get; }
    public KpiTargets Targets { get; }
    public Objective Objective { get; }
    public MigrationTrigger Trigger { get; }
    public string RequestedBy { get; }
    public MigrationState State { get; private set; }
    public IReadOnlyList<MigrationStep> Steps => _steps;
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset? StartedAt { get; private set; }
    public DateTimeOffset? FinishedAt { get; private set; }
    public string? FailureReason { get; private set; }
    public int? FailedStep { get; private set; }
    public bool CancelRequested { get; private set; }
    /// <summary>The bandwidth it holds on each link of its path while it is not terminal (<see cref="HoldsReservations"/>); kept in history.</summary>
    public IReadOnlyList<LinkReservation> Reservations { get; }
    /// <summary>The batch it was planned with (<see cref="Domain.BatchId"/>), or null when it was requested alone.</summary>
    public BatchId? BatchId { get; }
    /// <summary>Incremented by every transition; the sequence number of the last event raised.</summary>
    public long Version { get; private set; }

    [JsonIgnore] public NodeId Source => Plan.Source;
    [JsonIgnore] public NodeId Destination => Plan.Destination;
    [JsonIgnore] public MigrationStrategy Strategy => Plan.Strategy;

    [JsonIgnore]
    public bool IsTerminal => State is MigrationState.Completed or MigrationState.RolledBack or MigrationState.Cancelled or MigrationState.Failed;

    /// <summary>Whether its <see cref="Reservations"/> count in the links' ledger: from acceptance until it ends, whichever way.</summary>
    [JsonIgnore]
    public bool HoldsReservations => !IsTerminal;

    [JsonIgnore]
    public bool IsInFlight => State is MigrationState.Running or MigrationState.RollingBack;

    /// <summary>Measured downtime: the sum of the measured downtime steps (what the service's users went without).</summary>
    [JsonIgnore]
    public double? MeasuredDowntimeMs => State == MigrationState.Completed
        ? _steps.Sum(s => s.DowntimeMs) : null;

    /// <summary>Measured total migration time, wall clock from the first step to the last.</summary>
    [JsonIgnore]
    public double? MeasuredMigrationTimeMs => State == MigrationState.Completed && StartedAt is { } s && FinishedAt is { } f
        ? (f - s).TotalMilliseconds : null;

    /// <summary>Fraction of the steps finished, 0..1.</summary>
    [JsonIgnore]
    public double Progress => _steps.Count == 0 ? 0 : (double)_steps.Count(s => s.Status == StepStatus.Succeeded) / _steps.Count;

    /// <summary>What the succeeded steps left, later steps over earlier ones.</summary>
    [JsonIgnore]
    public StepArtifacts Artifacts => StepArtifacts.Of(_steps);

    /// <summary>The last step that succeeded, or null.</summary>
    [JsonIgnore]
    public MigrationStep? LastCompletedStep => _steps.LastOrDefault(s => s.Status == StepStatus.Succeeded);

    /// <summary>The next step to run while Running, or null when all have succeeded.</summary>
    [JsonIgnore]
    public MigrationStep? NextStep => _steps.FirstOrDefault(s => s.Status is StepStatus.Pending or StepStatus.Running);

    public static Migration Create(ServiceInstance service, ClusterId clusterId, MigrationPlan plan, KpiTargets targets,
        Objective objective, MigrationTrigger trigger, string requestedBy, DateTimeOffset now, IReadOnlyList<LinkReservation>? reservations = null,
        BatchId? batchId = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Source != service.NodeId)
            throw new ArgumentException($"The plan starts on node {plan.Source}, but {service.Name} runs on {service.NodeId}.", nameof(plan));
        if (plan.Source == plan.Destination)
            throw new ArgumentException("A migration needs a destination other than its source.", nameof(plan));
        if (plan.Steps.Count == 0)
            throw new ArgumentException("A plan without steps cannot be executed.", nameof(plan));

        var steps = plan.Steps.Select((p, i) => new MigrationStep(i, p.Kind, p.Round, p.IsDowntime, p.PredictedMs,
            StepStatus.Pending, null, null, null, null)).ToList();
        var migration = new Migration(MigrationId.New(), service.TenantId, service.Id, clusterId, service.Name, plan, targets,
            objective, trigger, Guard.Name(requestedBy, nameof(requestedBy)), MigrationState.Queued, steps, now, null, null, null,
            null, false, 0, reservations, batchId);
        migration.Raise(v => new MigrationQueued(migration.Id, migration.TenantId, now, v, plan.Strategy, plan.Source, plan.Destination));
        return migration;
    }

    public void Start(DateTimeOffset now)
    {
        Require(MigrationState.Queued, "start");
        State = MigrationState.Running;
        StartedAt = now;
        Raise(v => new MigrationStarted(Id, TenantId, now, v));
    }

    public void BeginStep(int index, DateTimeOffset now)
    {
        Require(MigrationState.Running, "begin a step of");
        var next = NextStep;
        if (next is null || next.Index != index || next.Status != StepStatus.Pending)
            throw new InvalidMigrationTransitionException(
                $"Cannot begin step {index} of migration {Id}: the next step to run is {next?.Index.ToString() ?? "none"} ({next?.Status.ToString() ?? "all done"}).");
        _steps[index] = next with { Status = StepStatus.Running, StartedAt = now, Attempts = next.Attempts + 1 };
        Raise(v => new StepStarted(Id, TenantId, now, v, index, next.Kind, next.Round, next.IsDowntime, next.PredictedMs));
    }

    /// <param name="artifacts">What the step left for later steps and a rollback; stored with the step.</param>
    /// <param name="frozenMs">The interval within the step in which the service was frozen (a live dump), when the runtime measured it.</param>
    public void CompleteStep(int index, double measuredMs, string? message, DateTimeOffset now, StepArtifacts? artifacts = null, double? frozenMs = null)
    {
        Require(MigrationState.Running, "complete a step of");
        var step = RunningStep(index, "complete");
        Guard.FiniteNonNegative(measuredMs, nameof(measuredMs));
        if (frozenMs is { } frozen)
            Guard.FiniteNonNegative(frozen, nameof(frozenMs));
        _steps[index] = step with
        {
            Status = StepStatus.Succeeded, FinishedAt = now, MeasuredMs = measuredMs, Message = message, Artifacts = artifacts,
            FrozenMs = frozenMs is { } f ? Math.Min(f, measuredMs) : null,
        };
        Raise(v => new StepCompleted(Id, TenantId, now, v, index, step.Kind, step.Round, step.IsDowntime, step.PredictedMs, measuredMs, message));
    }

    /// <summary>
    /// An attempt of the running step failed in a way the runtime says may pass (<c>RetryAfter</c>): the attempt is
    /// recorded with its error, and the step runs again after <paramref name="retryAfter"/>.
    /// </summary>
    public void RetryStep(int index, string error, TimeSpan retryAfter, DateTimeOffset now)
    {
        Require(MigrationState.Running, "retry a step of");
        var step = RunningStep(index, "retry");
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        var attempt = Math.Max(1, step.Attempts);
        var retries = (step.Retries ?? []).Append(new StepAttempt(attempt, now, error, retryAfter.TotalMilliseconds)).ToList();
        _steps[index] = step with { Attempts = attempt + 1, Retries = retries };
        Raise(v => new StepRetrying(Id, TenantId, now, v, index, step.Kind, attempt, error, retryAfter.TotalMilliseconds));
    }

    /// <summary>
    /// The process that ran the migration stopped, and the step it was in (if any) is safe to run again from what the
    /// completed steps stored: that step goes back to Pending, and the migration continues from it.
    /// </summary>
    public void Resume(string reason, DateTimeOffset now)
    {
        Require(MigrationState.Running, "resume");
        var running = _steps.FirstOrDefault(s => s.Status == StepStatus.Running);
        if (running is not null)
            _steps[running.Index] = running with { Status = StepStatus.Pending, StartedAt = null, Message = reason };
        var next = NextStep;
        Raise(v => new MigrationResumed(Id, TenantId, now, v, next?.Index ?? _steps.Count, reason));
    }

    /// <summary>A step failed: record the runtime's own error text and start rolling back.</summary>
    public void FailStep(int index, string error, double measuredMs, DateTimeOffset now)
    {
        Require(MigrationState.Running, "fail a step of");
        var step = RunningStep(index, "fail");
        Guard.FiniteNonNegative(measuredMs, nameof(measuredMs));
        _steps[index] = step with { Status = StepStatus.Failed, FinishedAt = now, MeasuredMs = measuredMs, Message = error };
        FailedStep = index;
        FailureReason = $"{step.Label} failed: {error}";
        Raise(v => new StepFailed(Id, TenantId, now, v, index, step.Kind, error));
        BeginRollback(FailureReason, now);
    }

    /// <summary>Stops a migration: a queued one is cancelled at once, a running one rolls back first.</summary>
    public void Cancel(string reason, DateTimeOffset now)
    {
        switch (State)
        {
            case MigrationState.Queued:
                CancelRequested = true;
                FailureReason = reason;
                Finish(MigrationState.Cancelled, now);
                Raise(v => new MigrationFinished(Id, TenantId, now, v, State, reason, null, null));
                break;
            case MigrationState.Running:
                CancelRequested = true;
                var running = _steps.FirstOrDefault(s => s.Status == StepStatus.Running);
                if (running is not null)
                    _steps[running.Index] = running with { Status = StepStatus.Failed, FinishedAt = now, Message = "Cancelled" };
                BeginRollback(reason, now);
                break;
            default:
                throw new InvalidMigrationTransitionException($"Cannot cancel migration {Id}: it is {State}.");
        }
    }

    /// <summary>Aborts a running migration for a reason that is not a step's fault (deadline passed, host restarted).</summary>
    public void Abort(string reason, DateTimeOffset now)
    {
        Require(MigrationState.Running, "abort");
        var running = _steps.FirstOrDefault(s => s.Status == StepStatus.Running);
        if (running is not null)
        {
            _steps[running.Index] = running with { Status = StepStatus.Failed, FinishedAt = now, Message = reason };
            FailedStep = running.Index;
        }
        BeginRollback(reason, now);
    }

    public void CompleteRollback(string message, DateTimeOffset now)
    {
        Require(MigrationState.RollingBack, "complete the rollback of");
        Finish(CancelRequested ? MigrationState.Cancelled : MigrationState.RolledBack, now);
        Raise(v => new MigrationFinished(Id, TenantId, now, v, State, message, null, null));
    }

    public void FailRollback(string error, DateTimeOffset now)
    {
        Require(MigrationState.RollingBack, "fail the rollback of");
        FailureReason = $"{FailureReason}; rollback failed: {error}";
        Finish(MigrationState.Failed, now);
        Raise(v => new MigrationFinished(Id, TenantId, now, v, State, FailureReason, null, null));
    }

    public void Complete(DateTimeOffset now)
    {
        Require(MigrationState.Running, "complete");
        if (_steps.Any(s => s.Status != StepStatus.Succeeded))
            throw new InvalidMigrationTransitionException($"Cannot complete migration {Id}: step {NextStep?.Index} has not succeeded.");
        Finish(MigrationState.Completed, now);
        Raise(v => new MigrationFinished(Id, TenantId, now, v, State, "Completed", MeasuredDowntimeMs, MeasuredMigrationTimeMs));
    }

    /// <summary>Events raised since the last call, in order; the caller persists the aggregate, then publishes them.</summary>
    public IReadOnlyList<MigrationEvent> DequeueEvents()
    {
        var events = _pending.ToArray();
        _pending.Clear();
        return events;
    }

    private void BeginRollback(string reason, DateTimeOffset now)
    {
        State = MigrationState.RollingBack;
        FailureReason ??= reason;
        for (var i = 0; i < _steps.Count; i++)
            if (_steps[i].Status == StepStatus.Pending)
                _steps[i] = _steps[i] with { Status = StepStatus.Skipped };
        Raise(v => new RollbackStarted(Id, TenantId, now, v, reason));
    }

    private void Finish(MigrationState state, DateTimeOffset now)
    {
        State = state;
        FinishedAt = now;
        if (state != MigrationState.Completed)
            for (var i = 0; i < _steps.Count; i++)
                if (_steps[i].Status == StepStatus.Pending)
                    _steps[i] = _steps[i] with { Status = StepStatus.Skipped };
    }

    private MigrationStep RunningStep(int index, string verb)
    {
        if (index < 0 || index >= _steps.Count)
            throw new InvalidMigrationTransitionException($"Cannot {verb} step {index} of migration {Id}: it has {_steps.Count} steps.");
        var step = _steps[index];
        if (step.Status != StepStatus.Running)
            throw new InvalidMigrationTransitionException($"Cannot {verb} step {index} ({step.Label}) of migration {Id}: it is {step.Status}, not Running.");
        return step;
    }

    private void Require(MigrationState expected, string verb)
    {
        if (State != expected)
            throw new InvalidMigrationTransitionException($"Cannot {verb} migration {Id}: it is {State}, not {expected}.");
    }

    private void Raise(Func<long, MigrationEvent> create) => _pending.Add(create(++Version));
}

public sealed class InvalidMigrationTransitionException(string message) : InvalidOperationException(message);
