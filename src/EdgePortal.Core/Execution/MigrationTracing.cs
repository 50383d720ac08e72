using System.Collections.Concurrent;
using System.Diagnostics;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Execution;

/// <summary>
/// One trace per migration on the <c>EdgePortal.Migrations</c> activity source. <see cref="MigrationCoordinator"/> opens it:
/// a root span <c>migrate {service}</c>, a new trace linked to whatever asked (the API request, a schedule's job), with a
/// <c>plan</c> child carrying the designer's choice. <see cref="MigrationEngine"/> continues it: an <c>execute</c> span,
/// child of that root even when the queue held the migration for a while, with one <c>step {label}</c> span per step (its
/// predicted time an attribute, its measured time and outcome added when it ends) and a <c>rollback</c> span. The runtimes'
/// HTTP calls (agents, the Kubernetes API) are children of the step that made them; the agent runtime adds CRIU's statistics
/// to the step as span events. A migration resumed after a restart, or by another replica, starts a trace of its own.
/// Spans name the tenant by id (<c>edgeportal.tenant.id</c>): traces go only where the operator sends them (OTLP).
/// </summary>
public static class MigrationTracing
{
    public const string SourceName = "EdgePortal.Migrations";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>At most this many migrations wait in the queue with their trace's context; beyond it they start new traces.</summary>
    private const int MaxWaiting = 10_000;

    private static readonly ConcurrentDictionary<MigrationId, ActivityContext> Waiting = new();

    /// <summary>The coordinator's part: a new trace for a request to migrate <paramref name="service"/>.</summary>
    internal static RequestTrace Request(ServiceInstance service, MigrationTrigger trigger)
    {
        var caller = Activity.Current;
        // A new trace, not a child of the caller's: a migration outlives the request that started it by minutes.
        Activity.Current = null;
        var root = Source.StartActivity($"migrate {service.Name}", ActivityKind.Internal, default(ActivityContext),
            tags: [new("edgeportal.service.name", service.Name), new("edgeportal.service.id", service.Id.ToString()),
                new("edgeportal.tenant.id", service.TenantId.ToString()), new("edgeportal.migration.trigger", trigger.ToString())],
            links: caller is null ? null : [new ActivityLink(caller.Context)]);
        return new RequestTrace(root, caller);
    }

    /// <summary>The engine's part: an <c>execute</c> span under the migration's trace (or a new trace), current while it runs.</summary>
    internal static ExecutionTrace Execute(Migration migration)
    {
        var parent = Waiting.TryRemove(migration.Id, out var waiting) ? waiting : default;
        if (parent == default)
            Activity.Current = null;
        var span = Source.StartActivity("execute", ActivityKind.Internal, parent,
            tags: [new("edgeportal.migration.id", migration.Id.ToString()), new("edgeportal.service.name", migration.ServiceName),
                new("edgeportal.tenant.id", migration.TenantId.ToString()), new("edgeportal.migration.strategy", migration.Strategy.ToString())]);
        return new ExecutionTrace(migration, span);
    }

    /// <summary>A <c>rollback</c> span (child of the current span: the migration's <c>execute</c>).</summary>
    internal static Activity? Rollback(Migration migration)
        => Source.StartActivity("rollback", ActivityKind.Internal, default(ActivityContext),
            tags: [new("edgeportal.migration.id", migration.Id.ToString()), new("edgeportal.rollback.reason", migration.FailureReason)]);

    internal static void Remember(MigrationId migration, ActivityContext context)
    {
        if (Waiting.Count >= MaxWaiting)
            Waiting.Clear();
        Waiting[migration] = context;
    }
}

