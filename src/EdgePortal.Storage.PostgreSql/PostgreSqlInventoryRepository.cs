using EdgePortal.Core.Domain;
using Npgsql;
using static EdgePortal.Storage.PostgreSql.Documents;

namespace EdgePortal.Storage.PostgreSql;

/// <remarks>
/// <see cref="Topology"/> is cached as in LiteDB, but other replicas write too: every write bumps the inventory's
/// change counter in its own transaction, and the cache is kept only while the counter has not moved. A topology is
/// read in one snapshot together with the counter, so it is never a mix of two states.
/// </remarks>
internal sealed class PostgreSqlInventoryRepository(PostgreSqlDatabase database) : IInventoryRepository
{
    private readonly CountedCache<EdgeTopology> _topology = new(database, ChangeCounter.Inventory, (connection, snapshot) => new EdgeTopology(
        Query<EdgeCluster>(connection, snapshot, "SELECT doc FROM clusters").OrderBy(c => c.Name).ToList(),
        Query<EdgeNode>(connection, snapshot, "SELECT doc FROM nodes").OrderBy(n => n.Name).ToList(),
        Query<NetworkLink>(connection, snapshot, "SELECT doc FROM links"),
        Query<ServiceInstance>(connection, snapshot, "SELECT doc FROM services").OrderBy(s => s.Name).ToList(),
        Query<UserGroup>(connection, snapshot, "SELECT doc FROM user_groups")));

    public bool IsEmpty => Scalar(database, "SELECT count(*) FROM (SELECT 1 FROM clusters LIMIT 1) c") == 0;

    public IReadOnlyList<Tenant> Tenants() => All<Tenant>(database, "tenants").OrderBy(t => t.Name).ToList();
    public Tenant? FindTenant(TenantId id) => Find<Tenant>(database, "tenants", id.Value);
    public IReadOnlyList<EdgeCluster> Clusters() => All<EdgeCluster>(database, "clusters").OrderBy(c => c.Name).ToList();
    public EdgeCluster? FindCluster(ClusterId id) => Find<EdgeCluster>(database, "clusters", id.Value);
    public IReadOnlyList<EdgeNode> Nodes() => All<EdgeNode>(database, "nodes").OrderBy(n => n.Name).ToList();
    public EdgeNode? FindNode(NodeId id) => Find<EdgeNode>(database, "nodes", id.Value);
    public IReadOnlyList<NetworkLink> Links() => All<NetworkLink>(database, "links");
    public ServiceInstance? FindService(ServiceId id) => Find<ServiceInstance>(database, "services", id.Value);
    public IReadOnlyList<UserGroup> UserGroups() => All<UserGroup>(database, "user_groups");

    public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null)
        => (tenant is { } t
                ? database.Query<ServiceInstance>("SELECT doc FROM services WHERE tenant_id = @tenant", new NpgsqlParameter("tenant", t.Value))
                : All<ServiceInstance>(database, "services"))
            .OrderBy(s => s.Name).ToList();

    public EdgeTopology Topology() => _topology.Get();

    public void Save(Tenant tenant) => Write((c, t) => Upsert(c, t, "tenants", tenant.Id.Value, tenant));
    public void Save(EdgeCluster cluster) => Write((c, t) => Upsert(c, t, "clusters", cluster.Id.Value, cluster));
    public void Save(EdgeNode node) => Write((c, t) => Upsert(c, t, "nodes", node.Id.Value, node));
    public void Save(NetworkLink link) => Write((c, t) => Upsert(c, t, "links", link.Id.Value, link));
    public void Save(ServiceInstance service) => Write((c, t) => UpsertService(c, t, service));
    public void Save(UserGroup group) => Write((c, t) => Upsert(c, t, "user_groups", group.Id.Value, group));

    public void SaveAll(EdgeInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        Write((c, t) =>
        {
            foreach (var tenant in inventory.Tenants) Upsert(c, t, "tenants", tenant.Id.Value, tenant);
            foreach (var cluster in inventory.Clusters) Upsert(c, t, "clusters", cluster.Id.Value, cluster);
            foreach (var node in inventory.Nodes) Upsert(c, t, "nodes", node.Id.Value, node);
            foreach (var link in inventory.Links) Upsert(c, t, "links", link.Id.Value, link);
            foreach (var service in inventory.Services) UpsertService(c, t, service);
            foreach (var group in inventory.UserGroups) Upsert(c, t, "user_groups", group.Id.Value, group);
        });
    }

    private static void UpsertService(NpgsqlConnection connection, NpgsqlTransaction transaction, ServiceInstance service)
        => Upsert(connection, transaction, "services", service.Id.Value, service, new Column("tenant_id", service.TenantId.Value));

    /// <summary>One transaction: the write and the bump of the inventory's change counter land together.</summary>
    private void Write(Action<NpgsqlConnection, NpgsqlTransaction> write) => database.InTransaction((c, t) =>
    {
        write(c, t);
        ChangeCounter.Bump(c, t, ChangeCounter.Inventory);
    });
}
