using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class ConcurrencyContract(TestStore store) : StoreContract(store)
{
    private const int Writers = 8;
    private const int PerWriter = 25;

    /// <summary>Runs every action on its own thread, all released at once; returns what they threw.</summary>
    private static IReadOnlyCollection<Exception> RunTogether(IReadOnlyList<Action> actions)
    {
        var errors = new ConcurrentQueue<Exception>();
        using var start = new Barrier(actions.Count);
        var threads = actions.Select(action => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                action();
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return errors;
    }

    [Fact]
    public void Save_ManyThreadsThroughOneDatabase_EveryWriteIsReadable()
    {
        // One repository of each kind, shared by every thread, as the DI container shares its singletons.
        var inventory = Inventory;
        var migrations = Migrations;
        var tenant = TenantId.New();
        var cluster = ClusterId.New();
        var seed = SampleInventory();
        var services = new ConcurrentBag<ServiceInstance>();
        var saved = new ConcurrentBag<Migration>();

        var writers = Enumerable.Range(0, Writers).Select(writer => (Action)(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var service = Service(tenant, $"svc-{writer:00}-{i:00}", NodeId.New());
                inventory.Save(service);
                var migration = NewMigration(service, cluster, T0.AddSeconds(writer * PerWriter + i));
                migrations.Save(migration);
                migration.Start(migration.CreatedAt.AddMilliseconds(10));
                migrations.Save(migration);
                services.Add(service);
                saved.Add(migration);
            }
        }));
        // A whole-inventory transaction runs among the single writes.
        var errors = RunTogether([.. writers, () => inventory.SaveAll(seed)]);

        Assert.Empty(errors);
        Assert.Equal(Writers * PerWriter, services.Count);
        Assert.Equal(Writers * PerWriter, inventory.Services(tenant).Count);
        Assert.Equal(Writers * PerWriter + seed.Services.Count, inventory.Services().Count);
        foreach (var service in services)
            InventoryAssert.Same(service, inventory.FindService(service.Id));
        foreach (var migration in saved)
        {
            var stored = migrations.Find(migration.Id);
            Assert.NotNull(stored);
            Assert.Equal((MigrationState.Running, 2L), (stored.State, stored.Version));
        }
        Assert.Equal(Writers * PerWriter, migrations.Unfinished().Count);
        foreach (var service in seed.Services)
            InventoryAssert.Same(service, inventory.FindService(service.Id));
        Assert.Equal(seed.Nodes.OrderBy(n => n.Name), inventory.Nodes());
        Assert.Equal(seed.UserGroups.Count, inventory.UserGroups().Count);
    }

    [Fact]
    public void Save_ManyThreads_SurvivesReopen()
    {
        var migrations = Migrations;
        var service = Service(TenantId.New(), "svc", NodeId.New());
        var ids = new ConcurrentBag<MigrationId>();

        var errors = RunTogether(Enumerable.Range(0, Writers).Select(w => (Action)(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                var migration = NewMigration(service, ClusterId.New(), T0.AddSeconds(w * PerWriter + i));
                migrations.Save(migration);
                ids.Add(migration.Id);
            }
        })).ToList());
        Reopen();

        Assert.Empty(errors);
        Assert.Equal(Writers * PerWriter, Migrations.List(new MigrationQuery(Limit: int.MaxValue)).Count);
        Assert.All(ids, id => Assert.NotNull(Migrations.Find(id)));
    }

    [Fact]
    public void SaveAll_ConcurrentInventories_AllLandWhole()
    {
        var inventory = Inventory;
        var seeds = Enumerable.Range(0, 6).Select(_ => SampleInventory()).ToList();

        var errors = RunTogether(seeds.Select(seed => (Action)(() => inventory.SaveAll(seed))).ToList());

        Assert.Empty(errors);
        Assert.Equal(seeds.Sum(s => s.Services.Count), inventory.Services().Count);
        Assert.Equal(seeds.Sum(s => s.Nodes.Count), inventory.Nodes().Count);
        Assert.Equal(seeds.Sum(s => s.Tenants.Count), inventory.Tenants().Count);
        foreach (var service in seeds.SelectMany(s => s.Services))
            InventoryAssert.Same(service, inventory.FindService(service.Id));
    }
}
