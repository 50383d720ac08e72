using EdgePortal.Core.Domain;
using LiteDB;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.LiteDb;

/// <summary>Files written by hand with LiteDB itself, in the shape older EdgePortal versions left behind.</summary>
public sealed class SchemaUpgradeTests : StorageTestBase
{
    private readonly Tenant _sky = new(TenantId.New(), "SkyFleet", [], Objective.MinDowntime);
    private readonly Tenant _arena = new(TenantId.New(), "ARena Play", [], Objective.MinResources);

    private void WriteFile(int userVersion, Action<LiteDatabase>? fill = null)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct });
        db.UserVersion = userVersion;
        fill?.Invoke(db);
    }

    private static int UserVersionOnDisk(string path)
    {
        using var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, ReadOnly = true });
        return db.UserVersion;
    }

    /// <summary>A service document as version 1 stored it: today's shape without "objective" and "labels".</summary>
    private static BsonDocument V1(ServiceInstance service)
    {
        var document = BsonJson.ToDocument(service, service.Id.Value);
        Assert.True(document.Remove("objective"));
        Assert.True(document.Remove("labels"));
        return document;
    }

    private static BsonDocument Doc<T>(T value, Guid id) => BsonJson.ToDocument(value, id);

    /// <summary>A version-1 file: two tenants with different default objectives and one service each, plus an orphan service.</summary>
    private (ServiceInstance Sky, ServiceInstance Arena, ServiceInstance Orphan) WriteV1File()
    {
        var node = NodeId.New();
        // Each service's own objective differs from its tenant's default, so only the upgrade can produce the expected one.
        var sky = Service(_sky.Id, "flight-control", node, Objective.MinResources, new Dictionary<string, string> { ["x"] = "y" });
        var arena = Service(_arena.Id, "match-state", node, Objective.MinDowntime, new Dictionary<string, string> { ["x"] = "y" });
        var orphan = Service(TenantId.New(), "orphan", node, Objective.MinResources);
        WriteFile(1, db =>
        {
            db.GetCollection("tenants").Insert([Doc(_sky, _sky.Id.Value), Doc(_arena, _arena.Id.Value)]);
            db.GetCollection("services").Insert([V1(sky), V1(arena), V1(orphan)]);
            db.GetCollection("nodes").Insert(Doc(new EdgeNode(node, ClusterId.New(), "n1", "site", new NodeCapacity(1_000, GB), new GeoLocation(45, 7)), node.Value));
        });
        return (sky, arena, orphan);
    }

    [Fact]
    public void Open_NewFile_IsCreatedAtTheCurrentVersion()
    {
        var nested = Path.Combine(Folder, "not", "yet", "there", "edge.db");

        using (var database = Open(nested))
        {
            Assert.True(database.Ping());
            Assert.Equal(nested, database.Path);
        }

        Assert.Equal(EdgeDatabase.CurrentVersion, UserVersionOnDisk(nested));
    }

    [Fact]
    public void Open_V1File_IsUpgradedToTheCurrentVersion()
    {
        WriteV1File();

        Assert.True(Database.Ping());
        Assert.Equal(EdgeDatabase.CurrentVersion, Database.Database.UserVersion);

        Database.Dispose();
        Assert.Equal(EdgeDatabase.CurrentVersion, UserVersionOnDisk(FilePath));
    }

    [Fact]
    public void Open_V1Services_TakeTheirTenantsDefaultObjective()
    {
        var (sky, arena, _) = WriteV1File();

        Assert.Equal(Objective.MinResources, Inventory.FindService(arena.Id)!.Objective);
        Assert.Equal(Objective.MinDowntime, Inventory.FindService(sky.Id)!.Objective);
    }

    [Fact]
    public void Open_V1ServiceOfAnUnknownTenant_GetsMinDowntime()
    {
        var (_, _, orphan) = WriteV1File();

        Assert.Equal(Objective.MinDowntime, Inventory.FindService(orphan.Id)!.Objective);
    }

    [Fact]
    public void Open_V1Services_HaveEmptyLabelsAndKeepEverythingElse()
    {
        var (sky, arena, orphan) = WriteV1File();

        foreach (var original in new[] { sky, arena, orphan })
        {
            var upgraded = Inventory.FindService(original.Id)!;
            Assert.Empty(upgraded.Labels);
            Assert.Equal((original.TenantId, original.Name, original.NodeId, original.Image), (upgraded.TenantId, upgraded.Name, upgraded.NodeId, upgraded.Image));
            Assert.Equal(original.Profile, upgraded.Profile);
            Assert.Equal(original.Targets, upgraded.Targets);
        }
        Assert.Single(Inventory.Nodes());
        Assert.Equal(2, Inventory.Tenants().Count);
    }

    [Fact]
    public void Open_V1File_WritesTheNewFieldsIntoTheDocuments()
    {
        var (_, arena, _) = WriteV1File();

        var document = Database.Database.GetCollection("services").FindById(arena.Id.Value);

        Assert.Equal("MinResources", document["objective"].AsString);
        Assert.True(document["labels"].IsDocument);
        Assert.Empty(document["labels"].AsDocument.Keys);
    }

    [Fact]
    public void Open_V1File_ServicesStillFilterByTenant()
    {
        var (sky, arena, _) = WriteV1File();

        Assert.Equal([sky.Id], Inventory.Services(_sky.Id).Select(s => s.Id));
        Assert.Equal([arena.Id], Inventory.Services(_arena.Id).Select(s => s.Id));
    }

    [Fact]
    public void Open_V1ServiceThatAlreadyHasFields_KeepsThem()
    {
        var service = Service(_sky.Id, "partly-upgraded", NodeId.New(), Objective.MinResources, new Dictionary<string, string> { ["app"] = "kept" });
        WriteFile(1, db =>
        {
            db.GetCollection("tenants").Insert(Doc(_sky, _sky.Id.Value));
            db.GetCollection("services").Insert(BsonJson.ToDocument(service, service.Id.Value));
        });

        var upgraded = Inventory.FindService(service.Id)!;

        Assert.Equal(Objective.MinResources, upgraded.Objective);
        Assert.Equal("kept", upgraded.Labels["app"]);
    }

    [Fact]
    public void Open_V1TenantWithoutDefaultObjective_ItsServicesGetMinDowntime()
    {
        var service = Service(_arena.Id, "old", NodeId.New(), Objective.MinResources);
        WriteFile(1, db =>
        {
            var tenant = Doc(_arena, _arena.Id.Value);
            Assert.True(tenant.Remove("defaultObjective"));
            db.GetCollection("tenants").Insert(tenant);
            db.GetCollection("services").Insert(V1(service));
        });

        Assert.Equal(Objective.MinDowntime, Inventory.FindService(service.Id)!.Objective);
    }

    [Fact]
    public void Open_UpgradedFileAgain_ChangesNothing()
    {
        var (sky, arena, _) = WriteV1File();
        var before = Inventory.Services().Select(s => (s.Id, s.Objective, s.Labels.Count)).ToList();

        Reopen();

        Assert.Equal(before, Inventory.Services().Select(s => (s.Id, s.Objective, s.Labels.Count)).ToList());
        Assert.Equal(EdgeDatabase.CurrentVersion, Database.Database.UserVersion);
        Assert.Equal(Objective.MinResources, Inventory.FindService(arena.Id)!.Objective);
        Assert.Equal(Objective.MinDowntime, Inventory.FindService(sky.Id)!.Objective);
    }

    [Fact]
    public void Open_V1FileWithoutServices_IsUpgraded()
    {
        WriteFile(1);

        Assert.True(Database.Ping());
        Assert.True(Inventory.IsEmpty);
    }

    [Theory]
    [InlineData(EdgeDatabase.CurrentVersion + 1)]
    [InlineData(99)]
    public void Open_FileFromANewerEdgePortal_IsRefusedNamingTheVersionAndTheSetting(int version)
    {
        WriteFile(version);

        var e = Assert.Throws<InvalidOperationException>(() => Open(FilePath));

        Assert.Contains($"schema version {version}", e.Message);
        Assert.Contains("EdgePortal:Storage:Path", e.Message);
        Assert.Contains(FilePath, e.Message);
        Assert.Contains($"({EdgeDatabase.CurrentVersion})", e.Message);
    }

    [Fact]
    public void Open_FileFromANewerEdgePortal_IsLeftUntouchedAndUnlocked()
    {
        WriteFile(99, db => db.GetCollection("services").Insert(new BsonDocument { ["_id"] = Guid.NewGuid(), ["future"] = true }));

        Assert.Throws<InvalidOperationException>(() => Open(FilePath));

        // The refused file was closed (it opens again) and kept its version and data.
        using var db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct });
        Assert.Equal(99, db.UserVersion);
        Assert.True(Assert.Single(db.GetCollection("services").FindAll())["future"].AsBoolean);
    }

    [Fact]
    public void Open_V2FileWithMigrations_BackfillsTheOrderingKeyAndListsNewestFirst()
    {
        var node = NodeId.New();
        var service = Service(_sky.Id, "flight-control", node, Objective.MinDowntime);
        var plan = new MigrationPlan(MigrationStrategy.Cold, node, NodeId.New(), Bandwidth.FromGigabits(1), 0, null, 900, 900,
            [new PlannedStep(StepKind.Checkpoint, 0, 900, true)], true, null, "test");
        // A whole-second timestamp and a later one with a fraction: the text sorts them the wrong way round.
        var older = Migration.Create(service, ClusterId.New(), plan, service.Targets, service.Objective, MigrationTrigger.Api, "test",
            DateTimeOffset.Parse("2026-11-28T10:00:00+00:00", System.Globalization.CultureInfo.InvariantCulture));
        var newer = Migration.Create(service, ClusterId.New(), plan, service.Targets, service.Objective, MigrationTrigger.Api, "test",
            DateTimeOffset.Parse("2026-11-28T10:00:00.5+00:00", System.Globalization.CultureInfo.InvariantCulture));
        WriteFile(2, db => db.GetCollection("migrations").Insert([Doc(older, older.Id.Value), Doc(newer, newer.Id.Value)]));

        Assert.Equal(EdgeDatabase.CurrentVersion, Database.Database.UserVersion);
        var listed = new LiteDbMigrationRepository(Database).List(new MigrationQuery());
        Assert.Equal([newer.Id, older.Id], listed.Select(m => m.Id));
        Assert.All(Database.Database.GetCollection("migrations").FindAll(), d => Assert.True(d["createdAtTicks"].IsInt64));
    }

    [Fact]
    public void Open_V3FileWithMigrations_AddsTheOwnerKeysAndPagesEachOwnersHistory()
    {
        var node = NodeId.New();
        var flight = Service(_sky.Id, "flight-control", node, Objective.MinDowntime);
        var match = Service(_arena.Id, "match-state", node, Objective.MinDowntime);
        var cluster = ClusterId.New();
        var migrations = Enumerable.Range(0, 6).Select(i => NewMigration(i % 2 == 0 ? flight : match, cluster, T0.AddMinutes(i))).ToList();
        WriteFile(3, db => db.GetCollection("migrations").Insert(migrations.Select(m =>
        {
            var document = Doc(m, m.Id.Value);
            document["createdAtTicks"] = m.CreatedAt.UtcTicks;
            return document;
        })));

        Assert.Equal(EdgeDatabase.CurrentVersion, Database.Database.UserVersion);
        var repository = new LiteDbMigrationRepository(Database);
        Assert.Equal(migrations.Where(m => m.TenantId == _arena.Id).OrderByDescending(m => m.CreatedAt).Select(m => m.Id),
            repository.List(new MigrationQuery(Tenant: _arena.Id)).Select(m => m.Id));
        Assert.Equal(migrations.Where(m => m.ServiceId == flight.Id).OrderByDescending(m => m.CreatedAt).Take(2).Select(m => m.Id),
            repository.List(new MigrationQuery(Service: flight.Id, Limit: 2)).Select(m => m.Id));
        Assert.Equal(6, repository.List(new MigrationQuery(Cluster: cluster)).Count);
        Assert.All(Database.Database.GetCollection("migrations").FindAll(), d => Assert.StartsWith(d["tenantId"].AsString.Replace("-", ""), d["tenantKey"].AsString));
    }
}
