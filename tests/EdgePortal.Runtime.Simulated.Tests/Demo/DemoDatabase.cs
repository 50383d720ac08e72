using EdgePortal.Core.Domain;
using EdgePortal.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePortal.Runtime.Simulated.Tests.Demo;

/// <summary>
/// A real LiteDB file in a temp folder of its own, with the inventory repository the storage project
/// registers. The repository type is internal to EdgePortal.Storage, so it is taken from the descriptor
/// <c>AddEdgePortalStorage</c> registers and constructed over this test's <see cref="EdgeDatabase"/>.
/// </summary>
internal sealed class DemoDatabase : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edgeportal-simulated-tests", Guid.NewGuid().ToString("N"));
    private EdgeDatabase? _database;

    public DemoDatabase()
    {
        Directory.CreateDirectory(_folder);
        FilePath = Path.Combine(_folder, "edgeportal.db");
    }

    public string FilePath { get; }

    /// <summary>Opens the file (closing any earlier handle, as a restart would) and returns a repository over it.</summary>
    public IInventoryRepository Open()
    {
        _database?.Dispose();
        _database = new EdgeDatabase(FilePath, NullLogger<EdgeDatabase>.Instance);
        var registered = new ServiceCollection()
            .AddEdgePortalStorage(new ConfigurationBuilder().Build())
            .Single(d => d.ServiceType == typeof(IInventoryRepository));
        return (IInventoryRepository)ActivatorUtilities.CreateInstance(new NoServices(), registered.ImplementationType!, _database);
    }

    public void Dispose()
    {
        _database?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>Passes everything to a real repository and counts the writes that went through it.</summary>
internal sealed class CountingInventory(IInventoryRepository inner) : IInventoryRepository
{
    public int Writes { get; private set; }

    public bool IsEmpty => inner.IsEmpty;
    public IReadOnlyList<Tenant> Tenants() => inner.Tenants();
    public Tenant? FindTenant(TenantId id) => inner.FindTenant(id);
    public IReadOnlyList<EdgeCluster> Clusters() => inner.Clusters();
    public EdgeCluster? FindCluster(ClusterId id) => inner.FindCluster(id);
    public IReadOnlyList<EdgeNode> Nodes() => inner.Nodes();
    public EdgeNode? FindNode(NodeId id) => inner.FindNode(id);
    public IReadOnlyList<NetworkLink> Links() => inner.Links();
    public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null) => inner.Services(tenant);
    public ServiceInstance? FindService(ServiceId id) => inner.FindService(id);
    public IReadOnlyList<UserGroup> UserGroups() => inner.UserGroups();
    public EdgeTopology Topology() => inner.Topology();

    public void Save(Tenant tenant) { Writes++; inner.Save(tenant); }
    public void Save(EdgeCluster cluster) { Writes++; inner.Save(cluster); }
    public void Save(EdgeNode node) { Writes++; inner.Save(node); }
    public void Save(NetworkLink link) { Writes++; inner.Save(link); }
    public void Save(ServiceInstance service) { Writes++; inner.Save(service); }
    public void Save(UserGroup group) { Writes++; inner.Save(group); }
    public void SaveAll(EdgeInventory inventory) { Writes++; inner.SaveAll(inventory); }
}
