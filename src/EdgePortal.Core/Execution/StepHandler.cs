using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// One (runtime, step kind) pair: the work of one step, and nothing else. <see cref="StepHandlerRuntime"/> finds the
/// handler for a step, times it, logs it with the same fields on every runtime, turns exceptions into
/// <see cref="StepOutcome.Failure"/> and answers the engine's retry and resume questions from the handler's properties.
/// Adding a strategy to a runtime means adding handlers for its steps.
/// </summary>
public abstract class StepHandler
{
    public abstract StepKind Kind { get; }

    /// <summary>Whether this handler runs its step for <paramref name="strategy"/>; the runtime asks its handlers in order.</summary>
    public virtual bool Handles(MigrationStrategy strategy) => true;

    /// <summary>See <see cref="IEdgeRuntime.SafeToRepeat"/>. False unless the handler says why it is safe.</summary>
    public virtual bool SafeToRepeat => false;

    public virtual StepRetryPolicy RetryPolicy => StepRetryPolicy.For(Kind);

    /// <summary>
    /// Runs the step. Anything the edge did wrong is thrown as <see cref="StepFailedException"/> (with a retry hint when
    /// it may pass) or as an exception the runtime maps; the base does the rest.
    /// </summary>
    public abstract Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>What a step did: the runtime's words, its own measurement when it has one, and what it left behind.</summary>
/// <param name="FrozenMs">
/// The interval within the step in which the service was frozen and its clients went without it, when the runtime measured
/// it (CRIU's frozen time of a live dump): counted as the step's downtime instead of its whole duration.
/// </param>
public sealed record StepResult(string Message, double? DurationMs = null, StepArtifacts? Artifacts = null, double? FrozenMs = null);

/// <summary>A step failed for a reason the edge gave; <see cref="RetryAfter"/> when trying again later may succeed.</summary>
public sealed class StepFailedException(string reason, TimeSpan? retryAfter = null) : Exception(reason)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
