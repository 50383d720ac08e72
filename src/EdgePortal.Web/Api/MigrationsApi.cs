using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Migrations;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.Api;

/// <summary>The body of <c>POST /api/v1/migrations</c>. Only <c>serviceId</c> is required.</summary>
public sealed record StartMigrationBody(
    Guid? ServiceId,
    Guid? DestinationNodeId,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    string? Objective,
    string? Strategy,
    int? Iterations,
    bool AcceptTargetMiss = false) : IMigrationOverridesBody;

public static class MigrationsApi
{
    public static IEndpointRouteBuilder MapMigrationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/migrations").WithTags("Migrations");
        api.MapPost("/", Start).RequireAuthorization(PortalPolicies.Operator).WithSummary("Plan a migration and queue it; 422 with the planner's explanation when no plan meets the targets.");
        api.MapGet("/", List).RequireAuthorization(PortalPolicies.Viewer).WithSummary("Migrations, newest first, filtered by state, cluster, tenant or service; a full page links the next one (Link rel=next, before=cursor).");
        api.MapGet("/{id:guid}", Get).RequireAuthorization(PortalPolicies.Viewer).WithSummary("One migration with its steps, predicted and measured.");
        api.MapPost("/{id:guid}/cancel", Cancel).RequireAuthorization(PortalPolicies.Operator).WithSummary("Cancel: a queued migration at once, a running one by rolling it back.");
        return app;
    }

    private static IResult Start(StartMigrationBody? body, MigrationCoordinator coordinator, MigrationEngine engine, IInventoryRepository inventory,
        ClaimsPrincipal user)
    {
        var scope = TenantScope.Of(user);
        var errors = new FieldErrors();
        if (body is null)
        {
            errors.Add("body", "A JSON body with serviceId is required.");
            return errors.ToProblem();
        }
        var serviceId = errors.Required("serviceId", body.ServiceId);
        var overrides = MigrationOverrides.Read(body, errors);
        if (errors.Any)
            return errors.ToProblem();
        if (inventory.FindService(ServiceId.From(serviceId!.Value)) is not { } service || !scope.Sees(service.TenantId))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Service not found", detail: $"No service has id {serviceId}.");

        var result = coordinator.Start(overrides.ToRequest(service, MigrationTrigger.Api, scope.Actor, body.AcceptTargetMiss) with { ActingTenant = scope.Tenant });
        return result switch
        {
            MigrationRequestResult.Accepted a => Results.Accepted($"/api/v1/migrations/{a.Migration.Id}", View(a.Migration, engine)),
            MigrationRequestResult.NotFound n => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Service not found", detail: n.Detail),
            MigrationRequestResult.Conflict c => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already migrating", detail: c.Detail,
                extensions: new Dictionary<string, object?> { ["migrationId"] = c.Existing }),
            MigrationRequestResult.QuotaExceeded q => Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Tenant quota reached", detail: q.Detail),
            MigrationRequestResult.Infeasible i => Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "No plan meets the targets",
                detail: i.Detail, extensions: new Dictionary<string, object?> { ["plan"] = i.Planning.Plan, ["bindingConstraint"] = i.Planning.Plan?.BindingConstraint }),
            _ => throw new InvalidOperationException($"Unexpected result {result}"),
        };
    }

    private static IResult List(IMigrationRepository repository, MigrationEngine engine, ClaimsPrincipal user, HttpResponse response, string? state, Guid? cluster,
        Guid? tenant, Guid? service, int? limit, string? before)
    {
        var scope = TenantScope.Of(user);
        var errors = new FieldErrors();
        var cursor = HistoryPaging.Parse(before, errors);
        var states = state?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => errors.Enum<MigrationState>("state", s)).OfType<MigrationState>().ToArray();
        if (limit is < 1 or > 1000)
            errors.Add("limit", $"limit must lie in 1..1000 (was {limit}).");
        if (errors.Any)
            return errors.ToProblem();
        // A tenant principal lists its own tenant's migrations; asking for another tenant's gives none (not a 403, no leak).
        if (scope.Tenant is { } own && tenant is { } asked && asked != own.Value)
            return Results.Ok(Array.Empty<MigrationViewModel>());
        var migrations = repository.List(new MigrationQuery(
            Tenant: scope.Tenant ?? (tenant is { } t ? TenantId.From(t) : null),
            Cluster: cluster is { } c ? ClusterId.From(c) : null,
            Service: service is { } s ? ServiceId.From(s) : null,
            States: states,
            Limit: limit ?? 200,
            Before: cursor));
        HistoryPaging.LinkNext(response, migrations.Count, limit ?? 200, migrations.Count > 0 ? MigrationQuery.CursorOf(migrations[^1]) : null);
        return Results.Ok(migrations.Select(m => View(m, engine)).ToList());
    }

    private static IResult Get(Guid id, IMigrationRepository repository, MigrationEngine engine, ClaimsPrincipal user)
        => repository.Find(MigrationId.From(id)) is { } migration && TenantScope.Of(user).Sees(migration.TenantId)
            ? Results.Ok(View(migration, engine))
            : MigrationNotFound(id);

    private static IResult MigrationNotFound(Guid id)
        => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Migration not found", detail: $"No migration has id {id}.");

    private static IResult Cancel(Guid id, MigrationEngine engine, IMigrationRepository repository, ClaimsPrincipal user, AuditTrail audit)
    {
        var scope = TenantScope.Of(user);
        if (repository.Find(MigrationId.From(id)) is not { } migration || !scope.Sees(migration.TenantId))
            return MigrationNotFound(id);
        var outcome = engine.Cancel(MigrationId.From(id), $"Cancelled through the API by {scope.Actor}.");
        audit.Record(scope, Core.Security.AuditActions.Cancel, $"migration {id} of {migration.ServiceName}", outcome.ToString(), migration.TenantId,
            succeeded: outcome is not (CancelOutcome.NotFound or CancelOutcome.AlreadyFinished));
        return outcome switch
        {
            CancelOutcome.NotFound => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Migration not found", detail: $"No migration has id {id}."),
            CancelOutcome.AlreadyFinished => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to cancel",
                detail: $"Migration {id} is {repository.Find(MigrationId.From(id))?.State}: it can no longer be cancelled."),
            _ => Results.Accepted($"/api/v1/migrations/{id}", View(repository.Find(MigrationId.From(id))!, engine)),
        };
    }

    internal static MigrationViewModel View(Migration migration, MigrationEngine engine)
        => MigrationViewModel.From(migration, engine.Queue.FirstOrDefault(q => q.MigrationId == migration.Id)?.WaitingFor);
}
