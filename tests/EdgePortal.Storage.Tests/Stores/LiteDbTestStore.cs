using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.Extensions.Logging.Abstractions;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Stores;

/// <summary>A real LiteDB file in a folder of its own under the temp directory; the folder goes in <see cref="Dispose"/>.</summary>
public sealed class LiteDbTestStore : TestStore
{
    private readonly string _folder;
    private EdgeDatabase _database;
    private StoreRepositories _repositories;

    public LiteDbTestStore()
    {
        _folder = Path.Combine(Path.GetTempPath(), "edgeportal-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _database = new EdgeDatabase(Path.Combine(_folder, "edgeportal.db"), NullLogger<EdgeDatabase>.Instance);
        _repositories = Open(_database);
    }

    public override string Provider => "LiteDb";

    public EdgeDatabase Database => _database;

    protected override StoreRepositories Repositories => _repositories;

    public override TestStore? SecondReplica() => null;

    public override void Reopen()
    {
        _database.Dispose();
        _database = new EdgeDatabase(Path.Combine(_folder, "edgeportal.db"), NullLogger<EdgeDatabase>.Instance);
        _repositories = Open(_database);
    }

    /// <summary>LiteDB refuses a document over its maximum size (about 16 MB in LiteDB 5) while writing it.</summary>
    public override ServiceInstance Unstorable(EdgeInventory inventory)
        => Service(inventory.Tenants[0].Id, "zz-unstorable", inventory.Nodes[0].Id,
            labels: new Dictionary<string, string> { ["blob"] = new string('x', 20_000_000) });

    public override void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static StoreRepositories Open(EdgeDatabase database) => new(
        new LiteDbInventoryRepository(database), new LiteDbMigrationRepository(database), new LiteDbMigrationLeaseStore(database),
        new LiteDbHistoryPruner(database), new LiteDbCalibrationRepository(database), new LiteDbScheduleRepository(database),
        new LiteDbMaintenanceWindowRepository(database), new LiteDbAutomationDecisionRepository(database), new LiteDbDrainRepository(database),
        new LiteDbUserRepository(database), new LiteDbApiKeyRepository(database), new LiteDbAuditLog(database), new InProcessReplicaLock());
}
