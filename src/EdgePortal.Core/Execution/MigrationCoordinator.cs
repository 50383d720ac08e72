using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>A request to move a service: everything but the service is optional and defaults to the service's own settings.</summary>
public sealed record MigrationRequest
{
    public required ServiceId ServiceId { get; init; }
    /// <summary>Go exactly here (it must still pass placement); otherwise the planner picks.</summary>
    public NodeId? Destination { get; init; }
    public KpiTargets? Targets { get; init; }
    public Objective? Objective { get; init; }
    public MigrationStrategy? Strategy { get; init; }
    public int? Iterations { get; init; }
    public MigrationTrigger Trigger { get; init; } = MigrationTrigger.Operator;
    public required string RequestedBy { get; init; }
    /// <summary>Start even when the best plan misses a target (the operator has read why).</summary>
    public bool AcceptTargetMiss { get; init; }
}

/// <summary>How a request ended: accepted and queued, or why not.</summary>
public abstract record MigrationRequestResult
{
    public sealed record Accepted(Migration Migration, PlanningResult Planning) : MigrationRequestResult;
    public sealed record NotFound(string Detail) : MigrationRequestResult;
    /// <summary>The service already has a migration that has not finished.</summary>
    public sealed record Conflict(string Detail, MigrationId Existing) : MigrationRequestResult;
    /// <summary>No node can take the service, or no plan meets the targets (and the request did not accept a miss).</summary>
    public sealed record Infeasible(string Detail, PlanningResult Planning) : MigrationRequestResult;
}

/// <summary>
/// Turns a request into a stored, queued migration: finds the service, plans it (placement and design),
/// checks that nothing else is moving it, stores the plan and hands it to the engine. Every trigger
/// (operator, API, schedule, KPI monitor) comes through here, so every migration is planned the same way.
/// </summary>
public sealed class MigrationCoordinator(IInventoryRepository inventory, IMigrationRepository migrations, MigrationEngine engine,
    IMigrationEventPublisher publisher, IOptionsMonitor<EngineOptions> options, TimeProvider clock, ILogger<MigrationCoordinator> logger)
{
    private readonly Lock _gate = new();

    /// <summary>The plan a request would get, without starting anything.</summary>
    public PlanningResult? Preview(MigrationRequest request)
    {
        var service = inventory.FindService(request.ServiceId);
        var tenant = service is null ? null : inventory.FindTenant(service.TenantId);
        return service is null || tenant is null ? null : Plan(service, tenant, request);
    }

    public MigrationRequestResult Start(MigrationRequest request)
    {
        var service = inventory.FindService(request.ServiceId);
        if (service is null)
            return new MigrationRequestResult.NotFound($"No service has id {request.ServiceId}.");
        var tenant = inventory.FindTenant(service.TenantId);
        if (tenant is null)
            return new MigrationRequestResult.NotFound($"The tenant of service {service.Name} does not exist.");

        var planning = Plan(service, tenant, request);
        if (planning.Plan is not { } plan)
            return new MigrationRequestResult.Infeasible(planning.Summary, planning);
        if (!plan.Feasible && !request.AcceptTargetMiss)
            return new MigrationRequestResult.Infeasible(plan.Rationale, planning);

        lock (_gate)
        {
            var existing = migrations.List(new MigrationQuery(Service: service.Id,
                States: [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack], Limit: 1));
            if (existing.Count > 0)
                return new MigrationRequestResult.Conflict(
                    $"{service.Name} is already being migrated (migration {existing[0].Id} is {existing[0].State}).", existing[0].Id);

            var cluster = inventory.FindNode(service.NodeId)?.ClusterId
                ?? throw new InvalidOperationException($"Service {service.Name} runs on a node that does not exist.");
            var migration = Migration.Create(service, cluster, plan, request.Targets ?? service.Targets,
                request.Objective ?? service.Objective, request.Trigger, request.RequestedBy, clock.GetUtcNow());
            migrations.Save(migration);
            publisher.Publish(migration.DequeueEvents());
            engine.Submit(migration);
            logger.LogInformation("Queued migration {MigrationId} of {Service} ({Trigger} by {RequestedBy}): {Summary}",
                migration.Id, service.Name, request.Trigger, request.RequestedBy, planning.Summary);
            return new MigrationRequestResult.Accepted(migration, planning);
        }
    }

    private PlanningResult Plan(ServiceInstance service, Tenant tenant, MigrationRequest request)
    {
        var cap = options.CurrentValue.MaxReservedBandwidthBitsPerSecond;
        return new MigrationPlanner(inventory.Topology()).Plan(service, tenant, new PlanningOptions
        {
            Destination = request.Destination,
            Targets = request.Targets,
            Objective = request.Objective,
            StrategyOverride = request.Strategy,
            ForcedIterations = request.Iterations,
            BandwidthCap = cap > 0 ? new Bandwidth(cap) : null,
        });
    }
}
