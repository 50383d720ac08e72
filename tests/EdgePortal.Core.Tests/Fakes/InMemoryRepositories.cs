using System.Collections.Concurrent;
using System.Text.Json;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Tests.Fakes;

/// <summary>The inventory in memory; values are immutable, so storing them as they are is faithful.</summary>
public sealed class InMemoryInventoryRepository : IInventoryRepository
{
    private readonly ConcurrentDictionary<TenantId, Tenant> _tenants = new();
    private readonly ConcurrentDictionary<ClusterId, EdgeCluster> _clusters = new();
    private readonly ConcurrentDictionary<NodeId, EdgeNode> _nodes = new();
    private readonly ConcurrentDictionary<LinkId, NetworkLink> _links = new();
    private readonly ConcurrentDictionary<ServiceId, ServiceInstance> _services = new();
    private readonly ConcurrentDictionary<UserGroupId, UserGroup> _groups = new();

    public InMemoryInventoryRepository(EdgeInventory? inventory = null)
    {
        if (inventory is not null)
            SaveAll(inventory);
    }

    public bool IsEmpty => _clusters.IsEmpty;
    public IReadOnlyList<Tenant> Tenants() => [.. _tenants.Values];
    public Tenant? FindTenant(TenantId id) => _tenants.GetValueOrDefault(id);
    public IReadOnlyList<EdgeCluster> Clusters() => [.. _clusters.Values];
    public EdgeCluster? FindCluster(ClusterId id) => _clusters.GetValueOrDefault(id);
    public IReadOnlyList<EdgeNode> Nodes() => [.. _nodes.Values];
    public EdgeNode? FindNode(NodeId id) => _nodes.GetValueOrDefault(id);
    public IReadOnlyList<NetworkLink> Links() => [.. _links.Values];
    public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null) => [.. _services.Values.Where(s => tenant is null || s.TenantId == tenant)];
    public ServiceInstance? FindService(ServiceId id) => _services.GetValueOrDefault(id);
    public IReadOnlyList<UserGroup> UserGroups() => [.. _groups.Values];
    public EdgeTopology Topology() => new(Clusters(), Nodes(), Links(), Services(), UserGroups());
    public void Save(Tenant tenant) => _tenants[tenant.Id] = tenant;
    public void Save(EdgeCluster cluster) => _clusters[cluster.Id] = cluster;
    public void Save(EdgeNode node) => _nodes[node.Id] = node;
    public void Save(NetworkLink link) => _links[link.Id] = link;
    public void Save(ServiceInstance service) => _services[service.Id] = service;
    public void Save(UserGroup group) => _groups[group.Id] = group;

    public void SaveAll(EdgeInventory inventory)
    {
        foreach (var t in inventory.Tenants) Save(t);
        foreach (var c in inventory.Clusters) Save(c);
        foreach (var n in inventory.Nodes) Save(n);
        foreach (var l in inventory.Links) Save(l);
        foreach (var s in inventory.Services) Save(s);
        foreach (var g in inventory.UserGroups) Save(g);
    }
}

/// <summary>
/// Migrations kept as JSON, the way the real store keeps documents: every read is a fresh aggregate,
/// so a test sees exactly what was persisted, and a "restart" can reload it.
/// </summary>
public sealed class InMemoryMigrationRepository : IMigrationRepository
{
    private readonly ConcurrentDictionary<MigrationId, string> _documents = new();

    public int Saves { get; private set; }

    public void Save(Migration migration)
    {
        _documents[migration.Id] = JsonSerializer.Serialize(migration, DomainJson.Options);
        Saves++;
    }

    public Migration? Find(MigrationId id) => _documents.TryGetValue(id, out var json) ? Load(json) : null;

    public IReadOnlyList<Migration> List(MigrationQuery query) => _documents.Values.Select(Load)
        .Where(m => query.Tenant is null || m.TenantId == query.Tenant)
        .Where(m => query.Cluster is null || m.ClusterId == query.Cluster)
        .Where(m => query.Service is null || m.ServiceId == query.Service)
        .Where(m => query.States is not { Count: > 0 } states || states.Contains(m.State))
        .OrderByDescending(m => m.CreatedAt).Take(query.Limit).ToList();

    public IReadOnlyList<Migration> Unfinished() => List(new MigrationQuery(
        States: [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack], Limit: int.MaxValue)).OrderBy(m => m.CreatedAt).ToList();

    private static Migration Load(string json) => JsonSerializer.Deserialize<Migration>(json, DomainJson.Options)!;
}
