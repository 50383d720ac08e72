namespace EdgePortal.Core.Domain;

/// <summary>What the automation decided about a service.</summary>
public enum AutomationAction
{
    /// <summary>A migration was planned and queued.</summary>
    Migrated,
    /// <summary>The violation is sustained but the cluster is outside its maintenance windows and the violation is not urgent.</summary>
    DeferredOutsideWindow,
    /// <summary>No node, or no plan meeting the targets, was found.</summary>
    NoFeasiblePlan,
    /// <summary>Another migration of the service is already under way.</summary>
    AlreadyMigrating,
}

/// <summary>
/// One automatic decision with its reasons: which KPI, what value against which target, for how many evaluations,
/// what was planned and why that node. Written by the KPI monitor; the Automation page lists them.
/// </summary>
public sealed record AutomationDecision(
    AutomationDecisionId Id,
    DateTimeOffset At,
    ServiceId ServiceId,
    string ServiceName,
    TenantId TenantId,
    AutomationAction Action,
    string Kpi,
    double Value,
    double Target,
    int ConsecutiveViolations,
    bool Urgent,
    NodeId Source,
    NodeId? Destination,
    MigrationId? MigrationId,
    string Reason,
    string? Plan,
    string? WhyThisNode);
