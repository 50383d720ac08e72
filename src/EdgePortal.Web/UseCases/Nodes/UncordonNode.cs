using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Nodes;

/// <summary>
/// Lets a cordoned node take services again (the Automation page, <c>POST /api/v1/nodes/{id}/uncordon</c>); refused while a
/// drain of it runs. Audited (<c>node.uncordon</c>), refused or not.
/// </summary>
public sealed class UncordonNode(IInventoryRepository inventory, IDrainRepository drains, AuditTrail audit)
{
    private readonly Lock _gate = new();

    public UseCaseResult<EdgeNode> Run(TenantScope scope, NodeId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (_gate)
        {
            if (inventory.FindNode(id) is not { IsRetired: false } node)
                return new UseCaseResult<EdgeNode>.NotFound($"No node has id {id}.");
            var target = $"node {node.Name} ({node.Id})";
            if (drains.List().FirstOrDefault(d => d.NodeId == node.Id && d.State == DrainState.Running) is { } running)
            {
                var detail = $"Drain {running.Id} of {node.Name} is still running; wait for it to finish before uncordoning.";
                audit.Record(scope, AuditActions.NodeUncordon, target, detail, succeeded: false);
                return new UseCaseResult<EdgeNode>.Conflict("Node is being drained", detail,
                    new Dictionary<string, object?> { ["drainId"] = running.Id.Value });
            }
            if (node.Status == NodeStatus.Cordoned)
            {
                node = node.WithStatus(NodeStatus.Ready);
                inventory.Save(node);
                audit.Record(scope, AuditActions.NodeUncordon, target, "cordoned → ready");
            }
            return new UseCaseResult<EdgeNode>.Done(inventory.FindNode(id) ?? node);
        }
    }
}
