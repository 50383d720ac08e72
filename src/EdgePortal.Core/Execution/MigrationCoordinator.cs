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
    /// <summary>
    /// The tenant whose rights the request carries (a tenant user, key, or schedule); null for the provider. A service of
    /// another tenant is answered as not found, so a request cannot learn that it exists.
    /// </summary>
    public TenantId? ActingTenant { get; init; }
    /// <summary>In a batch (<see cref="MigrationCoordinator.StartBatch"/>), planned before the others.</summary>
    public bool Urgent { get; init; }
    /// <summary>Set by <see cref="MigrationCoordinator.StartBatch"/>: how the batch was planned and where this one is in its order, for the plan's rationale.</summary>
    public string? BatchNote { get; init; }
    /// <summary>The batch it is planned with, stored with the migration (<see cref="MigrationCoordinator.StartBatch"/> sets it).</summary>
    public BatchId? Batch { get; init; }
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
    /// <summary>The tenant is at its quota of concurrent migrations or reserved bandwidth.</summary>
    public sealed record QuotaExceeded(string Detail) : MigrationRequestResult;
}

/// <summary>
/// Turns a request into a stored, queued migration: finds the service, plans it (placement and design),
/// checks that nothing else is moving it, stores the plan and hands it to the engine. Every trigger
/// (operator, API, schedule, KPI monitor) comes through here, so every migration is planned the same way.
/// </summary>
public sealed class MigrationCoordinator(IInventoryRepository inventory, IMigrationRepository migrations, MigrationEngine engine,
    IMigrationEventPublisher publisher, IOptionsMonitor<EngineOptions> options, TimeProvider clock, ILogger<MigrationCoordinator> logger,
    RuntimeCapabilityCatalog? capabilities = null, Security.IAuditLog? audit = null, Calibration.ICalibrationRepository? calibrations = null,
    IOptionsMonitor<Capacity.BurstPlanningOptions>? burstPlanning = null)
{
    private readonly Lock _gate = new();

    /// <summary>The plan a request would get, without starting anything.</summary>
    public PlanningResult? Preview(MigrationRequest request)
    {
        var service = Visible(request);
        var tenant = service is null ? null : inventory.FindTenant(service.TenantId);
        return service is null || tenant is null ? null : Plan(service, tenant, request, ReservedBy(tenant)).Planning;
    }

    public MigrationRequestResult Start(MigrationRequest request)
    {
        var service = Visible(request);
        if (service is null)
            return new MigrationRequestResult.NotFound($"No service has id {request.ServiceId}.");
        var tenant = inventory.FindTenant(service.TenantId);
        if (tenant is null)
            return new MigrationRequestResult.NotFound($"The tenant of service {service.Name} does not exist.");

        // A drain is the provider's operation and must empty the node: it is not held to the tenant's quota.
        var quotaApplies = request.Trigger != MigrationTrigger.Drain;
        if (quotaApplies && QuotaProblem(tenant) is { } quota)
            return new MigrationRequestResult.QuotaExceeded(quota);
        using var trace = MigrationTracing.Request(service, request.Trigger);
        EdgeTopology? planned = null;
        var planning = trace.Plan(() =>
        {
            var (result, on) = Plan(service, tenant, request, ReservedBy(tenant));
            planned = on;
            return result;
        });
        var topology = planned!;
        if (request.BatchNote is { } note && planning.Design is { } noted)
            planning = planning with { Design = noted with { Plan = noted.Plan with { Rationale = $"{noted.Plan.Rationale} {note}" } } };
        if (planning.Plan is not { } plan)
            return new MigrationRequestResult.Infeasible(planning.Summary, planning);
        // A strategy the node pair's runtime cannot run is refused here, accepted miss or not, never at its first step.
        if (!plan.Feasible && (!request.AcceptTargetMiss || !planning.Design!.Chosen.Applicable))
            return new MigrationRequestResult.Infeasible(plan.Rationale, planning);

        lock (_gate)
        {
            // Checked again under the gate: two requests of one tenant must not both take its last slot.
            if (quotaApplies && QuotaProblem(tenant) is { } raced)
                return new MigrationRequestResult.QuotaExceeded(raced);
            var existing = migrations.List(new MigrationQuery(Service: service.Id,
                States: [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack], Limit: 1));
            if (existing.Count > 0)
                return new MigrationRequestResult.Conflict(
                    $"{service.Name} is already being migrated (migration {existing[0].Id} is {existing[0].State}).", existing[0].Id);

            var cluster = inventory.FindNode(service.NodeId)?.ClusterId
                ?? throw new InvalidOperationException($"Service {service.Name} runs on a node that does not exist.");
            IReadOnlyList<LinkReservation>? reservations = null;
            if (options.CurrentValue.LinkReservations)
            {
                // Another request may have reserved part of the path since this one planned: checked again under the gate.
                if (!StillFits(topology, plan))
                {
                    (planning, topology) = Plan(service, tenant, request, ReservedBy(tenant));
                    if (planning.Plan is not { } replanned || (!replanned.Feasible && (!request.AcceptTargetMiss || !planning.Design!.Chosen.Applicable)))
                        return new MigrationRequestResult.Infeasible(planning.Plan?.Rationale ?? planning.Summary, planning);
                    plan = replanned;
                }
                reservations = Capacity.LinkLedger.ReservationsOf(topology, plan);
            }
            var migration = Migration.Create(service, cluster, plan, request.Targets ?? service.Targets,
                request.Objective ?? service.Objective, request.Trigger, request.RequestedBy, clock.GetUtcNow(), reservations, request.Batch);
            migrations.Save(migration);
            publisher.Publish(migration.DequeueEvents());
            trace.Queued(migration);
            engine.Submit(migration);
            // Every trigger comes through here, so this is where every started migration is audited.
            audit?.Append(new Security.AuditEntry
            {
                Id = Guid.CreateVersion7(),
                At = clock.GetUtcNow(),
                Actor = request.RequestedBy,
                Action = Security.AuditActions.Start,
                Target = $"service {service.Name} ({service.Id})",
                Detail = $"migration {migration.Id} ({request.Trigger}): {planning.Summary}",
                TenantId = service.TenantId.Value,
            });
            logger.LogInformation("Queued migration {MigrationId} of {Service} ({Trigger} by {RequestedBy}): {Summary}",
                migration.Id, service.Name, request.Trigger, request.RequestedBy, planning.Summary);
            return new MigrationRequestResult.Accepted(migration, planning);
        }
    }

    /// <summary>
    /// Starts migrations that arrive together (a drain, a schedule's firing, a KPI evaluation, a batch call) as one batch:
    /// <see cref="Capacity.BurstPlanner.Joint"/> picks the order in which they are planned on the ledger (urgent first, then so
    /// that the most meet their targets) and, when CP-SAT decided, their destinations; each is then started in that order, so each
    /// plans on what those before it reserved, and its rationale says which planner decided. The results come back in the order of <paramref name="requests"/>.
    /// Every migration it starts is stored with one new <see cref="BatchId"/> (<see cref="Migration.BatchId"/>), so that the batch's plan can be shown as one.
    /// </summary>
    /// <param name="timeLimit">Overrides <c>EdgePortal:Planning:SolverTimeLimit</c> for this batch.</param>
    public IReadOnlyList<MigrationRequestResult> StartBatch(IReadOnlyList<MigrationRequest> requests, TimeSpan? timeLimit = null)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var batchId = BatchId.New();
        requests = [.. requests.Select(r => r with { Batch = batchId })];
        var topology = inventory.Topology();
        var planner = new MigrationPlanner(topology);
        var batch = new List<Capacity.BurstRequest>();
        var indexOf = new Dictionary<Capacity.BurstRequest, int>();
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            if (Visible(request) is not { } service || inventory.FindTenant(service.TenantId) is not { } tenant)
                continue;
            var burst = new Capacity.BurstRequest(service, tenant, OptionsFor(tenant, request, ReservedBy(tenant)), request.Urgent);
            batch.Add(burst);
            indexOf[burst] = i;
        }
        var order = new List<int>(requests.Count);
        var planned = new MigrationRequest[requests.Count];
        if (options.CurrentValue.LinkReservations && batch.Count > 1)
        {
            var configured = burstPlanning?.CurrentValue ?? new Capacity.BurstPlanningOptions();
            var engine = options.CurrentValue;
            var schedule = new Capacity.BurstPlanner(planner, Ledger(topology)).Joint(batch, new Capacity.BurstPlanningOptions
            {
                SolverTimeLimit = timeLimit ?? configured.SolverTimeLimit,
                SolverMaxBatch = configured.SolverMaxBatch,
                SolverDestinations = configured.SolverDestinations,
                SlotsPerCluster = engine.MaxConcurrentPerCluster,
                SlotsPerNode = engine.MaxOutboundPerNode,
            });
            logger.LogInformation("Batch of {Count}: {Decision}", batch.Count, schedule.Decision);
            for (var k = 0; k < schedule.Entries.Count; k++)
            {
                var entry = schedule.Entries[k];
                var i = indexOf[entry.Request];
                order.Add(i);
                planned[i] = requests[i] with { Destination = requests[i].Destination ?? entry.SolverDestination, BatchNote = schedule.NoteFor(k) };
            }
        }
        else
            order.AddRange(batch.Select(b => indexOf[b]));
        // Requests for services not found go last: each is answered as not found by Start.
        var ordered = order.ToHashSet();
        for (var i = 0; i < requests.Count; i++)
            if (!ordered.Contains(i))
                order.Add(i);
        var results = new MigrationRequestResult[requests.Count];
        foreach (var i in order)
            results[i] = Start(planned[i] ?? requests[i]);
        return results;
    }

    private ServiceInstance? Visible(MigrationRequest request)
        => inventory.FindService(request.ServiceId) is { } service && (request.ActingTenant is not { } acting || service.TenantId == acting) ? service : null;

    private static readonly MigrationState[] InFlight = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private IReadOnlyList<Migration> ActiveOf(Tenant tenant)
        => migrations.List(new MigrationQuery(Tenant: tenant.Id, States: InFlight, Limit: 10_000));

    /// <summary>The bandwidth the tenant's migrations in flight reserve together.</summary>
    private double ReservedBy(Tenant tenant)
        => tenant.MaxReservedBandwidthBitsPerSecond is null ? 0 : ActiveOf(tenant).Sum(m => m.Plan.ReservedBandwidth.BitsPerSecond);

    /// <summary>Why the tenant may not start another migration now, or null.</summary>
    private string? QuotaProblem(Tenant tenant)
    {
        if (tenant.MaxConcurrentMigrations is null && tenant.MaxReservedBandwidthBitsPerSecond is null)
            return null;
        var active = ActiveOf(tenant);
        if (tenant.MaxConcurrentMigrations is { } max && active.Count >= max)
            return $"{tenant.Name} has {active.Count} migrations in flight, its quota is {max}; wait for one to finish.";
        if (tenant.MaxReservedBandwidthBitsPerSecond is { } bw && active.Sum(m => m.Plan.ReservedBandwidth.BitsPerSecond) >= bw)
            return $"{tenant.Name}'s migrations in flight reserve all of its bandwidth quota ({bw / 1e6:0.#} Mbit/s); wait for one to finish.";
        return null;
    }

    /// <summary>The ledger of the migrations that hold reservations, as stored now.</summary>
    public Capacity.LinkLedger Ledger(EdgeTopology topology) => Capacity.LinkLedger.Of(topology, migrations.Unfinished(), clock.GetUtcNow());

    /// <summary>Whether the plan's reservation still fits the residual of every link of its path from its predicted start.</summary>
    private bool StillFits(EdgeTopology topology, MigrationPlan plan)
    {
        // Whenever it sends (its time profile from its predicted start), not over its whole run.
        return Ledger(topology).Fits(plan) || !plan.Feasible;
    }

    private (PlanningResult Planning, EdgeTopology Topology) Plan(ServiceInstance service, Tenant tenant, MigrationRequest request, double reservedByTenant)
    {
        var topology = inventory.Topology();
        var planner = new MigrationPlanner(topology);
        var planning = OptionsFor(tenant, request, reservedByTenant);
        var engine = options.CurrentValue;
        var unfinished = migrations.Unfinished();
        PlanningResult result;
        if (engine.LinkReservations)
        {
            // Planned from when a slot is predicted to free, so that its sending windows are laid out where it will run.
            var slotWait = topology.Contains(service.NodeId)
                ? Capacity.SlotForecast.WaitMs(unfinished, topology.Node(service.NodeId).ClusterId, service.NodeId, engine.MaxConcurrentPerCluster,
                    engine.MaxOutboundPerNode, clock.GetUtcNow())
                : 0;
            result = new Capacity.CapacityPlanner(planner, Capacity.LinkLedger.Of(topology, unfinished, clock.GetUtcNow())).Plan(service, tenant, planning, slotWait);
        }
        else
            result = planner.Plan(service, tenant, planning);
        return (WithSlotWait(result, unfinished, topology, engine), topology);
    }

    /// <summary>The plan's predicted start moved to when the engine is predicted to have a slot for it (<see cref="Capacity.SlotForecast"/>).</summary>
    private PlanningResult WithSlotWait(PlanningResult result, IReadOnlyList<Migration> unfinished, EdgeTopology topology, EngineOptions engine)
    {
        if (result.Design is not { } design || !topology.Contains(design.Plan.Source))
            return result;
        var plan = design.Plan;
        var cluster = topology.Node(plan.Source).ClusterId;
        var wait = Capacity.SlotForecast.WaitMs(unfinished, cluster, plan.Source, engine.MaxConcurrentPerCluster, engine.MaxOutboundPerNode,
            clock.GetUtcNow(), plan.PredictedStartMs);
        // Nothing to wait for, or the wait for bandwidth ends later (a plan made from the slot's time starts then or later).
        if (wait <= 1e-6 || wait < plan.PredictedStartMs - 1e-6)
            return result;
        var sentence = $"The engine's slots are taken (at most {engine.MaxConcurrentPerCluster} per cluster, {engine.MaxOutboundPerNode} leaving a node): predicted start in {PlanText.Duration(wait)}, completion in {PlanText.Duration(wait + plan.PredictedRunMs)}.";
        plan = plan with { PredictedStartMs = wait, Rationale = $"{plan.Rationale} {sentence}" };
        return result with { Design = design with { Plan = plan } };
    }

    /// <summary>What the planner is told for a request: its overrides, the bandwidth cap (the engine's, and what is left of the tenant's quota), capabilities and calibrations.</summary>
    private PlanningOptions OptionsFor(Tenant tenant, MigrationRequest request, double reservedByTenant)
    {
        var cap = options.CurrentValue.MaxReservedBandwidthBitsPerSecond;
        // The tenant's quota less what its migrations in flight reserve caps this plan's reservation too.
        if (tenant.MaxReservedBandwidthBitsPerSecond is { } quota)
        {
            var left = Math.Max(1, quota - reservedByTenant);
            cap = cap > 0 ? Math.Min(cap, left) : left;
        }
        return new PlanningOptions
        {
            Destination = request.Destination,
            Targets = request.Targets,
            Objective = request.Objective,
            StrategyOverride = request.Strategy,
            ForcedIterations = request.Iterations,
            BandwidthCap = cap > 0 ? new Bandwidth(cap) : null,
            Capabilities = capabilities is null ? null : CapabilitiesOf,
            // The newest calibration of the source host's class, when there is a store of them; the paper's set otherwise.
            ParametersForHostClass = calibrations is null ? null : hostClass => calibrations.Latest(hostClass)?.Fit.Parameters,
        };
    }

    /// <summary>What the runtime probed on a node (<see cref="RuntimeCapabilityCatalog"/>); null for a node of no registered cluster.</summary>
    private NodeCapabilities? CapabilitiesOf(EdgeNode node)
        => capabilities is not null && inventory.FindCluster(node.ClusterId) is { } cluster ? capabilities.For(cluster, node) : null;
}
