using EdgePortal.Core.Domain;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests;

/// <summary>The repository keeps the last topology until a write lands.</summary>
public sealed class TopologyCacheTests : StorageTestBase
{
    [Fact]
    public void Topology_NoWriteBetweenReads_ReturnsTheSameSnapshot()
    {
        var repository = new LiteDbInventoryRepository(Database);
        repository.SaveAll(SampleInventory());

        Assert.Same(repository.Topology(), repository.Topology());
    }

    [Fact]
    public void Topology_AfterEachKindOfWrite_ReflectsIt()
    {
        var repository = new LiteDbInventoryRepository(Database);
        var inventory = SampleInventory();
        repository.SaveAll(inventory);
        var service = inventory.Services[0];
        var other = inventory.Nodes.First(n => n.Id != service.NodeId);
        _ = repository.Topology();

        repository.Save(service.MovedTo(other.Id));
        Assert.Equal(other.Id, repository.Topology().Services.Single(s => s.Id == service.Id).NodeId);

        repository.Save(other.WithStatus(NodeStatus.Cordoned));
        Assert.Equal(NodeStatus.Cordoned, repository.Topology().Node(other.Id).Status);

        var group = inventory.UserGroups[0];
        repository.Save(group.AttachedAt(other.Id));
        Assert.Equal(other.Id, repository.Topology().UsersOf(group.ServiceId).Single(g => g.Id == group.Id).AttachedTo);
    }

    [Fact]
    public void Topology_WriteThatFails_StillDropsTheSnapshot()
    {
        var repository = new LiteDbInventoryRepository(Database);
        repository.SaveAll(SampleInventory());
        var before = repository.Topology();
        var tooBig = Service(TenantId.New(), "too-big", NodeId.New(), labels: new Dictionary<string, string> { ["blob"] = new string('x', 20_000_000) });

        Assert.ThrowsAny<Exception>(() => repository.SaveAll(new EdgeInventory([], [], [], [], [tooBig], [])));

        Assert.NotSame(before, repository.Topology());
    }
}
