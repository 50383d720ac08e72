using System.Security.Claims;
using EdgePortal.Core.Security;
using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Planning;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases.Migrations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

/// <summary>
/// The body of <c>POST /api/v1/plans/what-if</c>. Numbers bind as nullable so that a missing field is told
/// apart from a zero; <see cref="PlansApi"/> validates each and names the field that is wrong.
/// </summary>
public sealed record WhatIfBody(
    double? StateSizeBytes,
    double? DirtyRateNormalized,
    double? BandwidthBitsPerSecond,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    string? Objective,
    double? RuntimeOverheadMs,
    int? Iterations,
    double? MessageArrivalRate,
    double? MessageProcessingRate,
    string? HostClass,
    bool? AllowPostCopy = null);

/// <summary>The optional body of <c>POST /api/v1/services/{id}/plan</c>: the overrides <c>POST /api/v1/migrations</c> takes.</summary>
public sealed record PlanServiceBody(
    Guid? DestinationNodeId,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    string? Objective,
    string? Strategy,
    int? Iterations) : IMigrationOverridesBody;

/// <summary>A designed plan as the API returns it: the plan, whether it meets the targets and why, and every strategy compared.</summary>
public sealed record PlanView(
    MigrationPlan Plan,
    bool Feasible,
    string Rationale,
    string? BindingConstraint,
    IReadOnlyList<StrategyEvaluation> Strategies)
{
    public static PlanView From(DesignResult design) => new(design.Plan, design.Feasible, design.Plan.Rationale, design.Plan.BindingConstraint, design.Strategies);
}

/// <summary>
/// The plan for a stored service: <see cref="PlanView"/>'s fields, the destination it is for, and the placement
/// ranking behind it (candidates best first with why, nodes left out with why). When no node can take the service,
/// <c>plan</c> and <c>destination</c> are null and <c>rationale</c> says why.
/// </summary>
public sealed record ServicePlanView(
    MigrationPlan? Plan,
    bool Feasible,
    string Rationale,
    string? BindingConstraint,
    IReadOnlyList<StrategyEvaluation> Strategies,
    DestinationCandidate? Destination,
    PlacementResult Placement,
    string Summary)
{
    public static ServicePlanView From(PlanningResult planning) => new(
        planning.Plan,
        planning.Feasible,
        planning.Plan?.Rationale ?? planning.Summary,
        planning.Plan?.BindingConstraint,
        planning.Design?.Strategies ?? [],
        planning.Design?.Destination,
        planning.Placement,
        planning.Summary);
}

