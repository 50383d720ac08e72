using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.UseCases.Nodes;
using EdgePortal.Web.UseCases.Schedules;
using EdgePortal.Web.UseCases.Windows;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

/// <summary>The target of a schedule body: <c>kind</c> (Service, LabelSelector, Node) and the field it needs.</summary>
public sealed record ScheduleTargetBody(string? Kind, Guid? ServiceId, string? Labels, Guid? NodeId);

/// <summary>The body of <c>POST</c>/<c>PUT /api/v1/schedules</c>.</summary>
public sealed record ScheduleBody(
    string? Name,
    string? Kind,
    DateTimeOffset? RunAt,
    string? Cron,
    string? TimeZone,
    ScheduleTargetBody? Target,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    string? Objective,
    string? MisfirePolicy,
    bool? Paused,
    bool? RespectMaintenanceWindows = null);

/// <summary>A schedule as the API shows it: the stored schedule and when it fires next.</summary>
public sealed record ScheduleView(Schedule Schedule, IReadOnlyList<DateTimeOffset> NextFireTimes);

/// <summary>The answer to <c>POST /api/v1/schedules/{id}/run-now</c>: the schedule fired; its run appears in its history.</summary>
public sealed record ScheduleFired(Guid ScheduleId, string Message);

public static class SchedulesApi
{
    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/v1/schedules").WithTags("Schedules");
        schedules.MapGet("/", List).RequireAuthorization(PortalPolicies.Viewer).WithName("ListSchedules").WithSummary("Every schedule with its next fire times.");
        schedules.MapGet("/{id:guid}", Get).RequireAuthorization(PortalPolicies.Viewer).WithName("GetSchedule").WithSummary("One schedule with its next 5 fire times.");
        schedules.MapPost("/", Create).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("CreateSchedule").WithSummary("Create a one-shot or cron schedule; 400 naming the field when a value (cron, time zone, target) is wrong or a cron fires more often than EdgePortal:Limits:MinCronInterval; 409 when the tenant has EdgePortal:Limits:MaxSchedulesPerTenant schedules.");
        schedules.MapPut("/{id:guid}", Update).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("UpdateSchedule").WithSummary("Replace a schedule's settings.");
        schedules.MapDelete("/{id:guid}", Delete).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("DeleteSchedule").WithSummary("Delete a schedule (its runs stay in the history).");
        schedules.MapPost("/{id:guid}/pause", Pause).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("PauseSchedule").WithSummary("Pause: the schedule stops firing until resumed.");
        schedules.MapPost("/{id:guid}/resume", Resume).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("ResumeSchedule").WithSummary("Resume a paused schedule.");
        schedules.MapPost("/{id:guid}/run-now", RunNow).RequireAuthorization(PortalPolicies.TenantAdmin).WithName("RunScheduleNow").WithSummary("Fire the schedule once, now; the run appears in its history.");
        schedules.MapGet("/{id:guid}/runs", Runs).RequireAuthorization(PortalPolicies.Viewer).WithName("ListScheduleRuns").WithSummary("The schedule's runs, newest first, with their outcome.");

