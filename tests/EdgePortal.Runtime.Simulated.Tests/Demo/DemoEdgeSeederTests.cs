using EdgePortal.Core.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated.Tests.Demo;

public sealed class DemoEdgeSeederTests : IDisposable
{
    private readonly DemoDatabase _file = new();

    public void Dispose() => _file.Dispose();

    private static DemoEdgeSeeder Seeder(IInventoryRepository inventory, bool demoEdge = true)
        => new(inventory, Options.Create(new SeedOptions { DemoEdge = demoEdge }), NullLogger<DemoEdgeSeeder>.Instance);

    private static (int Tenants, int Clusters, int Nodes, int Links, int Services, int UserGroups) Counts(IInventoryRepository inventory)
        => (inventory.Tenants().Count, inventory.Clusters().Count, inventory.Nodes().Count, inventory.Links().Count,
            inventory.Services().Count, inventory.UserGroups().Count);

    private static (int, int, int, int, int, int) Counts(EdgeInventory demo)
        => (demo.Tenants.Count, demo.Clusters.Count, demo.Nodes.Count, demo.Links.Count, demo.Services.Count, demo.UserGroups.Count);

    [Fact]
    public void Seed_EmptyDatabase_WritesTheWholeDemoEdgeInOneTransaction()
    {
        var inventory = new CountingInventory(_file.Open());

        Assert.True(Seeder(inventory).Seed());

        Assert.Equal(1, inventory.Writes);
        Assert.False(inventory.IsEmpty);
        Assert.Equal(Counts(DemoEdge.Build()), Counts(inventory));
    }

    [Fact]
    public void Seed_EmptyDatabase_StoresTheDemoAsBuilt()
    {
        var inventory = _file.Open();
        Seeder(inventory).Seed();
        var demo = DemoEdge.Build();

        Assert.Equal(demo.Nodes.OrderBy(n => n.Name), inventory.Nodes());
        Assert.Equal(demo.Clusters.OrderBy(c => c.Name), inventory.Clusters());
        Assert.Equal(demo.UserGroups.OrderBy(g => g.Id.Value), inventory.UserGroups().OrderBy(g => g.Id.Value));
        Assert.Equal(demo.Links.OrderBy(l => l.Id.Value), inventory.Links().OrderBy(l => l.Id.Value));
        foreach (var service in demo.Services)
        {
            var stored = inventory.FindService(service.Id);
            Assert.NotNull(stored);
            Assert.Equal((service.Name, service.NodeId, service.TenantId, service.Objective, service.Profile, service.Targets),
                (stored.Name, stored.NodeId, stored.TenantId, stored.Objective, stored.Profile, stored.Targets));
            Assert.Equal(service.Labels.OrderBy(l => l.Key), stored.Labels.OrderBy(l => l.Key));
        }
        Assert.Equal(demo.Services.Count(s => s.TenantId == DemoEdge.ArenaPlay), inventory.Services(DemoEdge.ArenaPlay).Count);
        Assert.Equal(demo.Tenants.Single(t => t.Id == DemoEdge.ArenaPlay).AllowedClusters, inventory.FindTenant(DemoEdge.ArenaPlay)!.AllowedClusters);
    }

    [Fact]
    public void Seed_SecondRun_WritesNothingAndKeepsTheCounts()
    {
        Assert.True(Seeder(_file.Open()).Seed());
        var inventory = new CountingInventory(_file.Open());
        var before = Counts(inventory);

        Assert.False(Seeder(inventory).Seed());

        Assert.Equal(0, inventory.Writes);
        Assert.Equal(before, Counts(inventory));
        Assert.Equal(Counts(DemoEdge.Build()), Counts(_file.Open()));
    }

    [Fact]
    public void Seed_SecondRunAfterAnOperatorChange_KeepsTheChange()
    {
        var inventory = _file.Open();
        Seeder(inventory).Seed();
        var node = inventory.Nodes()[0];
        inventory.Save(node.WithStatus(NodeStatus.Cordoned));

        var reopened = _file.Open();
        Assert.False(Seeder(reopened).Seed());

        Assert.Equal(NodeStatus.Cordoned, reopened.FindNode(node.Id)!.Status);
    }

    [Fact]
    public void Seed_DemoEdgeOff_WritesNothing()
    {
        var inventory = new CountingInventory(_file.Open());

        Assert.False(Seeder(inventory, demoEdge: false).Seed());

        Assert.Equal(0, inventory.Writes);
        Assert.True(inventory.IsEmpty);
        Assert.Equal((0, 0, 0, 0, 0, 0), Counts(_file.Open()));
    }

    [Fact]
    public void Seed_NonEmptyDatabase_LeavesItAlone()
    {
        var seeded = _file.Open();
        var cluster = new EdgeCluster(ClusterId.New(), "operator-cluster", ClusterKind.Agent, "Milano");
        var tenant = new Tenant(TenantId.New(), "Real tenant", [cluster.Id]);
        seeded.Save(cluster);
        seeded.Save(tenant);
        var inventory = new CountingInventory(_file.Open());

        Assert.False(Seeder(inventory).Seed());

        Assert.Equal(0, inventory.Writes);
        Assert.Equal([cluster], inventory.Clusters());
        Assert.Equal(tenant.Id, Assert.Single(inventory.Tenants()).Id);
        Assert.Empty(inventory.Services());
        Assert.Null(inventory.FindTenant(DemoEdge.SkyFleet));
    }

    [Fact]
    public async Task StartAsync_EmptyDatabase_Seeds()
    {
        var inventory = _file.Open();
        IHostedService seeder = Seeder(inventory);

        await seeder.StartAsync(CancellationToken.None);
        await seeder.StopAsync(CancellationToken.None);

        Assert.Equal(Counts(DemoEdge.Build()), Counts(inventory));
    }

    [Fact]
    public void SeedOptions_ByDefault_SeedTheDemoEdge()
    {
        Assert.True(new SeedOptions().DemoEdge);
        Assert.Equal("EdgePortal:Seed", SeedOptions.Section);
    }

    [Fact]
    public void AddSimulatedEdge_RegistersTheSeederAsASingletonHostedService()
    {
        var services = new ServiceCollection().AddSimulatedEdge(new ConfigurationBuilder().Build());

        Assert.Contains(services, d => d.ServiceType == typeof(DemoEdgeSeeder) && d.Lifetime == ServiceLifetime.Singleton);
        Assert.Contains(services, d => d.ServiceType == typeof(IHostedService) && d.Lifetime == ServiceLifetime.Singleton);
    }
}
