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
    private Repositories _repositories;

    public LiteDbTestStore()
    {
        _folder = Path.Combine(Path.GetTempPath(), "edgeportal-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _database = new EdgeDatabase(Path.Combine(_folder, "edgeportal.db"), NullLogger<EdgeDatabase>.Instance);
        _repositories = new Repositories(_database);
    }

    public override string Provider => "LiteDb";

    public EdgeDatabase Database => _database;

    public override IInventoryRepository Inventory => _repositories.Inventory;
    public override IMigrationRepository Migrations => _repositories.Migrations;
    public override IMigrationLeaseStore Leases => _repositories.Leases;
    public override IHistoryPruner Pruner => _repositories.Pruner;
    public override ICalibrationRepository Calibrations => _repositories.Calibrations;
    public override IScheduleRepository Schedules => _repositories.Schedules;
    public override IMaintenanceWindowRepository Windows => _repositories.Windows;
    public override IAutomationDecisionRepository Decisions => _repositories.Decisions;
    public override IDrainRepository Drains => _repositories.Drains;
    public override IUserRepository Users => _repositories.Users;
    public override IApiKeyRepository ApiKeys => _repositories.ApiKeys;
    public override IAuditLog Audit => _repositories.Audit;
    public override IReplicaLock ReplicaLock { get; } = new InProcessReplicaLock();

    public override TestStore? SecondReplica() => null;

    public override void Reopen()
    {
        _database.Dispose();
        _database = new EdgeDatabase(Path.Combine(_folder, "edgeportal.db"), NullLogger<EdgeDatabase>.Instance);
        _repositories = new Repositories(_database);
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

    private sealed class Repositories(EdgeDatabase database)
    {
        public IInventoryRepository Inventory { get; } = new LiteDbInventoryRepository(database);
        public IMigrationRepository Migrations { get; } = new LiteDbMigrationRepository(database);
        public IMigrationLeaseStore Leases { get; } = new LiteDbMigrationLeaseStore(database);
        public IHistoryPruner Pruner { get; } = new LiteDbHistoryPruner(database);
        public ICalibrationRepository Calibrations { get; } = new LiteDbCalibrationRepository(database);
        public IScheduleRepository Schedules { get; } = new LiteDbScheduleRepository(database);
        public IMaintenanceWindowRepository Windows { get; } = new LiteDbMaintenanceWindowRepository(database);
        public IAutomationDecisionRepository Decisions { get; } = new LiteDbAutomationDecisionRepository(database);
        public IDrainRepository Drains { get; } = new LiteDbDrainRepository(database);
        public IUserRepository Users { get; } = new LiteDbUserRepository(database);
        public IApiKeyRepository ApiKeys { get; } = new LiteDbApiKeyRepository(database);
        public IAuditLog Audit { get; } = new LiteDbAuditLog(database);
    }
}
