namespace EdgePortal.Core.Domain;

/// <summary>
/// The edge as stored: tenants, clusters, nodes, links, services and their users. Writes are
/// transactional; reads return immutable values.
/// </summary>
public interface IInventoryRepository
{
    bool IsEmpty { get; }

    IReadOnlyList<Tenant> Tenants();
    Tenant? FindTenant(TenantId id);
    IReadOnlyList<EdgeCluster> Clusters();
    EdgeCluster? FindCluster(ClusterId id);
    IReadOnlyList<EdgeNode> Nodes();
    EdgeNode? FindNode(NodeId id);
    IReadOnlyList<NetworkLink> Links();
    /// <summary>All services, or only a tenant's.</summary>
    IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null);
    ServiceInstance? FindService(ServiceId id);
    IReadOnlyList<UserGroup> UserGroups();

    /// <summary>The whole edge as one consistent snapshot, for planning and drawing.</summary>
    EdgeTopology Topology();

    void Save(Tenant tenant);
    void Save(EdgeCluster cluster);
    void Save(EdgeNode node);
    void Save(NetworkLink link);
    void Save(ServiceInstance service);
    void Save(UserGroup group);

    /// <summary>Writes a whole inventory in one transaction: all of it lands, or none.</summary>
    void SaveAll(EdgeInventory inventory);
}

/// <summary>A complete edge description, as seeded on first start or imported.</summary>
public sealed record EdgeInventory(
    IReadOnlyList<Tenant> Tenants,
    IReadOnlyList<EdgeCluster> Clusters,
    IReadOnlyList<EdgeNode> Nodes,
    IReadOnlyList<NetworkLink> Links,
    IReadOnlyList<ServiceInstance> Services,
    IReadOnlyList<UserGroup> UserGroups);

public sealed record MigrationQuery(
    TenantId? Tenant = null,
    ClusterId? Cluster = null,
    ServiceId? Service = null,
    IReadOnlyCollection<MigrationState>? States = null,
    int Limit = 200);

/// <summary>Migrations with their steps. Each save is one atomic write of the whole aggregate.</summary>
public interface IMigrationRepository
{
    void Save(Migration migration);
    Migration? Find(MigrationId id);
    /// <summary>Newest first.</summary>
    IReadOnlyList<Migration> List(MigrationQuery query);
    /// <summary>Migrations that were queued, running or rolling back: what a restart must pick up.</summary>
    IReadOnlyList<Migration> Unfinished();
}
