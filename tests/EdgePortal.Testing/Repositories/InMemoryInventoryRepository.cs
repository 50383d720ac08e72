using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>
/// An in-memory <see cref="IInventoryRepository"/> with the LiteDB repository's read order (tenants, clusters, nodes and
/// services by name), so pages render the way they do over the real store. Values are immutable records, so storing them
/// as they are is faithful.
/// </summary>
public sealed class InMemoryInventoryRepository : IInventoryRepository
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TenantId, Tenant> _tenants = [];
    private readonly Dictionary<ClusterId, EdgeCluster> _clusters = [];
    private readonly Dictionary<NodeId, EdgeNode> _nodes = [];
    private readonly Dictionary<LinkId, NetworkLink> _links = [];
    private readonly Dictionary<ServiceId, ServiceInstance> _services = [];
    private readonly Dictionary<UserGroupId, UserGroup> _userGroups = [];

    /// <summary>A repository holding <paramref name="inventory"/> (e.g. <c>DemoEdge.Build()</c>), or an empty one.</summary>
    public InMemoryInventoryRepository(EdgeInventory? inventory = null)
    {
        if (inventory is not null)
            SaveAll(inventory);
    }

    public bool IsEmpty { get { lock (_gate) return _clusters.Count == 0; } }

    public IReadOnlyList<Tenant> Tenants() { lock (_gate) return [.. _tenants.Values.OrderBy(t => t.Name, StringComparer.Ordinal)]; }
    public Tenant? FindTenant(TenantId id) { lock (_gate) return _tenants.GetValueOrDefault(id); }
    public IReadOnlyList<EdgeCluster> Clusters() { lock (_gate) return [.. _clusters.Values.OrderBy(c => c.Name, StringComparer.Ordinal)]; }
    public EdgeCluster? FindCluster(ClusterId id) { lock (_gate) return _clusters.GetValueOrDefault(id); }
    public IReadOnlyList<EdgeNode> Nodes() { lock (_gate) return [.. _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal)]; }
    public EdgeNode? FindNode(NodeId id) { lock (_gate) return _nodes.GetValueOrDefault(id); }
    public IReadOnlyList<NetworkLink> Links() { lock (_gate) return [.. _links.Values]; }
    public ServiceInstance? FindService(ServiceId id) { lock (_gate) return _services.GetValueOrDefault(id); }
    public IReadOnlyList<UserGroup> UserGroups() { lock (_gate) return [.. _userGroups.Values]; }

    public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null)
    {
        lock (_gate)
            return [.. _services.Values.Where(s => tenant is null || s.TenantId == tenant).OrderBy(s => s.Name, StringComparer.Ordinal)];
    }

    public EdgeTopology Topology()
    {
        lock (_gate)
            return new EdgeTopology(Clusters(), Nodes(), Links(), Services(), UserGroups());
    }

    public void Save(Tenant tenant) { lock (_gate) _tenants[tenant.Id] = tenant; }
    public void Save(EdgeCluster cluster) { lock (_gate) _clusters[cluster.Id] = cluster; }
    public void Save(EdgeNode node) { lock (_gate) _nodes[node.Id] = node; }
    public void Save(NetworkLink link) { lock (_gate) _links[link.Id] = link; }
    public void Save(ServiceInstance service) { lock (_gate) _services[service.Id] = service; }
    public void Save(UserGroup group) { lock (_gate) _userGroups[group.Id] = group; }

    /// <summary>Forgets everything: an empty edge, as after a fresh install with seeding off.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _tenants.Clear();
            _clusters.Clear();
            _nodes.Clear();
            _links.Clear();
            _services.Clear();
            _userGroups.Clear();
        }
    }

    public void SaveAll(EdgeInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        lock (_gate)
        {
            foreach (var tenant in inventory.Tenants) Save(tenant);
            foreach (var cluster in inventory.Clusters) Save(cluster);
            foreach (var node in inventory.Nodes) Save(node);
            foreach (var link in inventory.Links) Save(link);
            foreach (var service in inventory.Services) Save(service);
            foreach (var group in inventory.UserGroups) Save(group);
        }
    }
}
