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

    public abstract IInventoryRepository Inventory { get; }
    public abstract IMigrationRepository Migrations { get; }
    public abstract IMigrationLeaseStore Leases { get; }
    public abstract IHistoryPruner Pruner { get; }
    public abstract ICalibrationRepository Calibrations { get; }
    public abstract IScheduleRepository Schedules { get; }
    public abstract IMaintenanceWindowRepository Windows { get; }
    public abstract IAutomationDecisionRepository Decisions { get; }
    public abstract IDrainRepository Drains { get; }
    public abstract IUserRepository Users { get; }
    public abstract IApiKeyRepository ApiKeys { get; }
    public abstract IAuditLog Audit { get; }
    public abstract IReplicaLock ReplicaLock { get; }

    /// <summary>Repositories of a second process over the same store (another replica), or null where the store has one process (LiteDB).</summary>
    public abstract TestStore? SecondReplica();

    /// <summary>Closes the store and opens it again, as a restart would; repositories read afterwards are new instances.</summary>
    public abstract void Reopen();

    /// <summary>A service this store refuses to write (its own honest write failure), to prove that a failed write leaves nothing.</summary>
    public abstract ServiceInstance Unstorable(EdgeInventory inventory);

    public abstract void Dispose();
}