        app.MapGet("/api/v1/clusters/{id:guid}/windows", ListWindows).RequireAuthorization(PortalPolicies.Viewer).WithTags("Maintenance windows").WithName("ListWindows").WithSummary("A cluster's maintenance windows.");
        app.MapPost("/api/v1/clusters/{id:guid}/windows", CreateWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithName("AddWindow").WithSummary("Add a weekly maintenance window to a cluster.");
        app.MapPut("/api/v1/clusters/{id:guid}/windows/{windowId:guid}", UpdateWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithName("UpdateWindow").WithSummary("Replace a maintenance window.");
        app.MapDelete("/api/v1/clusters/{id:guid}/windows/{windowId:guid}", DeleteWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithName("DeleteWindow").WithSummary("Remove a maintenance window.");

        app.MapPost("/api/v1/nodes/{id:guid}/drain", Drain).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithName("DrainNode").WithSummary("Cordon a node and migrate every service off it, most urgent first; returns the drain operation.");
        app.MapPost("/api/v1/nodes/{id:guid}/uncordon", Uncordon).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithName("UncordonNode").WithSummary("Let a cordoned node take services again; 409 while a drain of it is running.");
        app.MapGet("/api/v1/drains/{id:guid}", GetDrain).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithName("GetDrain").WithSummary("A drain operation and the state of each service.");
        app.MapGet("/api/v1/automation/decisions", Decisions).RequireAuthorization(PortalPolicies.Viewer).WithTags("Automation").WithName("ListDecisions").WithSummary("The KPI monitor's decisions, newest first, with their reasons.");
        return app;
    }

    private static ScheduleView View(Schedule schedule, ScheduleRegistry registry) => new(schedule, registry.NextFireTimes(schedule, 5));

    private static Ok<List<ScheduleView>> List(IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user)
    {
        var scope = TenantScope.Of(user);
        return TypedResults.Ok(repository.List().Where(s => ScheduleAccess.Sees(scope, s)).Select(s => View(s, registry)).ToList());
    }

    private static Results<Ok<ScheduleView>, NotFoundProblem> Get(Guid id, ScheduleAccess schedules, ScheduleRegistry registry, ClaimsPrincipal user)
        => schedules.Find(TenantScope.Of(user), ScheduleId.From(id)) is { } s ? TypedResults.Ok(View(s, registry)) : ApiProblems.NotFound("Schedule", id);

    /// <summary>The body as a draft, or the 400 naming what cannot even be read (a kind or objective that is no enum value).</summary>
    private static ScheduleDraft? Draft(ScheduleBody? body, Schedule? existing, out ValidationProblem? problem)
    {
        var errors = new FieldErrors();
        problem = null;
        if (body is null)
        {
            problem = ApiProblems.MissingBody("A JSON body with name, kind, cron or runAt, timeZone and target is required.");
            return null;
        }
        var kind = errors.Enum<ScheduleKind>("kind", body.Kind, required: true);
        var targetKind = errors.Enum<ScheduleTargetKind>("target.kind", body.Target?.Kind, required: true);
        var objective = errors.Enum<Objective>("objective", body.Objective);
        var misfire = errors.Enum<MisfirePolicy>("misfirePolicy", body.MisfirePolicy);
        // Lengths are checked here too, so that a body wrong in several ways names every field at once.
        errors.Text("name", body.Name, InputLimits.Name);
        errors.Text("cron", body.Cron, InputLimits.Expression);
        errors.Text("timeZone", body.TimeZone, InputLimits.Expression);
        errors.Text("target.labels", body.Target?.Labels, InputLimits.FreeText);
        if (errors.Any)
        {
            problem = errors.ToProblem();
            return null;
        }
        return new ScheduleDraft
        {
            Name = body.Name,
            Kind = kind!.Value,
            RunAt = body.RunAt,
            Cron = body.Cron,
            TimeZone = body.TimeZone ?? "UTC",
            TargetKind = targetKind!.Value,
            ServiceId = body.Target!.ServiceId,
            Labels = body.Target.Labels,
            NodeId = body.Target.NodeId,
            MaxDowntimeMs = body.MaxDowntimeMs,
            MaxMigrationTimeMs = body.MaxMigrationTimeMs,
            MaxUserLatencyMs = body.MaxUserLatencyMs,
            Objective = objective,
            Misfire = misfire ?? MisfirePolicy.RunOnceLate,
            RespectMaintenanceWindows = body.RespectMaintenanceWindows ?? existing?.RespectMaintenanceWindows ?? true,
            Paused = body.Paused ?? existing?.Paused ?? false,
        };
    }

    private static async Task<Results<Created<ScheduleView>, ValidationProblem, ConflictProblem>> Create(ScheduleBody? body, CreateSchedule create,
        ScheduleRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (Draft(body, null, out var problem) is not { } draft)
            return problem!;
        return await create.RunAsync(TenantScope.Of(user), draft, cancellationToken) switch
        {
            UseCaseResult<Schedule>.Done d => TypedResults.Created($"/api/v1/schedules/{d.Value.Id}", View(d.Value, registry)),
            UseCaseResult<Schedule>.Invalid i => ApiProblems.Invalid(i),
            UseCaseResult<Schedule>.Conflict c => ApiProblems.Conflict(c),
            var other => throw ApiProblems.Unexpected(other),
        };
    }

    private static async Task<Results<Ok<ScheduleView>, ValidationProblem, NotFoundProblem>> Update(Guid id, ScheduleBody? body, UpdateSchedule update,
        ScheduleAccess schedules, ScheduleRegistry registry, ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        var scope = TenantScope.Of(user);
        if (schedules.Find(scope, ScheduleId.From(id)) is not { } existing)
            return ApiProblems.NotFound("Schedule", id);
        if (Draft(body, existing, out var problem) is not { } draft)
            return problem!;
        return await update.RunAsync(scope, existing.Id, draft, body!.Paused, cancellationToken) switch
        {
            UseCaseResult<Schedule>.Done d => TypedResults.Ok(View(d.Value, registry)),
            UseCaseResult<Schedule>.Invalid i => ApiProblems.Invalid(i),
            UseCaseResult<Schedule>.NotFound n => ApiProblems.NotFound("Schedule", n),
            var other => throw ApiProblems.Unexpected(other),
        };
    }

    private static async Task<Results<NoContent, NotFoundProblem>> Delete(Guid id, DeleteSchedule delete, ClaimsPrincipal user, CancellationToken cancellationToken)
        => await delete.RunAsync(TenantScope.Of(user), ScheduleId.From(id), cancellationToken) switch
        {
            UseCaseResult<Schedule>.Done => TypedResults.NoContent(),
            UseCaseResult<Schedule>.NotFound n => ApiProblems.NotFound("Schedule", n),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static async Task<Results<Ok<ScheduleView>, NotFoundProblem>> Pause(Guid id, PauseSchedule pause, ScheduleRegistry registry, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => Changed(await pause.RunAsync(TenantScope.Of(user), ScheduleId.From(id), cancellationToken), registry);

    private static async Task<Results<Ok<ScheduleView>, NotFoundProblem>> Resume(Guid id, ResumeSchedule resume, ScheduleRegistry registry, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => Changed(await resume.RunAsync(TenantScope.Of(user), ScheduleId.From(id), cancellationToken), registry);

    private static Results<Ok<ScheduleView>, NotFoundProblem> Changed(UseCaseResult<Schedule> result, ScheduleRegistry registry) => result switch
    {
        UseCaseResult<Schedule>.Done d => TypedResults.Ok(View(d.Value, registry)),
        UseCaseResult<Schedule>.NotFound n => ApiProblems.NotFound("Schedule", n),
        var other => throw ApiProblems.Unexpected(other),
    };

    private static async Task<Results<Accepted<ScheduleFired>, NotFoundProblem>> RunNow(Guid id, RunScheduleNow runNow, ClaimsPrincipal user,
        CancellationToken cancellationToken)
        => await runNow.RunAsync(TenantScope.Of(user), ScheduleId.From(id), cancellationToken) switch
        {
            UseCaseResult<Schedule>.Done => TypedResults.Accepted($"/api/v1/schedules/{id}/runs",
                new ScheduleFired(id, "Fired; the run appears in the schedule's history.")),
            UseCaseResult<Schedule>.NotFound n => ApiProblems.NotFound("Schedule", n),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Ok<IReadOnlyList<ScheduleRun>>, ValidationProblem, NotFoundProblem> Runs(Guid id, IScheduleRepository repository,
        ScheduleAccess schedules, ClaimsPrincipal user, int? limit)
    {
        if (limit is < 1 or > 500)
            return ApiProblems.Invalid("limit", $"limit must lie in 1..500 (was {limit}).");
        return schedules.Find(TenantScope.Of(user), ScheduleId.From(id)) is null
            ? ApiProblems.NotFound("Schedule", id)
            : TypedResults.Ok(repository.Runs(ScheduleId.From(id), limit ?? 50));
    }

    private static Results<Ok<IReadOnlyList<MaintenanceWindow>>, NotFoundProblem> ListWindows(Guid id, IInventoryRepository inventory,
        IMaintenanceWindowRepository windows, ClaimsPrincipal user)
        => inventory.FindCluster(ClusterId.From(id)) is null || !TenantView.Of(TenantScope.Of(user), inventory).SeesCluster(ClusterId.From(id))
            ? ApiProblems.NotFound("Cluster", id) : TypedResults.Ok(windows.List(ClusterId.From(id)));

    private static Results<Created<MaintenanceWindow>, ValidationProblem, NotFoundProblem> CreateWindow(Guid id, MaintenanceWindowBody? body,
        AddMaintenanceWindow add, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody("A JSON body with name, days, start, durationMinutes and timeZone is required.")
            : add.Run(TenantScope.Of(user), ClusterId.From(id), body) switch
            {
                UseCaseResult<MaintenanceWindow>.Done d => TypedResults.Created($"/api/v1/clusters/{id}/windows/{d.Value.Id}", d.Value),
                UseCaseResult<MaintenanceWindow>.Invalid i => ApiProblems.Invalid(i),
                UseCaseResult<MaintenanceWindow>.NotFound n => ApiProblems.NotFound("Cluster", n),
                var other => throw ApiProblems.Unexpected(other),
            };

    private static Results<Ok<MaintenanceWindow>, ValidationProblem, NotFoundProblem> UpdateWindow(Guid id, Guid windowId, MaintenanceWindowBody? body,
        UpdateMaintenanceWindow update, ClaimsPrincipal user)
        => body is null ? ApiProblems.MissingBody("A JSON body with name, days, start, durationMinutes and timeZone is required.")
            : update.Run(TenantScope.Of(user), ClusterId.From(id), MaintenanceWindowId.From(windowId), body) switch
            {
                UseCaseResult<MaintenanceWindow>.Done d => TypedResults.Ok(d.Value),
                UseCaseResult<MaintenanceWindow>.Invalid i => ApiProblems.Invalid(i),
                UseCaseResult<MaintenanceWindow>.NotFound n => ApiProblems.NotFound("Maintenance window", n),
                var other => throw ApiProblems.Unexpected(other),
            };

    private static Results<NoContent, NotFoundProblem> DeleteWindow(Guid id, Guid windowId, DeleteMaintenanceWindow delete, ClaimsPrincipal user)
        => delete.Run(TenantScope.Of(user), ClusterId.From(id), MaintenanceWindowId.From(windowId)) switch
        {
            UseCaseResult<MaintenanceWindow>.Done => TypedResults.NoContent(),
            UseCaseResult<MaintenanceWindow>.NotFound n => ApiProblems.NotFound("Maintenance window", n),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Accepted<DrainOperation>, NotFoundProblem, ConflictProblem> Drain(Guid id, DrainNode drain, ClaimsPrincipal user)
        => drain.Run(TenantScope.Of(user), NodeId.From(id)) switch
        {
            DrainStartResult.Started s => TypedResults.Accepted($"/api/v1/drains/{s.Drain.Id}", s.Drain),
            DrainStartResult.Conflict c => new ConflictProblem("Already draining", c.Detail, new Dictionary<string, object?> { ["drainId"] = c.Existing.Value }),
            DrainStartResult.NotFound n => new NotFoundProblem("Node not found", n.Detail),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Ok<EdgeNode>, NotFoundProblem, ConflictProblem> Uncordon(Guid id, UncordonNode uncordon, ClaimsPrincipal user)
        => uncordon.Run(TenantScope.Of(user), NodeId.From(id)) switch
        {
            UseCaseResult<EdgeNode>.Done d => TypedResults.Ok(d.Value),
            UseCaseResult<EdgeNode>.NotFound n => ApiProblems.NotFound("Node", n),
            UseCaseResult<EdgeNode>.Conflict c => ApiProblems.Conflict(c),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Ok<DrainOperation>, NotFoundProblem> GetDrain(Guid id, IDrainRepository drains)
        => drains.Find(DrainId.From(id)) is { } d ? TypedResults.Ok(d) : ApiProblems.NotFound("Drain", id);

    private static Results<Ok<IReadOnlyList<AutomationDecision>>, ValidationProblem> Decisions(IAutomationDecisionRepository decisions, IInventoryRepository inventory,
        ClaimsPrincipal user, Guid? service, int? limit)
    {
        if (limit is < 1 or > 1000)
            return ApiProblems.Invalid("limit", $"limit must lie in 1..1000 (was {limit}).");
        var scope = TenantScope.Of(user);
        if (scope.Tenant is not { } tenant)
            return TypedResults.Ok(decisions.List(service is { } s ? ServiceId.From(s) : null, limit ?? 200));
        // A tenant sees the decisions about its own services only.
        var own = inventory.Services().Where(x => x.TenantId == tenant).Select(x => x.Id).ToHashSet();
        if (service is { } asked && !own.Contains(ServiceId.From(asked)))
            return TypedResults.Ok<IReadOnlyList<AutomationDecision>>([]);
        return TypedResults.Ok<IReadOnlyList<AutomationDecision>>(
            [.. decisions.List(service is { } one ? ServiceId.From(one) : null, 1000).Where(d => own.Contains(d.ServiceId)).Take(limit ?? 200)]);
    }
}
