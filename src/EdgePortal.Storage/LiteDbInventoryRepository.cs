using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

/// <remarks>
/// <see cref="Topology"/> is cached: building it reads every document, and planning and the engine ask for it
/// on every request and every migration start. Each write bumps a version after it has landed; a topology is
/// cached only if no write landed while it was being read, so a reader never keeps a stale edge.
/// A write that replaces one service or one user group (a finished migration moves its service; users travel) patches the
/// cached topology to the new version instead (<see cref="EdgeTopology.Replacing(ServiceInstance)"/>): with tens of
/// thousands of services, reading them all again after every finished migration made each next start pay for the whole
/// inventory. A write of a tenant leaves the topology as it is (it holds no tenants); any other write rebuilds it.
/// </remarks>
internal sealed class LiteDbInventoryRepository(EdgeDatabase database) : IInventoryRepository
{
    private long _version;
    private CachedTopology? _cached;
    /// <summary>One write and its version bump at a time, so that a patch applies to the cached topology of the version just before it.</summary>
    private readonly Lock _writeGate = new();

    private ILiteDatabase Db => database.Database;

    public bool IsEmpty => Db.GetCollection(Collections.Clusters).Count() == 0;

    public IReadOnlyList<Tenant> Tenants() => All<Tenant>(Collections.Tenants).OrderBy(t => t.Name).ToList();
    public Tenant? FindTenant(TenantId id) => Find<Tenant>(Collections.Tenants, id.Value);
    public IReadOnlyList<EdgeCluster> Clusters() => All<EdgeCluster>(Collections.Clusters).OrderBy(c => c.Name).ToList();
    public EdgeCluster? FindCluster(ClusterId id) => Find<EdgeCluster>(Collections.Clusters, id.Value);
    public IReadOnlyList<EdgeNode> Nodes() => All<EdgeNode>(Collections.Nodes).OrderBy(n => n.Name).ToList();
    public EdgeNode? FindNode(NodeId id) => Find<EdgeNode>(Collections.Nodes, id.Value);
    public IReadOnlyList<NetworkLink> Links() => All<NetworkLink>(Collections.Links).ToList();
    public ServiceInstance? FindService(ServiceId id) => Find<ServiceInstance>(Collections.Services, id.Value);
    public IReadOnlyList<UserGroup> UserGroups() => All<UserGroup>(Collections.UserGroups).ToList();

    public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null)
    {
        var collection = Db.GetCollection(Collections.Services);
        var documents = tenant is { } t
            ? collection.Find(Query.EQ("$.tenantId", t.Value.ToString()))
            : collection.FindAll();
        return documents.Select(BsonJson.FromDocument<ServiceInstance>).OrderBy(s => s.Name).ToList();
    }

    public EdgeTopology Topology()
    {
        var version = Interlocked.Read(ref _version);
        if (Volatile.Read(ref _cached) is { } cached && cached.Version == version)
            return cached.Topology;
        var topology = new EdgeTopology(Clusters(), Nodes(), Links(), Services(), UserGroups());
        if (Interlocked.Read(ref _version) == version)
            Volatile.Write(ref _cached, new CachedTopology(version, topology));
        return topology;
    }

    public void Save(Tenant tenant) => Changed(() => Upsert(Db, Collections.Tenants, tenant, tenant.Id.Value), topology => topology);
    public void Save(EdgeCluster cluster) => Changed(() => Upsert(Db, Collections.Clusters, cluster, cluster.Id.Value));
    public void Save(EdgeNode node) => Changed(() => Upsert(Db, Collections.Nodes, node, node.Id.Value));
    public void Save(NetworkLink link) => Changed(() => Upsert(Db, Collections.Links, link, link.Id.Value));
    public void Save(ServiceInstance service) => Changed(() => Upsert(Db, Collections.Services, service, service.Id.Value), topology => topology.Replacing(service));
    public void Save(UserGroup group) => Changed(() => Upsert(Db, Collections.UserGroups, group, group.Id.Value), topology => topology.Replacing(group));

    public void SaveAll(EdgeInventory inventory) => Changed(() => database.InTransaction(db =>
    {
        foreach (var tenant in inventory.Tenants) Upsert(db, Collections.Tenants, tenant, tenant.Id.Value);
        foreach (var cluster in inventory.Clusters) Upsert(db, Collections.Clusters, cluster, cluster.Id.Value);
        foreach (var node in inventory.Nodes) Upsert(db, Collections.Nodes, node, node.Id.Value);
        foreach (var link in inventory.Links) Upsert(db, Collections.Links, link, link.Id.Value);
        foreach (var service in inventory.Services) Upsert(db, Collections.Services, service, service.Id.Value);
        foreach (var group in inventory.UserGroups) Upsert(db, Collections.UserGroups, group, group.Id.Value);
    }));

    /// <summary>
    /// Runs a write, then (even if it failed part-way) invalidates the cached topology; when the write landed and
    /// <paramref name="patch"/> can say what it changes in the cached topology of the version before it, the patched topology
    /// is cached for the new version. A topology a reader built while the write was landing may already hold it: the patch
    /// replaces a document by its new value, so applying it again gives the same edge.
    /// </summary>
    private void Changed(Action write, Func<EdgeTopology, EdgeTopology?>? patch = null)
    {
        lock (_writeGate)
        {
            var landed = false;
            try
            {
                write();
                landed = true;
            }
            finally
            {
                var version = Interlocked.Increment(ref _version);
                if (landed && patch is not null && Volatile.Read(ref _cached) is { } cached && cached.Version == version - 1
                    && patch(cached.Topology) is { } patched)
                    Volatile.Write(ref _cached, new CachedTopology(version, patched));
            }
        }
    }

    private IEnumerable<T> All<T>(string collection) => Db.GetCollection(collection).FindAll().Select(BsonJson.FromDocument<T>);

    private T? Find<T>(string collection, Guid id) where T : class
        => Db.GetCollection(collection).FindById(id) is { } document ? BsonJson.FromDocument<T>(document) : null;

    private static void Upsert<T>(ILiteDatabase db, string collection, T value, Guid id)
        => db.GetCollection(collection).Upsert(BsonJson.ToDocument(value, id));

    private sealed record CachedTopology(long Version, EdgeTopology Topology);
}
