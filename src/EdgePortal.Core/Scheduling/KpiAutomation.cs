using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Scheduling;

/// <summary>
/// Follow-the-user: evaluates every service's user latency against its target (<see cref="ServiceLatency"/>),
/// and on a sustained violation (<see cref="KpiMonitor"/>) plans and starts a migration to the best node
/// through the <see cref="MigrationCoordinator"/> — inside a maintenance window of the service's cluster, or
/// at once when the violation is urgent. A service that was migrated (by anyone) is left alone for the
/// cool-down; one being migrated is not evaluated. Every decision is recorded with its reasons, once per
/// violation episode, and published. The host calls <see cref="Evaluate"/> on its rhythm (a Quartz job). The migrations one
/// evaluation decides start as one batch (<see cref="MigrationCoordinator.StartBatch"/>), the urgent ones planned first.
/// </summary>
public sealed class KpiAutomation(IInventoryRepository inventory, IMigrationRepository migrations, IMaintenanceWindowRepository windows,
    IAutomationDecisionRepository decisions, MigrationCoordinator coordinator, AutomationEventBroadcaster events,
    IOptionsMonitor<AutomationOptions> options, TimeProvider clock, ILogger<KpiAutomation> logger)
{
    private const string Requester = "kpi-monitor";
    private static readonly MigrationState[] Unfinished = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private readonly Lock _gate = new();
    private readonly Dictionary<ServiceId, AutomationAction> _recorded = [];
    private KpiMonitor? _monitor;
    private (int, double) _monitorSettings;

    /// <summary>One evaluation of every service; returns the verdicts (services cooling down or migrating have none).</summary>
    public IReadOnlyList<KpiVerdict> Evaluate()
    {
        lock (_gate)
        {
            var settings = options.CurrentValue;
            if (_monitor is null || _monitorSettings != (settings.ConsecutiveViolations, settings.ViolationMargin))
            {
                _monitor = new KpiMonitor(settings.ConsecutiveViolations, settings.ViolationMargin);
                _monitorSettings = (settings.ConsecutiveViolations, settings.ViolationMargin);
            }
            var now = clock.GetUtcNow();
            var topology = inventory.Topology();
            var allWindows = windows.List();
            var verdicts = new List<KpiVerdict>();
            var starts = new List<Pending>();
            foreach (var service in topology.Services)
            {
                if (!topology.Contains(service.NodeId) || !Quiet(service, now, settings.CoolDown))
                {
                    _monitor.Reset(service.Id);
                    _recorded.Remove(service.Id);
                    continue;
                }
                var latency = ServiceLatency.Ms(topology, service, settings.LoadLatencyMs);
                var verdict = _monitor.Observe(service.Id, latency, service.Targets.MaxUserLatencyMs);
                verdicts.Add(verdict);
                if (verdict.Kind == KpiVerdictKind.Met)
                    _recorded.Remove(service.Id);
                if (verdict.Kind != KpiVerdictKind.Sustained)
                    continue;
                var cluster = topology.Node(service.NodeId).ClusterId;
                var open = MaintenanceWindows.IsOpen(allWindows, cluster, now);
                var urgent = verdict.Severity >= settings.UrgentSeverity;
                if (!MaintenanceWindows.MayStart(open, verdict.Severity, settings.UrgentSeverity))
                {
                    RecordOnce(service, verdict, urgent, AutomationAction.DeferredOutsideWindow,
                        $"Latency {verdict.LatencyMs:0.0} ms is over the {verdict.TargetMs:0.0} ms target for {verdict.Consecutive} evaluations, but cluster {topology.Cluster(cluster).Name} is outside its maintenance windows and {verdict.Severity:0%} over is below the urgency threshold ({settings.UrgentSeverity:0%}).",
                        now);
                    continue;
                }
                if (Decide(service, verdict, urgent, open, now) is { } pending)
                    starts.Add(pending);
            }
            // The decisions of one evaluation start as one batch, planned together on the links they share (urgent ones first).
            if (starts.Count > 0)
            {
                var results = coordinator.StartBatch([.. starts.Select(s => s.Request)]);
                for (var i = 0; i < starts.Count; i++)
                    Started(starts[i], results[i], now);
            }
            return verdicts;
        }
    }

    /// <summary>Not migrating, and not migrated within the cool-down.</summary>
    private bool Quiet(ServiceInstance service, DateTimeOffset now, TimeSpan coolDown)
    {
        var last = migrations.List(new MigrationQuery(Service: service.Id, Limit: 1));
        if (last.Count == 0)
            return true;
        var m = last[0];
        if (Unfinished.Contains(m.State))
            return false;
        return m.State != MigrationState.Completed || (m.FinishedAt ?? m.CreatedAt) + coolDown <= now;
    }

    /// <summary>A migration the evaluation decided to start, with what its decision will say.</summary>
    private sealed record Pending(ServiceInstance Service, KpiVerdict Verdict, bool Urgent, string Why, MigrationRequest Request);

    /// <summary>The migration to start for a sustained violation, or null when there is none (recorded as such).</summary>
    private Pending? Decide(ServiceInstance service, KpiVerdict verdict, bool urgent, bool windowOpen, DateTimeOffset now)
    {
        var why = $"Latency {verdict.LatencyMs:0.0} ms over the {verdict.TargetMs:0.0} ms target ({verdict.Severity:+0%}) for {verdict.Consecutive} evaluations in a row"
            + (windowOpen ? "" : $"; outside the maintenance windows, but urgent (≥ {options.CurrentValue.UrgentSeverity:0%} over)") + ".";
        // The monitor acts with the service's tenant's rights: its quotas apply.
        var request = new MigrationRequest { ServiceId = service.Id, Trigger = MigrationTrigger.KpiMonitor, RequestedBy = Requester, ActingTenant = service.TenantId };
        var preview = coordinator.Preview(request);
        if (preview?.Plan is { } plan && Candidate(preview, plan.Destination) is { } best && best.UserLatencyMs >= best.CurrentUserLatencyMs)
        {
            RecordOnce(service, verdict, urgent, AutomationAction.NoFeasiblePlan,
                $"{why} No node is closer to the users: the best candidate, {best.NodeName}, would give {best.UserLatencyMs:0.0} ms.", now,
                preview.Summary, best.Explanation);
            return null;
        }
        return new Pending(service, verdict, urgent, why, request with { Destination = preview?.Plan?.Destination, Urgent = urgent });
    }

    private void Started(Pending pending, MigrationRequestResult result, DateTimeOffset now)
    {
        var (service, verdict, urgent, why) = (pending.Service, pending.Verdict, pending.Urgent, pending.Why);
        switch (result)
        {
            case MigrationRequestResult.Accepted accepted:
                var destination = Candidate(accepted.Planning, accepted.Migration.Destination);
                Record(service, verdict, urgent, AutomationAction.Migrated, why, now, accepted.Planning.Summary,
                    destination is null ? null : $"{destination.Explanation}. " + accepted.Migration.Plan.Rationale,
                    accepted.Migration.Destination, accepted.Migration.Id);
                _monitor!.Reset(service.Id);
                _recorded.Remove(service.Id);
                logger.LogInformation("KPI monitor migrates {Service}: {Why} {Plan}", service.Name, why, accepted.Planning.Summary);
                break;
            case MigrationRequestResult.Infeasible infeasible:
                RecordOnce(service, verdict, urgent, AutomationAction.NoFeasiblePlan, $"{why} {infeasible.Detail}", now, infeasible.Planning.Summary);
                break;
            case MigrationRequestResult.Conflict conflict:
                RecordOnce(service, verdict, urgent, AutomationAction.AlreadyMigrating, $"{why} {conflict.Detail}", now);
                break;
            case MigrationRequestResult.NotFound:
                _monitor!.Reset(service.Id);
                break;
            case MigrationRequestResult.QuotaExceeded quota:
                RecordOnce(service, verdict, urgent, AutomationAction.NoFeasiblePlan, $"{why} {quota.Detail}", now);
                break;
        }
    }

    private static PlacementCandidate? Candidate(PlanningResult planning, NodeId node)
        => planning.Placement.Candidates.FirstOrDefault(c => c.Node == node);

    private void RecordOnce(ServiceInstance service, KpiVerdict verdict, bool urgent, AutomationAction action, string reason, DateTimeOffset now,
        string? plan = null, string? whyThisNode = null)
    {
        if (_recorded.TryGetValue(service.Id, out var last) && last == action)
            return;
        _recorded[service.Id] = action;
        Record(service, verdict, urgent, action, reason, now, plan, whyThisNode, null, null);
    }

    private void Record(ServiceInstance service, KpiVerdict verdict, bool urgent, AutomationAction action, string reason, DateTimeOffset now,
        string? plan, string? whyThisNode, NodeId? destination = null, MigrationId? migration = null)
    {
        var decision = new AutomationDecision(AutomationDecisionId.New(), now, service.Id, service.Name, service.TenantId, action,
            "User latency", verdict.LatencyMs, verdict.TargetMs, verdict.Consecutive, urgent, service.NodeId, destination, migration,
            reason, plan, whyThisNode);
        decisions.Save(decision);
        events.Publish(new DecisionRecorded(decision));
    }
}
