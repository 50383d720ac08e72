using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Nodes;

/// <summary>
/// Drains a node on someone's behalf (the Automation page, <c>POST /api/v1/nodes/{id}/drain</c>): the drain names them as its
/// requester, and the drainer audits the attempt (<c>node.drain</c>), refused or not, as it does a schedule's.
/// </summary>
public sealed class DrainNode(NodeDrainer drainer)
{
    public DrainStartResult Run(TenantScope scope, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return drainer.Start(id, scope.Actor);
    }
}
