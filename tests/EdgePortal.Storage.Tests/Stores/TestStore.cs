using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;

namespace EdgePortal.Storage.Tests.Stores;

/// <summary>
/// One store under test, fresh for each test: the repositories of one provider over it, as the portal's container
/// would hand them out. The shared suite (Contracts/) runs against every provider through this.
/// </summary>
public abstract class TestStore : IDisposable
{
    public abstract string Provider { get; }

    /// <summary>The repositories of the store as it is open now (new instances after <see cref="Reopen"/>).</summary>
    protected abstract StoreRepositories Repositories { get; }

    public IInventoryRepository Inventory => Repositories.Inventory;
    public IMigrationRepository Migrations => Repositories.Migrations;
    public IMigrationLeaseStore Leases => Repositories.Leases;
    public IHistoryPruner Pruner => Repositories.Pruner;
    public ICalibrationRepository Calibrations => Repositories.Calibrations;
    public IScheduleRepository Schedules => Repositories.Schedules;
    public IMaintenanceWindowRepository Windows => Repositories.Windows;
    public IAutomationDecisionRepository Decisions => Repositories.Decisions;
    public IDrainRepository Drains => Repositories.Drains;
    public IUserRepository Users => Repositories.Users;
    public IApiKeyRepository ApiKeys => Repositories.ApiKeys;
    public IAuditLog Audit => Repositories.Audit;
    public IReplicaLock ReplicaLock => Repositories.ReplicaLock;

    /// <summary>Repositories of a second process over the same store (another replica), or null where the store has one process (LiteDB).</summary>
    public abstract TestStore? SecondReplica();

    /// <summary>Closes the store and opens it again, as a restart would; repositories read afterwards are new instances.</summary>
    public abstract void Reopen();

    /// <summary>A service this store refuses to write (its own honest write failure), to prove that a failed write leaves nothing.</summary>
    public abstract ServiceInstance Unstorable(EdgeInventory inventory);

    public abstract void Dispose();
}

/// <summary>One provider's repositories over one open store, as the portal's container hands them out.</summary>
public sealed record StoreRepositories(
    IInventoryRepository Inventory,
    IMigrationRepository Migrations,
    IMigrationLeaseStore Leases,
    IHistoryPruner Pruner,
    ICalibrationRepository Calibrations,
    IScheduleRepository Schedules,
    IMaintenanceWindowRepository Windows,
    IAutomationDecisionRepository Decisions,
    IDrainRepository Drains,
    IUserRepository Users,
    IApiKeyRepository ApiKeys,
    IAuditLog Audit,
    IReplicaLock ReplicaLock);
