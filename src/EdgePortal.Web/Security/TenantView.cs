using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Web.Security;

/// <summary>
/// What of the edge a principal may see: a provider role everything (<see cref="Tenant"/> null); a tenant principal its own
/// tenant, the clusters that tenant may use and their nodes — nothing of another tenant, nor of clusters it was not given.
/// The one filter behind the API (<c>/clusters</c>, <c>/services</c>, plan previews) and the pages (Overview map and counts,
/// the Migrations page's filters, the start dialog's placement, the Planner): a page never filters the inventory itself.
/// </summary>
public sealed class TenantView
{
    private readonly HashSet<ClusterId>? _clusters;
    private readonly Dictionary<NodeId, ClusterId> _nodeClusters;

    private TenantView(TenantId? tenant, HashSet<ClusterId>? clusters, Dictionary<NodeId, ClusterId> nodeClusters)
    {
        Tenant = tenant;
        _clusters = clusters;
        _nodeClusters = nodeClusters;
    }

    /// <summary>The viewer's tenant; null for the provider.</summary>
    public TenantId? Tenant { get; }

    public bool IsProvider => Tenant is null;

    /// <summary>The view of <paramref name="viewer"/> (<see cref="TenantScope.Tenant"/>: null for a provider principal).</summary>
    public static TenantView Of(TenantId? viewer, IInventoryRepository inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var nodes = inventory.Nodes().ToDictionary(n => n.Id, n => n.ClusterId);
        if (viewer is not { } tenantId)
            return new TenantView(null, null, nodes);
        // A tenant that does not exist (a stale claim) may use no cluster.
        var allowed = inventory.FindTenant(tenantId)?.AllowedClusters ?? [];
        return new TenantView(tenantId, [.. allowed], nodes);
    }

    public static TenantView Of(TenantScope scope, IInventoryRepository inventory) => Of(scope.Tenant, inventory);

    public bool SeesTenant(TenantId tenant) => Tenant is not { } own || own == tenant;

    public bool SeesCluster(ClusterId cluster) => _clusters is null || _clusters.Contains(cluster);

    /// <summary>A node is seen with its cluster; a node the inventory no longer has is not.</summary>
    public bool SeesNode(NodeId node) => _clusters is null || (_nodeClusters.TryGetValue(node, out var cluster) && _clusters.Contains(cluster));

    public bool SeesService(ServiceInstance service) => SeesTenant(service.TenantId);

    /// <summary>
    /// A plan preview as the viewer may see it: the placement without the nodes of clusters it cannot see (their names, and
    /// how many there are), and a summary that counts only what is left.
    /// </summary>
    /// <param name="planning">The preview.</param>
    /// <param name="requestedDestination">The destination the request named, if it named one.</param>
    public PlanningResult Filter(PlanningResult planning, NodeId? requestedDestination)
    {
        ArgumentNullException.ThrowIfNull(planning);
        if (IsProvider)
            return planning;
        var placement = planning.Placement with
        {
            Candidates = [.. planning.Placement.Candidates.Where(c => SeesCluster(c.Cluster))],
            Excluded = [.. planning.Placement.Excluded.Where(e => e.Reason != PlacementExclusion.ClusterNotAllowed && SeesNode(e.Node))],
        };
        return planning with
        {
            Placement = placement,
            Summary = planning.Design is null ? MigrationPlanner.NoDestination(planning.Service, placement, requestedDestination) : planning.Summary,
        };
    }
}
