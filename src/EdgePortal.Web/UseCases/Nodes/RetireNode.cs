using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Nodes;

/// <summary>
/// Retires a node on someone's behalf (the Automation page, <c>DELETE /api/v1/nodes/{id}</c>): the attempt is audited
/// (<c>node.retire</c>), refused or not.
/// </summary>
public sealed class RetireNode(NodeRetirement retirement, AuditTrail audit)
{
    public NodeRetirementResult Run(TenantScope scope, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var result = retirement.Retire(id);
        switch (result)
        {
            case NodeRetirementResult.Retired r:
                audit.Record(scope, AuditActions.NodeRetire, $"node {r.Node.Name} ({r.Node.Id})", r.Summary);
                break;
            case NodeRetirementResult.Refused r:
                audit.Record(scope, AuditActions.NodeRetire, $"node {id}", r.Detail, succeeded: false);
                break;
        }
        return result;
    }
}
