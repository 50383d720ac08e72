using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Core.Scheduling;

/// <summary>How a request to retire a node ended.</summary>
public abstract record NodeRetirementResult
{
    /// <summary>The node is retired; <paramref name="Reattached"/> are the user groups that now attach at <paramref name="ReattachedAt"/>, the nearest node.</summary>
    public sealed record Retired(EdgeNode Node, IReadOnlyList<UserGroup> Reattached, string? ReattachedAt) : NodeRetirementResult
    {
        /// <summary>One sentence for the operator and the audit log.</summary>
        public string Summary => Reattached.Count == 0
            ? $"Retired {Node.Name}; no users were attached there."
            : $"Retired {Node.Name}; {Reattached.Count} user group(s) now attach at {ReattachedAt}.";
    }

    public sealed record NotFound(string Detail) : NodeRetirementResult;

    /// <summary>The node still has work on it; <paramref name="Blockers"/> name each thing, one sentence apiece.</summary>
    public sealed record Refused(string Detail, IReadOnlyList<string> Blockers) : NodeRetirementResult;
}

/// <summary>
/// Takes a decommissioned node out of the edge (<see cref="NodeStatus.Retired"/>). Only an empty, cordoned node goes: one
/// that nothing new is placed on (cordoned by a drain, or down), with no service, no migration from or to it, no running
/// drain and no schedule aimed at it — each is named when it stands in the way, so the provider knows what to do first
/// (drain, wait, delete the schedule). The users attached at its site attach at the nearest node left (lowest path
/// latency; by name on a tie), so their services' latency and the KPI monitor see where they now are. The node stays
/// stored so that history keeps its name; it leaves the topology, and so placement, planning, the pages and the mobility
/// model. Registering a cluster that names it again brings it back.
/// </summary>
public sealed class NodeRetirement(IInventoryRepository inventory, IMigrationRepository migrations, IDrainRepository drains,
    IScheduleRepository schedules, ILogger<NodeRetirement> logger)
{
    private readonly Lock _gate = new();

    public NodeRetirementResult Retire(NodeId nodeId)
    {
        lock (_gate)
        {
            if (inventory.FindNode(nodeId) is not { IsRetired: false } node)
                return new NodeRetirementResult.NotFound($"No node has id {nodeId}.");

            var blockers = new List<string>();
            if (node.Status == NodeStatus.Ready)
                blockers.Add($"{node.Name} is Ready: drain it first (POST /api/v1/nodes/{node.Id}/drain), which cordons it and moves its services.");
            var topology = inventory.Topology();
            foreach (var service in topology.ServicesOn(node.Id).OrderBy(s => s.Name, StringComparer.Ordinal))
                blockers.Add($"Service {service.Name} runs on {node.Name}.");
            foreach (var migration in migrations.Unfinished().Where(m => m.Source == node.Id || m.Destination == node.Id))
                blockers.Add($"Migration {migration.Id} of {migration.ServiceName} is {migration.State} {(migration.Source == node.Id ? "from" : "to")} {node.Name}.");
            foreach (var drain in drains.List(int.MaxValue).Where(d => d.NodeId == node.Id && d.State == DrainState.Running))
                blockers.Add($"Drain {drain.Id} of {node.Name} is still running.");
            foreach (var schedule in schedules.List().Where(s => s.Target.NodeId == node.Id).OrderBy(s => s.Name, StringComparer.Ordinal))
                blockers.Add($"Schedule {schedule.Name} ({schedule.Id}) drains {node.Name}: delete it or aim it at another node.");

            var attached = topology.UserGroups.Where(g => g.AttachedTo == node.Id).ToList();
            var nearest = topology.Nodes
                .Where(n => n.Id != node.Id && double.IsFinite(topology.LatencyMs(node.Id, n.Id)))
                .OrderBy(n => topology.LatencyMs(node.Id, n.Id)).ThenBy(n => n.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (attached.Count > 0 && nearest is null)
                blockers.Add($"{attached.Count} user group(s) attach at {node.Name} and no other node is reachable from it to take them.");

            if (blockers.Count > 0)
                return new NodeRetirementResult.Refused($"{node.Name} cannot be retired yet: {string.Join(" ", blockers)}", blockers);

            var reattached = attached.Select(g => g.AttachedAt(nearest!.Id)).ToList();
            foreach (var group in reattached)
                inventory.Save(group);
            var retired = node.WithStatus(NodeStatus.Retired);
            inventory.Save(retired);
            logger.LogInformation("Retired {Node}; {Count} user group(s) now attach at {Nearest}", node.Name, reattached.Count, nearest?.Name ?? "-");
            return new NodeRetirementResult.Retired(retired, reattached, reattached.Count > 0 ? nearest!.Name : null);
        }
    }
}
