using EdgePortal.Core.Planning;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Web.Api;

/// <summary>
/// The optional fields with which a request overrides a service's own settings when it is planned: where to go,
/// the targets, the objective, the strategy and the iterations. <c>POST /api/v1/migrations</c> and
/// <c>POST /api/v1/services/{id}/plan</c> take the same ones.
/// </summary>
public interface IMigrationOverridesBody
{
    Guid? DestinationNodeId { get; }
    double? MaxDowntimeMs { get; }
    double? MaxMigrationTimeMs { get; }
    double? MaxUserLatencyMs { get; }
    string? Objective { get; }
    string? Strategy { get; }
    int? Iterations { get; }
}

/// <summary>The overrides of an <see cref="IMigrationOverridesBody"/>, validated; each field absent stays the service's own.</summary>
public sealed record MigrationOverrides(
    NodeId? Destination,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    Objective? Objective,
    MigrationStrategy? Strategy,
    int? Iterations)
{
    /// <summary>The most dump rounds a request may force: the planner's own cap.</summary>
    public static int MaxIterations => PamParameters.PaperTestbed.MaxIterations;

    /// <summary>Reads and validates the overrides; problems go to <paramref name="errors"/> under the field's JSON name.</summary>
    public static MigrationOverrides Read(IMigrationOverridesBody body, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(errors);
        var down = errors.Number("maxDowntimeMs", body.MaxDowntimeMs, min: 0, exclusiveMin: true, required: false);
        var total = errors.Number("maxMigrationTimeMs", body.MaxMigrationTimeMs, min: 0, exclusiveMin: true, required: false);
        var latency = errors.Number("maxUserLatencyMs", body.MaxUserLatencyMs, min: 0, exclusiveMin: true, required: false);
        var objective = errors.Enum<Objective>("objective", body.Objective);
        var strategy = errors.Enum<MigrationStrategy>("strategy", body.Strategy);
        if (body.Iterations < 0 || body.Iterations > MaxIterations)
            errors.Add("iterations", $"iterations must lie in 0..{MaxIterations} (was {body.Iterations}).");
        return new MigrationOverrides(body.DestinationNodeId is { } d ? NodeId.From(d) : null, down, total, latency, objective, strategy, body.Iterations);
    }

    /// <summary>Targets given override the service's one by one; null when none is given.</summary>
    public KpiTargets? TargetsFor(ServiceInstance service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return MaxDowntimeMs is null && MaxMigrationTimeMs is null && MaxUserLatencyMs is null ? null : new KpiTargets(
            MaxDowntimeMs ?? service.Targets.MaxDowntimeMs,
            MaxMigrationTimeMs ?? service.Targets.MaxMigrationTimeMs,
            MaxUserLatencyMs ?? service.Targets.MaxUserLatencyMs);
    }

    /// <summary>The coordinator's request for <paramref name="service"/> with these overrides.</summary>
    public MigrationRequest ToRequest(ServiceInstance service, MigrationTrigger trigger, string requestedBy, bool acceptTargetMiss = false) => new()
    {
        ServiceId = service.Id,
        Destination = Destination,
        Targets = TargetsFor(service),
        Objective = Objective,
        Strategy = Strategy,
        Iterations = Iterations,
        Trigger = trigger,
        RequestedBy = requestedBy,
        AcceptTargetMiss = acceptTargetMiss,
    };
}
