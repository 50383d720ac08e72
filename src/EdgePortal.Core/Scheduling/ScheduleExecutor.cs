using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Core.Scheduling;

/// <summary>
/// What a schedule does when it fires: a node target starts a drain; a service or a label selector asks the
/// coordinator for a migration of each matching service, with the schedule's targets and objective. A timed firing of a
/// schedule that respects maintenance windows leaves out what sits on a cluster outside its windows (a drain: the node's
/// cluster) and says so in the run; a manual "run now" is not held back.
/// </summary>
public sealed class ScheduleExecutor(IInventoryRepository inventory, MigrationCoordinator coordinator, NodeDrainer drainer,
    IMaintenanceWindowRepository windows, TimeProvider clock, ILogger<ScheduleExecutor> logger)
{
    public ScheduleRun Execute(Schedule schedule, DateTimeOffset? scheduledFor, bool manual, bool late)
    {
        var requester = $"schedule:{schedule.Name}";
        var firedAt = clock.GetUtcNow();
        ScheduleRun Run(ScheduleRunOutcome outcome, string detail, IReadOnlyList<MigrationId>? started = null, DrainId? drain = null)
            => new(ScheduleRunId.New(), schedule.Id, schedule.Name, scheduledFor, firedAt, manual, late, outcome, detail, started ?? [], drain);

        if (schedule.Target.Kind == ScheduleTargetKind.Node && schedule.TenantId is not null)
            return Run(ScheduleRunOutcome.Failed, "Draining a node is the provider's operation; a tenant's schedule cannot.");
        var gated = schedule.RespectMaintenanceWindows && !manual;
        var allWindows = gated ? windows.List() : [];
        var topology = inventory.Topology();
        string? Closed(NodeId node) => gated && topology.Contains(node) && topology.Node(node).ClusterId is var cluster
            && !MaintenanceWindows.IsOpen(allWindows, cluster, firedAt) ? topology.Cluster(cluster).Name : null;

        if (schedule.Target.Kind == ScheduleTargetKind.Node)
        {
            if (Closed(schedule.Target.NodeId!.Value) is { } closedCluster)
                return Run(ScheduleRunOutcome.OutsideWindows, $"Not draining {topology.Node(schedule.Target.NodeId!.Value).Name}: cluster {closedCluster} is outside its maintenance windows.");
            return drainer.Start(schedule.Target.NodeId!.Value, requester) switch
            {
                DrainStartResult.Started { Drain.Items.Count: 0 } s => Run(ScheduleRunOutcome.NothingToDo, $"{s.Drain.NodeName} runs no services; it is cordoned.", drain: s.Drain.Id),
                DrainStartResult.Started s => Run(ScheduleRunOutcome.Started, $"Draining {s.Drain.NodeName}: {s.Drain.Items.Count} services.", drain: s.Drain.Id),
                DrainStartResult.Conflict c => Run(ScheduleRunOutcome.NothingToDo, c.Detail, drain: c.Existing),
                DrainStartResult.NotFound n => Run(ScheduleRunOutcome.Failed, n.Detail),
                _ => throw new InvalidOperationException("Unexpected drain result."),
            };
        }

        // A tenant's schedule acts with its tenant's rights: a selector matches only that tenant's services.
        var services = inventory.Services().Where(s => schedule.TenantId is not { } t || s.TenantId == t).Where(schedule.Target.Matches).ToList();
        if (services.Count == 0)
            return Run(schedule.Target.Kind == ScheduleTargetKind.Service ? ScheduleRunOutcome.Failed : ScheduleRunOutcome.NothingToDo,
                schedule.Target.Kind == ScheduleTargetKind.Service ? "The service no longer exists." : "No service matches the selector.");

        var deferred = services.Select(s => (Service: s, Cluster: Closed(s.NodeId))).Where(x => x.Cluster is not null).ToList();
        if (deferred.Count > 0)
        {
            services = [.. services.Except(deferred.Select(d => d.Service))];
            if (services.Count == 0)
                return Run(ScheduleRunOutcome.OutsideWindows, $"Nothing started: {Deferred(deferred)}.");
        }
        var startedIds = new List<MigrationId>();
        var problems = new List<string>();
        if (deferred.Count > 0)
            problems.Add($"Deferred: {Deferred(deferred)}.");
        // One firing is one batch: planned together, so the order and the bandwidth let the most meet their targets.
        var results = coordinator.StartBatch([.. services.Select(service => new MigrationRequest
        {
            ServiceId = service.Id,
            Targets = schedule.Targets,
            Objective = schedule.Objective,
            Trigger = MigrationTrigger.Schedule,
            RequestedBy = requester,
            ActingTenant = schedule.TenantId,
        })]);
        for (var k = 0; k < services.Count; k++)
        {
            var service = services[k];
            switch (results[k])
            {
                case MigrationRequestResult.Accepted a:
                    startedIds.Add(a.Migration.Id);
                    break;
                case MigrationRequestResult.Conflict c:
                    problems.Add(c.Detail);
                    break;
                case MigrationRequestResult.Infeasible i:
                    problems.Add($"{service.Name}: {i.Detail}");
                    break;
                case MigrationRequestResult.NotFound n:
                    problems.Add(n.Detail);
                    break;
                case MigrationRequestResult.QuotaExceeded q:
                    problems.Add($"{service.Name}: {q.Detail}");
                    break;
            }
        }
        var targeted = services.Count + deferred.Count;
        logger.LogInformation("Schedule {Schedule} fired{Late}: {Started} of {Count} migrations queued", schedule.Name, late ? " late" : "", startedIds.Count, targeted);
        var detail = $"{startedIds.Count} of {targeted} migration{(targeted == 1 ? "" : "s")} queued."
            + (problems.Count > 0 ? " " + string.Join(" ", problems) : "");
        var outcome = startedIds.Count == targeted ? ScheduleRunOutcome.Started
            : startedIds.Count > 0 ? ScheduleRunOutcome.PartlyStarted : ScheduleRunOutcome.Failed;
        return Run(outcome, detail, startedIds);
    }

    private static string Deferred(List<(ServiceInstance Service, string? Cluster)> deferred) => string.Join("; ",
        deferred.GroupBy(d => d.Cluster).Select(g => $"{string.Join(", ", g.Select(d => d.Service.Name))} (cluster {g.Key} is outside its maintenance windows)"));
}
