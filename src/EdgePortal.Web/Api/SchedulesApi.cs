using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

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

/// <summary>The body of <c>POST /api/v1/clusters/{id}/windows</c>: days by name, start as HH:mm, duration in minutes.</summary>
public sealed record MaintenanceWindowBody(string? Name, string[]? Days, string? Start, int? DurationMinutes, string? TimeZone);

public static class SchedulesApi
{
    public static IEndpointRouteBuilder MapSchedulesApi(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/v1/schedules").WithTags("Schedules");
        schedules.MapGet("/", List).RequireAuthorization(PortalPolicies.Viewer).WithSummary("Every schedule with its next fire times.");
        schedules.MapGet("/{id:guid}", Get).RequireAuthorization(PortalPolicies.Viewer).WithSummary("One schedule with its next 5 fire times.");
        schedules.MapPost("/", Create).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Create a one-shot or cron schedule; 400 naming the field when a value (cron, time zone, target) is wrong.");
        schedules.MapPut("/{id:guid}", Update).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Replace a schedule's settings.");
        schedules.MapDelete("/{id:guid}", Delete).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Delete a schedule (its runs stay in the history).");
        schedules.MapPost("/{id:guid}/pause", Pause).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Pause: the schedule stops firing until resumed.");
        schedules.MapPost("/{id:guid}/resume", Resume).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Resume a paused schedule.");
        schedules.MapPost("/{id:guid}/run-now", RunNow).RequireAuthorization(PortalPolicies.TenantAdmin).WithSummary("Fire the schedule once, now; the run appears in its history.");
        schedules.MapGet("/{id:guid}/runs", Runs).RequireAuthorization(PortalPolicies.Viewer).WithSummary("The schedule's runs, newest first, with their outcome.");

        app.MapGet("/api/v1/clusters/{id:guid}/windows", ListWindows).RequireAuthorization(PortalPolicies.Viewer).WithTags("Maintenance windows").WithSummary("A cluster's maintenance windows.");
        app.MapPost("/api/v1/clusters/{id:guid}/windows", CreateWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithSummary("Add a weekly maintenance window to a cluster.");
        app.MapPut("/api/v1/clusters/{id:guid}/windows/{windowId:guid}", UpdateWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithSummary("Replace a maintenance window.");
        app.MapDelete("/api/v1/clusters/{id:guid}/windows/{windowId:guid}", DeleteWindow).RequireAuthorization(PortalPolicies.Provider).WithTags("Maintenance windows").WithSummary("Remove a maintenance window.");

        app.MapPost("/api/v1/nodes/{id:guid}/drain", Drain).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithSummary("Cordon a node and migrate every service off it, most urgent first; returns the drain operation.");
        app.MapPost("/api/v1/nodes/{id:guid}/uncordon", Uncordon).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithSummary("Let a cordoned node take services again; 409 while a drain of it is running.");
        app.MapGet("/api/v1/drains/{id:guid}", GetDrain).RequireAuthorization(PortalPolicies.Provider).WithTags("Automation").WithSummary("A drain operation and the state of each service.");
        app.MapGet("/api/v1/automation/decisions", Decisions).RequireAuthorization(PortalPolicies.Viewer).WithTags("Automation").WithSummary("The KPI monitor's decisions, newest first, with their reasons.");
        return app;
    }

    private static IResult NotFound(string what, Guid id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{what} not found", detail: $"No {what.ToLowerInvariant()} has id {id}.");

    /// <summary>A tenant sees its own schedules; a provider sees all. Another tenant's schedule is answered as not found.</summary>
    private static bool Sees(ClaimsPrincipal user, Schedule schedule) => TenantScope.Of(user) is var scope && (scope.IsProvider || schedule.TenantId == scope.Tenant);

    private static Schedule? Visible(IScheduleRepository repository, Guid id, ClaimsPrincipal user)
        => repository.Find(ScheduleId.From(id)) is { } s && Sees(user, s) ? s : null;

    private static IResult List(IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user)
        => Results.Ok(repository.List().Where(s => Sees(user, s)).Select(s => new ScheduleView(s, registry.NextFireTimes(s, 5))).ToList());

    private static IResult Get(Guid id, IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user)
        => Visible(repository, id, user) is { } s ? Results.Ok(new ScheduleView(s, registry.NextFireTimes(s, 5))) : NotFound("Schedule", id);

    private static Task<IResult> Create(ScheduleBody? body, IScheduleRepository repository, ScheduleRegistry registry, IScheduleCalendar calendar,
        IInventoryRepository inventory, TimeProvider clock, ClaimsPrincipal user, AuditTrail audit, CancellationToken cancellationToken)
        => Save(null, body, repository, registry, calendar, inventory, clock, TenantScope.Of(user), audit, cancellationToken);

    private static async Task<IResult> Update(Guid id, ScheduleBody? body, IScheduleRepository repository, ScheduleRegistry registry, IScheduleCalendar calendar,
        IInventoryRepository inventory, TimeProvider clock, ClaimsPrincipal user, AuditTrail audit, CancellationToken cancellationToken)
        => Visible(repository, id, user) is { } existing
            ? await Save(existing, body, repository, registry, calendar, inventory, clock, TenantScope.Of(user), audit, cancellationToken)
            : NotFound("Schedule", id);

    private static async Task<IResult> Save(Schedule? existing, ScheduleBody? body, IScheduleRepository repository, ScheduleRegistry registry,
        IScheduleCalendar calendar, IInventoryRepository inventory, TimeProvider clock, TenantScope scope, AuditTrail audit, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        if (body is null)
        {
            errors.Add("body", "A JSON body with name, kind, cron or runAt, timeZone and target is required.");
            return errors.ToProblem();
        }
        var kind = errors.Enum<ScheduleKind>("kind", body.Kind, required: true);
        var targetKind = errors.Enum<ScheduleTargetKind>("target.kind", body.Target?.Kind, required: true);
        var objective = errors.Enum<Objective>("objective", body.Objective);
        var misfire = errors.Enum<MisfirePolicy>("misfirePolicy", body.MisfirePolicy);
        if (errors.Any)
            return errors.ToProblem();
        var draft = new ScheduleDraft
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
            // A tenant's schedule acts with its tenant's rights; an edit keeps the schedule's tenant.
            Tenant = existing is null ? scope.Tenant : existing.TenantId,
        };
        if (!draft.TryBuild(existing, calendar, inventory, clock.GetUtcNow(), scope.Actor, out var schedule, out var problems))
        {
            foreach (var (field, message) in problems)
                errors.Add(field, message);
            return errors.ToProblem();
        }
        if (existing is not null && body.Paused is { } paused)
            schedule = paused ? schedule!.Pause(clock.GetUtcNow()) : schedule!.Resume(clock.GetUtcNow());
        await registry.SaveAsync(schedule!, cancellationToken);
        audit.Record(scope, existing is null ? Core.Security.AuditActions.ScheduleCreate : Core.Security.AuditActions.ScheduleUpdate,
            $"schedule {schedule!.Name} ({schedule.Id})", $"{schedule.Kind} {schedule.Cron ?? schedule.RunAt?.ToString("u")} → {schedule.Target.Kind}", schedule.TenantId);
        var view = new ScheduleView(schedule!, registry.NextFireTimes(schedule!, 5));
        return existing is null ? Results.Created($"/api/v1/schedules/{schedule!.Id}", view) : Results.Ok(view);
    }

    private static async Task<IResult> Delete(Guid id, IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (Visible(repository, id, user) is not { } schedule || !await registry.DeleteAsync(ScheduleId.From(id), cancellationToken))
            return NotFound("Schedule", id);
        audit.Record(TenantScope.Of(user), Core.Security.AuditActions.ScheduleDelete, $"schedule {schedule.Name} ({schedule.Id})", tenant: schedule.TenantId);
        return Results.NoContent();
    }

    private static Task<IResult> Pause(Guid id, IScheduleRepository repository, ScheduleRegistry registry, TimeProvider clock, ClaimsPrincipal user, AuditTrail audit,
        CancellationToken cancellationToken)
        => Change(id, repository, registry, user, audit, Core.Security.AuditActions.SchedulePause, s => s.Pause(clock.GetUtcNow()), cancellationToken);

    private static Task<IResult> Resume(Guid id, IScheduleRepository repository, ScheduleRegistry registry, TimeProvider clock, ClaimsPrincipal user, AuditTrail audit,
        CancellationToken cancellationToken)
        => Change(id, repository, registry, user, audit, Core.Security.AuditActions.ScheduleResume, s => s.Resume(clock.GetUtcNow()), cancellationToken);

    private static async Task<IResult> Change(Guid id, IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user, AuditTrail audit, string action,
        Func<Schedule, Schedule> change, CancellationToken cancellationToken)
    {
        if (Visible(repository, id, user) is not { } schedule)
            return NotFound("Schedule", id);
        var changed = change(schedule);
        if (!ReferenceEquals(changed, schedule))
        {
            await registry.SaveAsync(changed, cancellationToken);
            audit.Record(TenantScope.Of(user), action, $"schedule {schedule.Name} ({schedule.Id})", tenant: schedule.TenantId);
        }
        return Results.Ok(new ScheduleView(changed, registry.NextFireTimes(changed, 5)));
    }

    private static async Task<IResult> RunNow(Guid id, IScheduleRepository repository, ScheduleRegistry registry, ClaimsPrincipal user, AuditTrail audit,
        CancellationToken cancellationToken)
    {
        if (Visible(repository, id, user) is not { } schedule)
            return NotFound("Schedule", id);
        await registry.RunNowAsync(schedule, cancellationToken);
        audit.Record(TenantScope.Of(user), Core.Security.AuditActions.ScheduleRunNow, $"schedule {schedule.Name} ({schedule.Id})", tenant: schedule.TenantId);
        return Results.Accepted($"/api/v1/schedules/{id}/runs", new { scheduleId = id, message = "Fired; the run appears in the schedule's history." });
    }

    private static IResult Runs(Guid id, IScheduleRepository repository, ClaimsPrincipal user, int? limit)
    {
        if (limit is < 1 or > 500)
        {
            var errors = new FieldErrors();
            errors.Add("limit", $"limit must lie in 1..500 (was {limit}).");
            return errors.ToProblem();
        }
        return Visible(repository, id, user) is null ? NotFound("Schedule", id) : Results.Ok(repository.Runs(ScheduleId.From(id), limit ?? 50));
    }

    private static IResult ListWindows(Guid id, IInventoryRepository inventory, IMaintenanceWindowRepository windows, ClaimsPrincipal user)
        => inventory.FindCluster(ClusterId.From(id)) is null || !TenantView.Of(TenantScope.Of(user), inventory).SeesCluster(ClusterId.From(id))
            ? NotFound("Cluster", id) : Results.Ok(windows.List(ClusterId.From(id)));

    private static IResult CreateWindow(Guid id, MaintenanceWindowBody? body, IInventoryRepository inventory, IMaintenanceWindowRepository windows, IScheduleCalendar calendar)
        => SaveWindow(id, MaintenanceWindowId.New(), body, inventory, windows, calendar, created: true);

    private static IResult UpdateWindow(Guid id, Guid windowId, MaintenanceWindowBody? body, IInventoryRepository inventory, IMaintenanceWindowRepository windows,
        IScheduleCalendar calendar)
        => windows.Find(MaintenanceWindowId.From(windowId)) is { } w && w.ClusterId.Value == id
            ? SaveWindow(id, w.Id, body, inventory, windows, calendar, created: false)
            : NotFound("Maintenance window", windowId);

    private static IResult SaveWindow(Guid clusterId, MaintenanceWindowId windowId, MaintenanceWindowBody? body, IInventoryRepository inventory,
        IMaintenanceWindowRepository windows, IScheduleCalendar calendar, bool created)
    {
        if (inventory.FindCluster(ClusterId.From(clusterId)) is null)
            return NotFound("Cluster", clusterId);
        var errors = new FieldErrors();
        var window = MaintenanceWindowInput.TryBuild(ClusterId.From(clusterId), windowId, body?.Name, body?.Days, body?.Start, body?.DurationMinutes,
            body?.TimeZone, calendar, errors.Add);
        if (window is null)
            return errors.ToProblem();
        windows.Save(window);
        return created ? Results.Created($"/api/v1/clusters/{clusterId}/windows/{window.Id}", window) : Results.Ok(window);
    }

    private static IResult DeleteWindow(Guid id, Guid windowId, IMaintenanceWindowRepository windows)
        => windows.Find(MaintenanceWindowId.From(windowId)) is { } w && w.ClusterId.Value == id && windows.Delete(w.Id)
            ? Results.NoContent() : NotFound("Maintenance window", windowId);

    private static IResult Drain(Guid id, NodeDrainer drainer)
        => drainer.Start(NodeId.From(id), "api") switch
        {
            DrainStartResult.Started s => Results.Accepted($"/api/v1/drains/{s.Drain.Id}", s.Drain),
            DrainStartResult.Conflict c => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already draining", detail: c.Detail,
                extensions: new Dictionary<string, object?> { ["drainId"] = c.Existing }),
            DrainStartResult.NotFound => NotFound("Node", id),
            _ => throw new InvalidOperationException("Unexpected drain result."),
        };

    private static IResult Uncordon(Guid id, IInventoryRepository inventory, IDrainRepository drains)
    {
        if (inventory.FindNode(NodeId.From(id)) is not { IsRetired: false } node)
            return NotFound("Node", id);
        if (drains.List().FirstOrDefault(d => d.NodeId == node.Id && d.State == DrainState.Running) is { } running)
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Node is being drained",
                detail: $"Drain {running.Id} of {node.Name} is still running; wait for it or let it finish before uncordoning.",
                extensions: new Dictionary<string, object?> { ["drainId"] = running.Id });
        if (node.Status == NodeStatus.Cordoned)
            inventory.Save(node.WithStatus(NodeStatus.Ready));
        return Results.Ok(inventory.FindNode(node.Id));
    }

    private static IResult GetDrain(Guid id, IDrainRepository drains)
        => drains.Find(DrainId.From(id)) is { } d ? Results.Ok(d) : NotFound("Drain", id);

    private static IResult Decisions(IAutomationDecisionRepository decisions, IInventoryRepository inventory, ClaimsPrincipal user, Guid? service, int? limit)
    {
        if (limit is < 1 or > 1000)
        {
            var errors = new FieldErrors();
            errors.Add("limit", $"limit must lie in 1..1000 (was {limit}).");
            return errors.ToProblem();
        }
        var scope = TenantScope.Of(user);
        if (scope.Tenant is not { } tenant)
            return Results.Ok(decisions.List(service is { } s ? ServiceId.From(s) : null, limit ?? 200));
        // A tenant sees the decisions about its own services only.
        var own = inventory.Services().Where(x => x.TenantId == tenant).Select(x => x.Id).ToHashSet();
        if (service is { } asked && !own.Contains(ServiceId.From(asked)))
            return Results.Ok(Array.Empty<AutomationDecision>());
        return Results.Ok(decisions.List(service is { } one ? ServiceId.From(one) : null, 1000).Where(d => own.Contains(d.ServiceId)).Take(limit ?? 200).ToList());
    }
}
