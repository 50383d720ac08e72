using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Migrations;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.UseCases.Migrations;
using Microsoft.AspNetCore.Http.HttpResults;

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

/// <summary>One migration of <c>POST /api/v1/migrations:batch</c>: a start body, and whether it goes before the others.</summary>
public sealed record BatchMigrationBody(
    Guid? ServiceId,
    Guid? DestinationNodeId,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    string? Objective,
    string? Strategy,
    int? Iterations,
    bool AcceptTargetMiss = false,
    bool Urgent = false) : IMigrationOverridesBody;

/// <summary>The body of <c>POST /api/v1/migrations:batch</c>: migrations requested together, planned as one.</summary>
public sealed record StartBatchBody(IReadOnlyList<BatchMigrationBody?>? Migrations);

/// <summary>
/// How one migration of a batch went, at its index in the request: 202 with the migration, or the status and the problem
/// the single start would have answered.
/// </summary>
public sealed record BatchItemResult(int Index, int Status, MigrationViewModel? Migration, Microsoft.AspNetCore.Mvc.ProblemDetails? Problem);

public static class MigrationsApi
{
    public static IEndpointRouteBuilder MapMigrationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/migrations").WithTags("Migrations");
        api.MapPost("/", Start).RequireAuthorization(PortalPolicies.Operator).WithName("StartMigration").WithSummary("Plan a migration and queue it; 422 with the planner's explanation when no plan meets the targets.");
        api.MapGet("/", List).RequireAuthorization(PortalPolicies.Viewer).WithName("ListMigrations").WithSummary("Migrations, newest first, filtered by state, cluster, tenant or service; a full page links the next one (Link rel=next, before=cursor).");
        api.MapGet("/{id:guid}", Get).RequireAuthorization(PortalPolicies.Viewer).WithName("GetMigration").WithSummary("One migration with its steps, predicted and measured.");
        app.MapPost("/api/v1/migrations:batch", StartBatch).WithTags("Migrations").RequireAuthorization(PortalPolicies.Operator).WithName("StartMigrationBatch")
            .WithSummary("Plan migrations requested together as one batch (a drain, a crowd, a nightly move): ordered so that the most meet their targets, urgent ones first, each planned on what those before it reserve. 200 with one result per migration, in the request's order.");
        api.MapPost("/{id:guid}/cancel", Cancel).RequireAuthorization(PortalPolicies.Operator).WithName("CancelMigration").WithSummary("Cancel: a queued migration at once, a running one by rolling it back.");
        return app;
    }

    private static Results<Accepted<MigrationViewModel>, ValidationProblem, NotFoundProblem, ConflictProblem, UnprocessableProblem, QuotaProblem> Start(
        StartMigrationBody? body, StartMigration start, MigrationEngine engine, IInventoryRepository inventory, ClaimsPrincipal user)
    {
        var scope = TenantScope.Of(user);
        if (body is null)
            return ApiProblems.MissingBody("A JSON body with serviceId is required.");
        var errors = new FieldErrors();
        var serviceId = errors.Required("serviceId", body.ServiceId);
        var overrides = MigrationOverrides.Read(body, errors);
        if (errors.Any)
            return errors.ToProblem();
        if (inventory.FindService(ServiceId.From(serviceId!.Value)) is not { } service || !scope.Sees(service.TenantId))
            return ApiProblems.NotFound("Service", serviceId!.Value);

        return Refusal(start.Run(scope, overrides.ToRequest(service, MigrationTrigger.Api, scope.Actor, body.AcceptTargetMiss)), out var accepted) switch
        {
            null => TypedResults.Accepted($"/api/v1/migrations/{accepted!.Id}", View(accepted, engine)),
            NotFoundProblem n => n,
            ConflictProblem c => c,
            QuotaProblem q => q,
            UnprocessableProblem u => u,
            var other => throw new InvalidOperationException($"Unexpected refusal {other.GetType().Name}."),
        };
    }

    /// <summary>The most migrations one batch may hold (a nightly schedule of 500 services fits).</summary>
    public const int MaxBatch = 1_000;

    private static Results<Ok<List<BatchItemResult>>, ValidationProblem> StartBatch(StartBatchBody? body, StartMigration start, MigrationEngine engine,
        IInventoryRepository inventory, ClaimsPrincipal user)
    {
        var scope = TenantScope.Of(user);
        if (body?.Migrations is not { } items)
            return ApiProblems.MissingBody("A JSON body with migrations, a list of start bodies, is required.");
        var errors = new FieldErrors();
        if (items.Count is 0 or > MaxBatch)
            errors.Add("migrations", $"migrations must hold 1..{MaxBatch} migrations (was {items.Count}).");
        var requests = new List<MigrationRequest?>(items.Count);
        var seen = new HashSet<Guid>();
        for (var i = 0; i < items.Count && items.Count <= MaxBatch; i++)
        {
            var field = $"migrations[{i}]";
            if (items[i] is not { } item)
            {
                errors.Add(field, $"{field} is required.");
                continue;
            }
            var own = new FieldErrors();
            var serviceId = own.Required("serviceId", item.ServiceId);
            var overrides = MigrationOverrides.Read(item, own);
            if (serviceId is { } id && !seen.Add(id))
                own.Add("serviceId", $"service {id} is asked for more than once in the batch.");
            errors.AddAll(field + ".", own);
            // A service the principal does not see is answered as not found in its place, like the single start.
            requests.Add(!own.Any && inventory.FindService(ServiceId.From(serviceId!.Value)) is { } service && scope.Sees(service.TenantId)
                ? overrides.ToRequest(service, MigrationTrigger.Api, scope.Actor, item.AcceptTargetMiss) with { Urgent = item.Urgent }
                : null);
        }
        if (errors.Any)
            return errors.ToProblem();

        var asked = requests.Select((r, i) => (Request: r, Index: i)).Where(r => r.Request is not null).ToList();
        var results = start.RunBatch(scope, [.. asked.Select(r => r.Request!)]);
        var answers = new BatchItemResult[items.Count];
        for (var i = 0; i < items.Count; i++)
            answers[i] = new BatchItemResult(i, StatusCodes.Status404NotFound, null,
                ApiProblems.NotFound("Service", items[i]!.ServiceId!.Value).Value);
        for (var k = 0; k < asked.Count; k++)
        {
            var index = asked[k].Index;
            answers[index] = Refusal(results[k], out var accepted) is { } problem
                ? new BatchItemResult(index, problem.StatusCode ?? StatusCodes.Status400BadRequest, null, problem.Value)
                : new BatchItemResult(index, StatusCodes.Status202Accepted, View(accepted!, engine), null);
        }
        return TypedResults.Ok(answers.ToList());
    }

    /// <summary>The problem a refused start answers, or null with the migration when it was accepted: one wording for both endpoints.</summary>
    private static ProblemResult? Refusal(MigrationRequestResult result, out Migration? accepted)
    {
        accepted = (result as MigrationRequestResult.Accepted)?.Migration;
        return result switch
        {
            MigrationRequestResult.Accepted => null,
            MigrationRequestResult.NotFound n => new NotFoundProblem("Service not found", n.Detail),
            MigrationRequestResult.Conflict c => new ConflictProblem("Already migrating", c.Detail,
                new Dictionary<string, object?> { ["migrationId"] = c.Existing.Value }),
            MigrationRequestResult.QuotaExceeded q => new QuotaProblem("Tenant quota reached", q.Detail),
            MigrationRequestResult.Infeasible i => new UnprocessableProblem("No plan meets the targets", i.Detail,
                new Dictionary<string, object?> { ["plan"] = i.Planning.Plan, ["bindingConstraint"] = i.Planning.Plan?.BindingConstraint }),
            var other => throw ApiProblems.Unexpected(other),
        };
    }

    private static Results<Ok<List<MigrationViewModel>>, ValidationProblem> List(IMigrationRepository repository, MigrationEngine engine, ClaimsPrincipal user,
        HttpResponse response, string? state, Guid? cluster, Guid? tenant, Guid? service, int? limit, string? before)
    {
        var scope = TenantScope.Of(user);
        var errors = new FieldErrors();
        var cursor = HistoryPaging.Parse(before, errors);
        var states = errors.Text("state", state, InputLimits.Expression)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => errors.Enum<MigrationState>("state", s)).OfType<MigrationState>().ToArray();
        if (limit is < 1 or > 1000)
            errors.Add("limit", $"limit must lie in 1..1000 (was {limit}).");
        if (errors.Any)
            return errors.ToProblem();
        // A tenant principal lists its own tenant's migrations; asking for another tenant's gives none (not a 403, no leak).
        if (scope.Tenant is { } own && tenant is { } asked && asked != own.Value)
            return TypedResults.Ok(new List<MigrationViewModel>());
        var migrations = repository.List(new MigrationQuery(
            Tenant: scope.Tenant ?? (tenant is { } t ? TenantId.From(t) : null),
            Cluster: cluster is { } c ? ClusterId.From(c) : null,
            Service: service is { } s ? ServiceId.From(s) : null,
            States: states,
            Limit: limit ?? 200,
            Before: cursor));
        HistoryPaging.LinkNext(response, migrations.Count, limit ?? 200, migrations.Count > 0 ? MigrationQuery.CursorOf(migrations[^1]) : null);
        return TypedResults.Ok(migrations.Select(m => View(m, engine)).ToList());
    }

    private static Results<Ok<MigrationViewModel>, NotFoundProblem> Get(Guid id, IMigrationRepository repository, MigrationEngine engine, ClaimsPrincipal user)
        => repository.Find(MigrationId.From(id)) is { } migration && TenantScope.Of(user).Sees(migration.TenantId)
            ? TypedResults.Ok(View(migration, engine))
            : ApiProblems.NotFound("Migration", id);

    private static Results<Accepted<MigrationViewModel>, NotFoundProblem, ConflictProblem> Cancel(Guid id, CancelMigration cancel, MigrationEngine engine,
        ClaimsPrincipal user)
        => cancel.Run(TenantScope.Of(user), MigrationId.From(id)) switch
        {
            UseCaseResult<CancelledMigration>.Done d => TypedResults.Accepted($"/api/v1/migrations/{id}", View(d.Value.Migration, engine)),
            UseCaseResult<CancelledMigration>.NotFound n => ApiProblems.NotFound("Migration", n),
            UseCaseResult<CancelledMigration>.Conflict c => ApiProblems.Conflict(c),
            var other => throw ApiProblems.Unexpected(other),
        };

    internal static MigrationViewModel View(Migration migration, MigrationEngine engine)
        => MigrationViewModel.From(migration, engine.Queue.FirstOrDefault(q => q.MigrationId == migration.Id)?.WaitingFor);
}
