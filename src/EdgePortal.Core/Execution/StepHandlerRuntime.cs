using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Core.Execution;

/// <summary>
/// The shared shape of every runtime: a list of <see cref="StepHandler"/>s, one per (step kind, strategies), and around
/// each step the same checks, timing, structured log fields (Runtime, Step, Round, Strategy, MigrationId, Service,
/// DurationMs, Outcome / Reason) and mapping from exception to <see cref="StepOutcome.Failure"/>.
/// </summary>
public abstract partial class StepHandlerRuntime : IEdgeRuntime
{
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    protected StepHandlerRuntime(TimeProvider time, ILogger logger)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The runtime's handlers; for one step kind, the first whose <see cref="StepHandler.Handles"/> says yes runs it.</summary>
    protected abstract IReadOnlyList<StepHandler> Handlers { get; }

    public abstract ClusterKind Kind { get; }

    public abstract Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken);

    public abstract Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken);

    /// <summary>The handler of a step, or null when this runtime has none for the strategy.</summary>
    public StepHandler? HandlerFor(MigrationStrategy strategy, StepKind kind) =>
        Handlers.FirstOrDefault(h => h.Kind == kind && h.Handles(strategy));

    public bool SafeToRepeat(MigrationStrategy strategy, StepKind kind) => HandlerFor(strategy, kind)?.SafeToRepeat ?? false;

    /// <summary>
    /// A retry runs the step again, so only a step that is safe to repeat is retried: an unreachable agent may have
    /// received the request (a dump that ran, a restore half done) before the answer was lost.
    /// </summary>
    public StepRetryPolicy RetryPolicy(MigrationStrategy strategy, StepKind kind) =>
        HandlerFor(strategy, kind) is { SafeToRepeat: true } handler ? handler.RetryPolicy : StepRetryPolicy.Never;

    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        var started = _time.GetTimestamp();
        try
        {
            if (await RefuseAsync(context, cancellationToken).ConfigureAwait(false) is { } refusal)
                return Fail(context, refusal, null);
            var handler = HandlerFor(context.Plan.Strategy, context.Step.Kind);
            if (handler is null)
                return Fail(context, NoHandler(context), null);
            var result = await handler.RunAsync(context, cancellationToken).ConfigureAwait(false);
            var ms = result.DurationMs ?? _time.GetElapsedTime(started).TotalMilliseconds;
            LogStep(Kind, context.Step.Label, context.Step.Round, context.Plan.Strategy, context.MigrationId, context.Service.Name, ms, result.Message);
            return new StepOutcome.Success(result.Message, ms, result.Artifacts, result.FrozenMs);
        }
        catch (StepFailedException e)
        {
            return Fail(context, e.Message, e.RetryAfter);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return Fail(context, $"{context.Step.Label} of {context.Service.Name} timed out after {Durations.Format(_time.GetElapsedTime(started).TotalMilliseconds)}", null);
        }
        catch (Exception e) when (Map(e, context) is { } failure)
        {
            return Fail(context, failure.Reason, failure.RetryAfter);
        }
    }

    /// <summary>Why the step cannot run at all before its handler is asked (the cluster is not configured …), or null.</summary>
    protected virtual ValueTask<string?> RefuseAsync(StepContext context, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);

    /// <summary>The refusal of a step this runtime has no handler for.</summary>
    protected virtual string NoHandler(StepContext context) =>
        $"{context.Plan.Strategy} has no {context.Step.Label} step on the {Kind} runtime";

    /// <summary>A runtime's own exceptions (its clients' errors) as failures; null lets the exception reach the engine.</summary>
    protected virtual StepOutcome.Failure? Map(Exception exception, StepContext context) => null;

    private StepOutcome.Failure Fail(StepContext context, string reason, TimeSpan? retryAfter)
    {
        LogStepFailed(Kind, context.Step.Label, context.Step.Round, context.Plan.Strategy, context.MigrationId, context.Service.Name, reason, retryAfter);
        return new StepOutcome.Failure(reason, retryAfter);
    }

    /// <summary>Logs a rollback with the same fields on every runtime.</summary>
    protected void LogRollback(RollbackContext context, StepOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (outcome)
        {
            case StepOutcome.Success s:
                LogRolledBack(Kind, context.MigrationId, context.Service.Name, context.Plan.Strategy, s.Message ?? "");
                break;
            case StepOutcome.Failure f:
                LogRollbackFailed(Kind, context.MigrationId, context.Service.Name, context.Plan.Strategy, f.Reason);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Runtime}: {Step} (round {Round}, {Strategy}) of migration {MigrationId} ({Service}) took {DurationMs:0} ms: {Outcome}")]
    private partial void LogStep(ClusterKind runtime, string step, int round, MigrationStrategy strategy, MigrationId migrationId, string service, double durationMs, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Runtime}: {Step} (round {Round}, {Strategy}) of migration {MigrationId} ({Service}) failed: {Reason} (retry after {RetryAfter})")]
    private partial void LogStepFailed(ClusterKind runtime, string step, int round, MigrationStrategy strategy, MigrationId migrationId, string service, string reason, TimeSpan? retryAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Runtime}: rolled back migration {MigrationId} ({Service}, {Strategy}): {Outcome}")]
    private partial void LogRolledBack(ClusterKind runtime, MigrationId migrationId, string service, MigrationStrategy strategy, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Runtime}: rollback of migration {MigrationId} ({Service}, {Strategy}) failed: {Reason}")]
    private partial void LogRollbackFailed(ClusterKind runtime, MigrationId migrationId, string service, MigrationStrategy strategy, string reason);
}
