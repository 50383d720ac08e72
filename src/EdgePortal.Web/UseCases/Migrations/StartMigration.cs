using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Migrations;

/// <summary>
/// Starts a migration on someone's behalf: the request carries the principal's name and tenant rights whoever builds it
/// (the start dialog, <c>POST /api/v1/migrations</c>), so another tenant's service is not found. The coordinator plans,
/// queues and audits it (<c>migration.start</c>), as it does for every trigger.
/// </summary>
public sealed class StartMigration(MigrationCoordinator coordinator)
{
    public MigrationRequestResult Run(TenantScope scope, MigrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        return coordinator.Start(request with { RequestedBy = scope.Actor, ActingTenant = scope.Tenant });
    }

    /// <summary>The plan the request would get now; nothing starts and nothing is audited (the dialog previews on every change).</summary>
    public PlanningResult? Preview(TenantScope scope, MigrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        return coordinator.Preview(request with { RequestedBy = scope.Actor, ActingTenant = scope.Tenant });
    }
}
