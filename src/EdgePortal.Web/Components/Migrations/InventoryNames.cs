using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>
/// Names of the nodes, clusters and tenants a migration refers to by id, read once per page. An id the
/// inventory no longer knows (a node removed since) shows as its first eight hex digits, never as an error.
/// </summary>
public sealed class InventoryNames
{
    private readonly IReadOnlyDictionary<NodeId, string> _nodes;
    private readonly IReadOnlyDictionary<ClusterId, string> _clusters;
    private readonly IReadOnlyDictionary<TenantId, string> _tenants;

    private InventoryNames(IReadOnlyDictionary<NodeId, string> nodes, IReadOnlyDictionary<ClusterId, string> clusters,
        IReadOnlyDictionary<TenantId, string> tenants)
    {
        _nodes = nodes;
        _clusters = clusters;
        _tenants = tenants;
    }

    /// <summary>
    /// The names <paramref name="viewer"/> may see (<see cref="Security.TenantView"/>; null: the provider, all of them): a tenant
    /// gets its own name and those of the clusters it may use and their nodes, so that neither a filter's options nor a row
    /// can show another tenant or a cluster it was not given.
    /// </summary>
    public static InventoryNames Read(IInventoryRepository inventory, TenantId? viewer)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var view = Security.TenantView.Of(viewer, inventory);
        return new InventoryNames(
            inventory.Nodes().Where(n => view.SeesNode(n.Id)).ToDictionary(n => n.Id, n => n.Name),
            inventory.Clusters().Where(c => view.SeesCluster(c.Id)).ToDictionary(c => c.Id, c => c.Name),
            inventory.Tenants().Where(t => view.SeesTenant(t.Id)).ToDictionary(t => t.Id, t => t.Name));
    }

    /// <summary>Clusters by name, for filters.</summary>
    public IReadOnlyList<KeyValuePair<ClusterId, string>> Clusters => [.. _clusters.OrderBy(c => c.Value, StringComparer.Ordinal)];

    /// <summary>Tenants by name, for filters.</summary>
    public IReadOnlyList<KeyValuePair<TenantId, string>> Tenants => [.. _tenants.OrderBy(t => t.Value, StringComparer.Ordinal)];

    public string Node(NodeId id) => _nodes.TryGetValue(id, out var name) ? name : Short(id.Value);

    public string Cluster(ClusterId id) => _clusters.TryGetValue(id, out var name) ? name : Short(id.Value);

    public string Tenant(TenantId id) => _tenants.TryGetValue(id, out var name) ? name : Short(id.Value);

    private static string Short(Guid id) => id.ToString("N")[..8];
}
