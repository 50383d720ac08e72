using System.Security.Claims;
using EdgePortal.Core.Security;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

public static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Inventory").RequireAuthorization(PortalPolicies.Viewer);
        api.MapGet("/clusters", (InventoryReader reader, ClaimsPrincipal user) => TypedResults.Ok(reader.Clusters(TenantScope.Of(user).Tenant)))
            .WithName("ListClusters").WithSummary("Edge clusters with their nodes (capacity, load) and links (bandwidth, latency).");
        api.MapGet("/services", (InventoryReader reader, ClaimsPrincipal user) => TypedResults.Ok(reader.Services(TenantScope.Of(user).Tenant)))
            .WithName("ListServices").WithSummary("Services with placement, workload profile, KPI targets and current user latency.");
        api.MapGet("/services/{id:guid}", Service).WithName("GetService").WithSummary("One service.");
        app.MapPut("/api/v1/clusters/{name}", Register).WithTags("Inventory").RequireAuthorization(PortalPolicies.ProviderAdmin)
            .WithName("RegisterCluster").WithSummary("Register a cluster (or update it) by name: its kind, nodes, links, the tenants that may use it and the services running there; idempotent; 400 naming each bad field.");
        app.MapDelete("/api/v1/nodes/{id:guid}", Retire).WithTags("Inventory").RequireAuthorization(PortalPolicies.ProviderAdmin)
            .WithName("RetireNode").WithSummary("Retire a decommissioned node: it must be cordoned (drained) and empty; its users attach at the nearest node left; history keeps its name. 409 naming what still uses it.");
        return app;
    }

    private static Results<Ok<ServiceViewModel>, NotFoundProblem> Service(Guid id, InventoryReader reader, ClaimsPrincipal user)
        => reader.Service(ServiceId.From(id)) is { } service && TenantScope.Of(user).Sees(service.TenantId)
            ? TypedResults.Ok(service)
            : ApiProblems.NotFound("Service", id);

    private static Results<Ok<NodeRetirementResult.Retired>, NotFoundProblem, ConflictProblem> Retire(Guid id, RetireNode retire, ClaimsPrincipal user)
        => retire.Run(TenantScope.Of(user), NodeId.From(id)) switch
        {
            NodeRetirementResult.Retired r => TypedResults.Ok(r),
            NodeRetirementResult.Refused r => new ConflictProblem("Node still in use", r.Detail, new Dictionary<string, object?> { ["blockers"] = r.Blockers }),
            NodeRetirementResult.NotFound r => new NotFoundProblem("Node not found", r.Detail),
            var other => throw ApiProblems.Unexpected(other),
        };

    private static Results<Created<ClusterRegistrationResult>, Ok<ClusterRegistrationResult>, ValidationProblem> Register(string name,
        ClusterRegistrationBody? body, IInventoryRepository inventory, ClaimsPrincipal user, AuditTrail audit)
    {
        var errors = new FieldErrors();
        if (ClusterRegistration.Apply(name, body, inventory, errors) is not { } result)
            return errors.ToProblem();
        audit.Record(TenantScope.Of(user), Core.Security.AuditActions.ClusterRegister, $"cluster {result.Cluster.Name} ({result.Cluster.Id})",
            $"{result.Cluster.Kind}, {result.Nodes} nodes, {result.Links} links, {result.Services} services"
            + (result.TenantsGranted.Count > 0 ? $"; granted to {string.Join(", ", result.TenantsGranted)}" : ""));
        return result.Created
            ? TypedResults.Created($"/api/v1/clusters/{Uri.EscapeDataString(result.Cluster.Name)}", result)
            : TypedResults.Ok(result);
    }
}
