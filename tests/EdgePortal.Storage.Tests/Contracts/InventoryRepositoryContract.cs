using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class InventoryRepositoryContract(TestStore store) : StoreContract(store)
{
    [Fact]
    public void IsEmpty_NewFile_IsTrue()
    {
        Assert.True(Inventory.IsEmpty);
        Assert.Empty(Inventory.Tenants());
        Assert.Empty(Inventory.Services());
    }

    [Fact]
    public void SaveTenant_ThenRead_RoundTripsEveryField()
    {
        var tenant = SampleInventory().Tenants[1];
        Inventory.Save(tenant);

        InventoryAssert.Same(tenant, Inventory.FindTenant(tenant.Id));
        InventoryAssert.Same(tenant, Assert.Single(Inventory.Tenants()));
    }

    [Fact]
    public void SaveCluster_ThenRead_RoundTripsEveryField()
    {
        var cluster = SampleInventory().Clusters[1];
        Inventory.Save(cluster);

        Assert.Equal(cluster, Inventory.FindCluster(cluster.Id));
        Assert.Equal([cluster], Inventory.Clusters());
        Assert.False(Inventory.IsEmpty);
    }

    [Fact]
    public void SaveNode_ThenRead_RoundTripsCapacityLocationHostClassAndStatus()
    {
        foreach (var node in SampleInventory().Nodes)
        {
            Inventory.Save(node);
            Assert.Equal(node, Inventory.FindNode(node.Id));
        }
        Assert.Equal(SampleInventory().Nodes.Count, Inventory.Nodes().Count);
    }

    [Fact]
    public void SaveLink_ThenRead_RoundTripsBandwidthAndLatency()
    {
        var link = SampleInventory().Links[1];
        Inventory.Save(link);

        var stored = Assert.Single(Inventory.Links());
        Assert.Equal(link, stored);
        Assert.Equal(10e9, stored.Bandwidth.BitsPerSecond);
    }

    [Fact]
    public void SaveService_ThenRead_RoundTripsProfileTargetsLabelsAndImage()
    {
        var service = SampleInventory().Services[1];
        Inventory.Save(service);

        InventoryAssert.Same(service, Inventory.FindService(service.Id));
        Assert.Equal("données · ñ", Inventory.FindService(service.Id)!.Labels["team"]);
        Assert.Equal(2_500.5, Inventory.FindService(service.Id)!.Profile.DirtyPagesPerSecond);
    }

    [Fact]
    public void SaveUserGroup_ThenRead_RoundTripsEveryField()
    {
        var group = SampleInventory().UserGroups[1];
        Inventory.Save(group);

        Assert.Equal([group], Inventory.UserGroups());
    }

    [Fact]
    public void SaveAll_WholeInventory_ReadsBackEverything()
    {
        var inventory = SampleInventory();

        Inventory.SaveAll(inventory);

        InventoryAssert.Same(inventory, Inventory);
    }

    [Fact]
    public void Find_UnknownIds_ReturnNull()
    {
        Inventory.SaveAll(SampleInventory());

        Assert.Null(Inventory.FindTenant(TenantId.New()));
        Assert.Null(Inventory.FindCluster(ClusterId.New()));
        Assert.Null(Inventory.FindNode(NodeId.New()));
        Assert.Null(Inventory.FindService(ServiceId.New()));
    }

    [Fact]
    public void Save_SameIdTwice_ReplacesTheDocument()
    {
        var node = SampleInventory().Nodes[0];
        Inventory.Save(node);

        Inventory.Save(node.WithStatus(NodeStatus.Cordoned));

        Assert.Equal(NodeStatus.Cordoned, Assert.Single(Inventory.Nodes()).Status);
    }

    [Fact]
    public void Save_ServiceMovedToAnotherNode_ReplacesItsNode()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);
        var moved = inventory.Services[0].MovedTo(inventory.Nodes[2].Id);

        Inventory.Save(moved);

        Assert.Equal(inventory.Nodes[2].Id, Inventory.FindService(moved.Id)!.NodeId);
        Assert.Equal(inventory.Services.Count, Inventory.Services().Count);
    }

    [Fact]
    public void Lists_AreOrderedByName()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory with { Tenants = inventory.Tenants.Reverse().ToList(), Services = inventory.Services.Reverse().ToList() });

        Assert.Equal(["ARena Play", "SkyFleet"], Inventory.Tenants().Select(t => t.Name));
        Assert.Equal(["centro", "nord"], Inventory.Clusters().Select(c => c.Name));
        Assert.Equal(["centro-castello", "centro-crocetta", "nord-dora"], Inventory.Nodes().Select(n => n.Name));
        Assert.Equal(["flight-control", "match-state", "telemetry-ingest"], Inventory.Services().Select(s => s.Name));
    }

    [Fact]
    public void Services_ForATenant_ReturnsOnlyThatTenantsServices()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);
        var (sky, arena) = (inventory.Tenants[0].Id, inventory.Tenants[1].Id);

        Assert.Equal(["flight-control", "telemetry-ingest"], Inventory.Services(sky).Select(s => s.Name));
        Assert.Equal(["match-state"], Inventory.Services(arena).Select(s => s.Name));
        Assert.All(Inventory.Services(sky), s => Assert.Equal(sky, s.TenantId));
        Assert.Empty(Inventory.Services(TenantId.New()));
        Assert.Equal(3, Inventory.Services(null).Count);
    }

    [Fact]
    public void Topology_AfterSaveAll_IsTheStoredEdge()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);

        var topology = Inventory.Topology();

        Assert.Equal(inventory.Nodes.Count, topology.Nodes.Count);
        Assert.Equal(inventory.Services.Count, topology.Services.Count);
        var (castello, crocetta, dora) = (inventory.Nodes[0].Id, inventory.Nodes[1].Id, inventory.Nodes[2].Id);
        Assert.Equal(0.9 + 2.2, topology.LatencyMs(crocetta, dora), 9);
        Assert.Equal(Bandwidth.FromGigabits(1), topology.PathBandwidth(crocetta, dora));
        Assert.Equal(inventory.UserGroups[0], Assert.Single(topology.UsersOf(inventory.Services[0].Id)));
        Assert.Equal(inventory.Services[0].Id, Assert.Single(topology.ServicesOn(castello)).Id);
    }

    [Fact]
    public void Reopen_AfterDispose_KeepsEverything()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);
        var extra = Service(inventory.Tenants[1].Id, "leaderboard", inventory.Nodes[0].Id);
        Inventory.Save(extra);

        Reopen();

        InventoryAssert.Same(inventory with { Services = [.. inventory.Services, extra] }, Inventory);
    }

    // ---- SaveAll is one transaction ----------------------------------------------------------

    /// <summary>A service the store refuses while writing it (its own honest, deterministic write failure), put last.</summary>
    private ServiceInstance Oversized(EdgeInventory inventory) => Store.Unstorable(inventory);

    [Fact]
    public void SaveAll_LastServiceRejected_LeavesNothingBehind()
    {
        var inventory = SampleInventory();
        var failing = inventory with { Services = [.. inventory.Services, Oversized(inventory)] };

        Assert.ThrowsAny<Exception>(() => Inventory.SaveAll(failing));

        Assert.True(Inventory.IsEmpty);
        Assert.Empty(Inventory.Tenants());
        Assert.Empty(Inventory.Clusters());
        Assert.Empty(Inventory.Nodes());
        Assert.Empty(Inventory.Links());
        Assert.Empty(Inventory.Services());
        Assert.Empty(Inventory.UserGroups());
    }

    [Fact]
    public void SaveAll_Rejected_LeavesNothingBehindAfterReopen()
    {
        var inventory = SampleInventory();
        Assert.ThrowsAny<Exception>(() => Inventory.SaveAll(inventory with { Services = [.. inventory.Services, Oversized(inventory)] }));

        Reopen();

        Assert.True(Inventory.IsEmpty);
        Assert.Empty(Inventory.Tenants());
        Assert.Empty(Inventory.Services());
    }

    [Fact]
    public void SaveAll_Rejected_KeepsThePreviousVersionOfUpdatedDocuments()
    {
        var inventory = SampleInventory();
        Inventory.SaveAll(inventory);
        var cordoned = inventory.Nodes[0].WithStatus(NodeStatus.Cordoned);
        var renamed = new EdgeCluster(inventory.Clusters[0].Id, "centro-renamed", ClusterKind.Agent, "Torino");

        Assert.ThrowsAny<Exception>(() => Inventory.SaveAll(inventory with
        {
            Clusters = [renamed],
            Nodes = [cordoned],
            Services = [Oversized(inventory)],
        }));

        InventoryAssert.Same(inventory, Inventory);
        Assert.Equal(NodeStatus.Ready, Inventory.FindNode(cordoned.Id)!.Status);
    }

    [Fact]
    public void SaveAll_AfterARejectedOne_StillWorks()
    {
        var inventory = SampleInventory();
        Assert.ThrowsAny<Exception>(() => Inventory.SaveAll(inventory with { Services = [.. inventory.Services, Oversized(inventory)] }));

        Inventory.SaveAll(inventory);

        InventoryAssert.Same(inventory, Inventory);
    }
}
