using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.Inventory;

/// <summary>Retiring a node on someone's behalf, for the API and the Automation page alike: the attempt goes to the audit log, refused or not.</summary>
public static class AuditedRetirement
{
    public static NodeRetirementResult Retire(this NodeRetirement retirement, NodeId id, TenantScope scope, AuditTrail audit)
    {
        ArgumentNullException.ThrowIfNull(retirement);
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(audit);
        var result = retirement.Retire(id);
        switch (result)
        {
            case NodeRetirementResult.Retired r:
                audit.Record(scope, Core.Security.AuditActions.NodeRetire, $"node {r.Node.Name} ({r.Node.Id})", r.Summary);
                break;
            case NodeRetirementResult.Refused r:
                audit.Record(scope, Core.Security.AuditActions.NodeRetire, $"node {id}", r.Detail, succeeded: false);
                break;
        }
        return result;
    }
}
