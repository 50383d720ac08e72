using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
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

    /// <summary>
    /// Three ready nodes in a triangle; n2 has room for one small service only. Service a runs on n1 with its users at n2, service b
    /// on n3: a is best placed on n2, then n3.
    /// </summary>
    private static (EdgeInventory Inventory, EdgeNode N2, EdgeNode N3, ServiceInstance A, ServiceInstance B) SmallEdge()
    {
        var cluster = new EdgeCluster(ClusterId.New(), "centro", ClusterKind.Simulated, "Torino");
        var tenant = new Tenant(TenantId.New(), "SkyFleet", [cluster.Id], Objective.MinDowntime);
        EdgeNode Node(string name, int cpu) => new(NodeId.New(), cluster.Id, name, "site " + name, new NodeCapacity(cpu, 64 * GB), new GeoLocation(45.07, 7.68));
        var (n1, n2, n3) = (Node("n1", 16_000), Node("n2", 600), Node("n3", 16_000));
        NetworkLink Link(EdgeNode x, EdgeNode y) => new(LinkId.New(), x.Id, y.Id, Bandwidth.FromGigabits(1), 1);
        var a = Service(tenant.Id, "a", n1.Id);
        var b = Service(tenant.Id, "b", n3.Id);
        var users = new UserGroup(UserGroupId.New(), a.Id, "a's users", n2.Id, 10);
        return (new EdgeInventory([tenant], [cluster], [n1, n2, n3], [Link(n1, n2), Link(n1, n3), Link(n2, n3)], [a, b], [users]), n2, n3, a, b);
    }

    private static PlacementResult NextPlacement(IInventoryRepository repository, ServiceInstance service)
        => new MigrationPlanner(repository.Topology()).Plan(service, repository.Tenants().Single()).Placement;

    [Fact]
    public void Topology_ServiceMovedOntoANodeAfterARead_TheNextPlanSeesTheNodeFull()
    {
        var repository = Inventory;
        var (inventory, n2, n3, a, b) = SmallEdge();
        repository.SaveAll(inventory);
        Assert.Equal(n2.Id, NextPlacement(repository, a).Candidates[0].Node);

        repository.Save(b.MovedTo(n2.Id));

        var placement = NextPlacement(repository, a);
        Assert.Equal([n3.Id], placement.Candidates.Select(c => c.Node));
        Assert.Equal(PlacementExclusion.NoRoom, placement.Excluded.Single(e => e.Node == n2.Id).Reason);
        Assert.Equal(n2.Id, repository.Topology().FindService(b.Id)!.NodeId);
        Assert.Equal(["b"], repository.Topology().ServicesOn(n2.Id).Select(s => s.Name));
    }

    [Fact]
    public void Topology_UsersTravelAfterARead_TheNextPlanFollowsThem()
    {
        var repository = Inventory;
        var (inventory, n2, n3, a, _) = SmallEdge();
        repository.SaveAll(inventory);
        Assert.Equal(n2.Id, NextPlacement(repository, a).Candidates[0].Node);

        repository.Save(inventory.UserGroups[0].AttachedAt(n3.Id));

        Assert.Equal(n3.Id, NextPlacement(repository, a).Candidates[0].Node);
    }

    [Fact]
    public void Topology_NewServiceOrNodeAfterARead_IsPartOfTheNextOne()
    {
        var repository = Inventory;
        var (inventory, n2, _, a, _) = SmallEdge();
        repository.SaveAll(inventory);
        _ = repository.Topology();

        var added = Service(a.TenantId, "added", n2.Id);
        repository.Save(added);
        Assert.Equal(n2.Id, repository.Topology().FindService(added.Id)!.NodeId);
        Assert.Equal(PlacementExclusion.NoRoom, NextPlacement(repository, a).Excluded.Single(e => e.Node == n2.Id).Reason);

        var n4 = new EdgeNode(NodeId.New(), n2.ClusterId, "n4", "site n4", new NodeCapacity(16_000, 64 * GB), new GeoLocation(45.07, 7.68));
        repository.Save(n4);
        repository.Save(new NetworkLink(LinkId.New(), n2.Id, n4.Id, Bandwidth.FromGigabits(1), 1));
        Assert.Contains(n4.Id, NextPlacement(repository, a).Candidates.Select(c => c.Node));
    }
}