/// <summary>The trace the coordinator opened; ends when the request is answered, leaving its context for the engine.</summary>
internal sealed class RequestTrace(Activity? root, Activity? caller) : IDisposable
{
    /// <summary>Runs the planner under a <c>plan</c> span that records what it chose.</summary>
    public PlanningResult Plan(Func<PlanningResult> plan)
    {
        using var span = MigrationTracing.Source.StartActivity("plan");
        var result = plan();
        if (span is not null)
        {
            span.SetTag("edgeportal.plan.feasible", result.Feasible);
            span.SetTag("edgeportal.plan.summary", result.Summary);
            if (result.Plan is { } p)
            {
                span.SetTag("edgeportal.plan.strategy", p.Strategy.ToString());
                span.SetTag("edgeportal.plan.destination", p.Destination.ToString());
                span.SetTag("edgeportal.plan.iterations", p.Iterations);
                span.SetTag("edgeportal.plan.predicted_downtime_ms", p.PredictedDowntimeMs);
                span.SetTag("edgeportal.plan.predicted_duration_ms", p.PredictedMigrationTimeMs);
                span.SetTag("edgeportal.plan.reserved_bandwidth_bps", p.ReservedBandwidth.BitsPerSecond);
                span.SetTag("edgeportal.plan.predicted_start_ms", p.PredictedStartMs);
                span.SetTag("edgeportal.plan.capacity_choice", p.Capacity.ToString());
            }
        }
        return result;
    }

    /// <summary>The migration is stored and about to be queued: the engine continues this trace.</summary>
    public void Queued(Migration migration)
    {
        if (root is null)
            return;
        root.SetTag("edgeportal.migration.id", migration.Id.ToString());
        MigrationTracing.Remember(migration.Id, root.Context);
        root.SetStatus(ActivityStatusCode.Ok);
    }

    public void Dispose()
    {
        if (root is not null)
        {
            if (root.Status == ActivityStatusCode.Unset)
                root.SetStatus(ActivityStatusCode.Error, "not started");
            root.Dispose();
        }
        Activity.Current = caller;
    }
}

/// <summary>The engine's <c>execute</c> span of one migration; ends with its final state.</summary>
internal sealed class ExecutionTrace(Migration migration, Activity? span) : IDisposable
{
    /// <summary>A <c>step {label}</c> span, current while the runtime runs the step, with the plan's prediction for it.</summary>
    public Activity? Step(MigrationStep step)
        => MigrationTracing.Source.StartActivity($"step {step.Label}", ActivityKind.Internal, default(ActivityContext),
            tags: [new("edgeportal.step.index", step.Index), new("edgeportal.step.kind", step.Kind.ToString()), new("edgeportal.step.round", step.Round),
                new("edgeportal.step.downtime", step.IsDowntime), new("edgeportal.step.predicted_ms", step.PredictedMs)]);

    /// <summary>What the step's runtime answered, and how long it took.</summary>
    public static void StepEnded(Activity? step, StepOutcome outcome, double measuredMs)
    {
        if (step is null)
            return;
        switch (outcome)
        {
            case StepOutcome.Success success:
                step.SetTag("edgeportal.step.measured_ms", success.DurationMs ?? measuredMs);
                step.SetTag("edgeportal.step.message", success.Message);
                step.SetStatus(ActivityStatusCode.Ok);
                break;
            case StepOutcome.Failure failure:
                step.SetTag("edgeportal.step.measured_ms", measuredMs);
                step.SetStatus(ActivityStatusCode.Error, failure.Reason);
                break;
        }
    }

    public void Dispose()
    {
        if (span is null)
            return;
        span.SetTag("edgeportal.migration.state", migration.State.ToString());
        if (migration.MeasuredDowntimeMs is { } downtime)
            span.SetTag("edgeportal.migration.measured_downtime_ms", downtime);
        span.SetTag("edgeportal.migration.predicted_downtime_ms", migration.Plan.PredictedDowntimeMs);
        if (migration.State == MigrationState.Completed)
            span.SetStatus(ActivityStatusCode.Ok);
        else if (migration.State is MigrationState.RolledBack or MigrationState.Cancelled or MigrationState.Failed)
            span.SetStatus(ActivityStatusCode.Error, migration.FailureReason ?? migration.State.ToString());
        span.Dispose();
    }
}
