using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>The repository keeps the last topology until a write lands.</summary>
public abstract class TopologyCacheContract(TestStore store) : StoreContract(store)
{
    [Fact]
    public void Topology_NoWriteBetweenReads_ReturnsTheSameSnapshot()
    {
        var repository = Inventory;
        repository.SaveAll(SampleInventory());

        Assert.Same(repository.Topology(), repository.Topology());
    }

    [Fact]
    public void Topology_AfterEachKindOfWrite_ReflectsIt()
    {
        var repository = Inventory;
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
    public void Topology_WriteThatFails_ShowsNothingOfIt()
    {
        var repository = Inventory;
        var inventory = SampleInventory();
        repository.SaveAll(inventory);
        _ = repository.Topology();
        var moved = inventory.Services[1].MovedTo(inventory.Nodes[0].Id);

        Assert.ThrowsAny<Exception>(() => repository.SaveAll(new EdgeInventory([], [], [], [], [moved, Store.Unstorable(inventory)], [])));

        var topology = repository.Topology();
        Assert.Equal(inventory.Services.Select(s => (s.Id, s.NodeId)).OrderBy(p => p.Id.Value), topology.Services.Select(s => (s.Id, s.NodeId)).OrderBy(p => p.Id.Value));
    }
}
