using EdgePortal.Core.Batches;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Batches;

/// <summary>
/// A batch's plan as a principal may see it (<see cref="BatchReport"/>), for the page <c>/batches/{id}</c> and
/// <c>GET /api/v1/batches/{id}</c> alike: a tenant sees only its own migrations of the batch, and the link load their plans
/// alone put on their paths (a drain's batch may move several tenants' services; none learns of the others). A batch with
/// none of the principal's migrations reads exactly like one that does not exist.
/// </summary>
public sealed class ReadBatch(IMigrationRepository migrations, IInventoryRepository inventory, TimeProvider clock)
{
    /// <summary>The most migrations one batch holds (a batch call's limit; a drain's wave and a schedule's firing hold fewer).</summary>
    public const int MaxMigrations = 10_000;

    public BatchReport? Run(TenantScope scope, BatchId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var members = migrations.List(new MigrationQuery(Tenant: scope.Tenant, Batch: id, Limit: MaxMigrations));
        return BatchReport.Of(id, members, inventory.Topology(), clock.GetUtcNow());
    }
}
