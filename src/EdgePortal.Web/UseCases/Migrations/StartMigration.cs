using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Migrations;

/// <summary>
/// Starts a migration on someone's behalf: the request carries the principal's name and tenant rights whoever builds it
/// (the start dialog, <c>POST /api/v1/migrations</c>), so another tenant's service is not found. The coordinator plans,
/// queues and audits it (<c>migration.start</c>), as it does for every trigger. What it answers is what the principal may
/// see (<see cref="TenantView"/>): a plan preview or a refusal names no node of a cluster the tenant may not use, nor how
/// many there are — for the dialog, the Planner, <c>POST /api/v1/services/{id}/plan</c> and <c>POST /api/v1/migrations</c> alike.
/// </summary>
public sealed class StartMigration(MigrationCoordinator coordinator, Core.Domain.IInventoryRepository inventory)
{
    public MigrationRequestResult Run(TenantScope scope, MigrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        return Seen(scope, request, coordinator.Start(Acting(scope, request)));
    }

    /// <summary>
    /// Starts requests that arrive together as one batch (<c>POST /api/v1/migrations:batch</c>): the coordinator orders them
    /// so that the most meet their targets, urgent ones first. The results come in the order of <paramref name="requests"/>.
    /// </summary>
    public IReadOnlyList<MigrationRequestResult> RunBatch(TenantScope scope, IReadOnlyList<MigrationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(requests);
        var results = coordinator.StartBatch([.. requests.Select(r => Acting(scope, r))]);
        return [.. results.Select((result, i) => Seen(scope, requests[i], result))];
    }

    private static MigrationRequest Acting(TenantScope scope, MigrationRequest request)
        => request with { RequestedBy = scope.Actor, ActingTenant = scope.Tenant };

    /// <summary>The result as the principal may see it.</summary>
    private MigrationRequestResult Seen(TenantScope scope, MigrationRequest request, MigrationRequestResult result) => result switch
    {
        // Without a plan the refusal is the planner's summary, which counts the nodes left out: filtered like the preview.
        MigrationRequestResult.Infeasible { Planning.Plan: null } i when !scope.IsProvider
            => TenantView.Of(scope, inventory).Filter(i.Planning, request.Destination) is var visible
                ? new MigrationRequestResult.Infeasible(visible.Summary, visible)
                : i,
        MigrationRequestResult.Infeasible i when !scope.IsProvider
            => i with { Planning = TenantView.Of(scope, inventory).Filter(i.Planning, request.Destination) },
        _ => result,
    };

    /// <summary>The plan the request would get now; nothing starts and nothing is audited (the dialog previews on every change).</summary>
    public PlanningResult? Preview(TenantScope scope, MigrationRequest request)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        return coordinator.Preview(request with { RequestedBy = scope.Actor, ActingTenant = scope.Tenant }) is { } planning
            ? TenantView.Of(scope, inventory).Filter(planning, request.Destination)
            : null;
    }
}
