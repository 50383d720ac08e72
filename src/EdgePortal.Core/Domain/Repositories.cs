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

/// <summary>A filter over migrations, newest first; <see cref="Before"/> continues a page where the last one ended.</summary>
public sealed record MigrationQuery(
    TenantId? Tenant = null,
    ClusterId? Cluster = null,
    ServiceId? Service = null,
    IReadOnlyCollection<MigrationState>? States = null,
    int Limit = 200,
    HistoryCursor? Before = null,
    BatchId? Batch = null)
{
    /// <summary>The cursor of a migration as a row of this history (its creation time and id).</summary>
    public static HistoryCursor CursorOf(Migration migration) => HistoryCursor.At(migration.CreatedAt, migration.Id.Value);
}

/// <summary>Migrations with their steps. Each save is one atomic write of the whole aggregate.</summary>
public interface IMigrationRepository
{
    /// <summary>
    /// Stores the aggregate. Optimistic: a save must carry at least one transition the stored copy has not seen (its
    /// <see cref="Migration.Version"/> above the stored one); a save at or below the stored version would overwrite
    /// someone else's transition and throws <see cref="ConcurrencyConflictException"/>, writing nothing.
    /// </summary>
    void Save(Migration migration);
    Migration? Find(MigrationId id);
    /// <summary>Newest first (creation time, then id), at most <see cref="MigrationQuery.Limit"/>, older than <see cref="MigrationQuery.Before"/>.</summary>
    IReadOnlyList<Migration> List(MigrationQuery query);
    /// <summary>Migrations that were queued, running or rolling back: what a restart must pick up.</summary>
    IReadOnlyList<Migration> Unfinished();
}