public static class PlansApi
{
    public static IEndpointRouteBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/plans/what-if", WhatIfPlan).WithTags("Plans").RequireAuthorization(PortalPolicies.Viewer)
            .WithName("PlanWhatIf").WithSummary("Design a hypothetical migration (state size, normalised dirty rate r, bandwidth, targets, objective) against one destination over that bandwidth, on the paper testbed's parameters or, with hostClass, on that host class's newest calibration; feasible or not, 200 with the plan and every strategy compared.");
        app.MapPost("/api/v1/services/{id:guid}/plan", PlanService).WithTags("Plans").RequireAuthorization(PortalPolicies.Operator)
            .WithName("PlanService").WithSummary("The plan a migration of the service would get now (its stored profile; optional overrides as for POST /api/v1/migrations), with the destination and the placement ranking. Nothing starts.");
        return app;
    }

    private static Results<Ok<PlanView>, ValidationProblem> WhatIfPlan(WhatIfBody? body, ICalibrationRepository calibrations)
    {
        if (body is null)
            return ApiProblems.MissingBody("A JSON body with stateSizeBytes, dirtyRateNormalized, bandwidthBitsPerSecond, maxDowntimeMs, maxMigrationTimeMs and objective is required.");
        var errors = new FieldErrors();
        if (Read(body, errors, calibrations) is not { } input || errors.Any)
            return errors.ToProblem();
        return TypedResults.Ok(PlanView.From(WhatIf.Design(input)));
    }

    /// <summary>
    /// Validates the body field by field; null when any field is wrong (all of them are in <paramref name="errors"/>). A
    /// host class must have a calibration in <paramref name="calibrations"/>: its newest is the parameter set.
    /// </summary>
    internal static WhatIfInput? Read(WhatIfBody body, FieldErrors errors, ICalibrationRepository calibrations)
    {
        var parameters = PamParameters.PaperTestbed;
        if (errors.Text("hostClass", body.HostClass, InputLimits.Expression) is { } hostClass)
        {
            if (calibrations.Latest(hostClass) is { } calibration)
                parameters = calibration.Fit.Parameters;
            else
                errors.Add("hostClass", $"host class '{hostClass}' has no calibration: store one (POST /api/v1/calibrations, or the calibrate "
                    + "verb), or leave hostClass out for the paper testbed's parameters.");
        }
        var maxIterations = parameters.MaxIterations;
        var size = errors.Number("stateSizeBytes", body.StateSizeBytes, min: 0, exclusiveMin: true, max: WhatIf.MaxStateSizeBytes);
        var r = errors.Number("dirtyRateNormalized", body.DirtyRateNormalized, min: 0, max: 1);
        var bandwidth = errors.Number("bandwidthBitsPerSecond", body.BandwidthBitsPerSecond, min: 0, exclusiveMin: true);
        var down = errors.Number("maxDowntimeMs", body.MaxDowntimeMs, min: 0, exclusiveMin: true);
        var total = errors.Number("maxMigrationTimeMs", body.MaxMigrationTimeMs, min: 0, exclusiveMin: true);
        var objective = errors.Enum<Objective>("objective", body.Objective, required: true);
        var overhead = errors.Number("runtimeOverheadMs", body.RuntimeOverheadMs, min: 0, required: false);
        if (body.Iterations is < 0 || body.Iterations > maxIterations)
            errors.Add("iterations", $"iterations must lie in 0..{maxIterations} (was {body.Iterations}).");
        var arrival = errors.Number("messageArrivalRate", body.MessageArrivalRate, min: 0, required: false);
        var processing = errors.Number("messageProcessingRate", body.MessageProcessingRate, min: 0, required: false);
        if (body.MessageArrivalRate is null != body.MessageProcessingRate is null)
        {
            var (given, missing) = body.MessageArrivalRate is null
                ? ("messageProcessingRate", "messageArrivalRate")
                : ("messageArrivalRate", "messageProcessingRate");
            errors.Add(missing, $"{missing} is required when {given} is given (give both message rates or neither).");
        }
        if (errors.Any)
            return null;
        return new WhatIfInput
        {
            // Bytes are whole: a fractional size rounds up, so that 0.5 B is still a (one-byte) state.
            StateSizeBytes = (long)Math.Ceiling(size!.Value),
            DirtyRateNormalized = r!.Value,
            BandwidthBitsPerSecond = bandwidth!.Value,
            MaxDowntimeMs = down!.Value,
            MaxMigrationTimeMs = total!.Value,
            Objective = objective!.Value,
            Parameters = parameters,
            RuntimeOverheadMs = overhead,
            Iterations = body.Iterations,
            MessageArrivalRate = arrival ?? 0,
            MessageProcessingRate = processing ?? 0,
            AllowPostCopy = body.AllowPostCopy ?? false,
        };
    }

    private static Results<Ok<ServicePlanView>, ValidationProblem, NotFoundProblem> PlanService(Guid id, PlanServiceBody? body, StartMigration start,
        IInventoryRepository inventory, ClaimsPrincipal user, AuditTrail audit)
    {
        var scope = TenantScope.Of(user);
        var errors = new FieldErrors();
        var overrides = MigrationOverrides.Read(body ?? new PlanServiceBody(null, null, null, null, null, null, null), errors);
        if (errors.Any)
            return errors.ToProblem();
        if (inventory.FindService(ServiceId.From(id)) is not { } service || !scope.Sees(service.TenantId))
            return ApiProblems.NotFound("Service", id);
        var planning = start.Preview(scope, overrides.ToRequest(service, MigrationTrigger.Api, scope.Actor));
        if (planning is null)
            return ApiProblems.NotFound("Service", id);
        audit.Record(scope, Core.Security.AuditActions.Plan, $"service {service.Name} ({service.Id})", planning.Summary, service.TenantId);
        return TypedResults.Ok(ServicePlanView.From(planning));
    }
}
