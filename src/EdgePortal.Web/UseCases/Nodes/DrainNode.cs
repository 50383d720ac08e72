using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Nodes;

/// <summary>
/// Drains a node on someone's behalf (the Automation page, <c>POST /api/v1/nodes/{id}/drain</c>): the drain names them as its
/// requester, and the attempt is audited (<c>node.drain</c>), refused or not.
/// </summary>
public sealed class DrainNode(NodeDrainer drainer, AuditTrail audit)
{
    public DrainStartResult Run(TenantScope scope, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var result = drainer.Start(id, scope.Actor);
        switch (result)
        {
            case DrainStartResult.Started s:
                audit.Record(scope, AuditActions.NodeDrain, $"node {s.Drain.NodeName} ({s.Drain.NodeId})",
                    $"drain {s.Drain.Id}: {s.Drain.Items.Count} service(s), most urgent first");
                break;
            case DrainStartResult.Conflict c:
                audit.Record(scope, AuditActions.NodeDrain, $"node {id}", c.Detail, succeeded: false);
                break;
        }
        return result;
    }
}
