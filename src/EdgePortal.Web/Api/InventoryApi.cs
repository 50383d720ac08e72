using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.Api;

public static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Inventory").RequireAuthorization(PortalPolicies.Viewer);
        api.MapGet("/clusters", (InventoryReader reader, ClaimsPrincipal user) => reader.Clusters(TenantScope.Of(user).Tenant))
            .WithSummary("Edge clusters with their nodes (capacity, load) and links (bandwidth, latency).");
        api.MapGet("/services", (InventoryReader reader, ClaimsPrincipal user) => reader.Services(TenantScope.Of(user).Tenant))
            .WithSummary("Services with placement, workload profile, KPI targets and current user latency.");
        api.MapGet("/services/{id:guid}", (Guid id, InventoryReader reader, ClaimsPrincipal user) =>
                reader.Service(ServiceId.From(id)) is { } service && TenantScope.Of(user).Sees(service.TenantId)
                    ? Results.Ok(service)
                    : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Service not found", detail: $"No service has id {id}."))
            .WithSummary("One service.");
        app.MapPut("/api/v1/clusters/{name}", Register).WithTags("Inventory").RequireAuthorization(PortalPolicies.ProviderAdmin)
            .WithSummary("Register a cluster (or update it) by name: its kind, nodes, links, the tenants that may use it and the services running there; idempotent; 400 naming each bad field.");
        app.MapDelete("/api/v1/nodes/{id:guid}", Retire).WithTags("Inventory").RequireAuthorization(PortalPolicies.ProviderAdmin)
            .WithSummary("Retire a decommissioned node: it must be cordoned (drained) and empty; its users attach at the nearest node left; history keeps its name. 409 naming what still uses it.");
        return app;
    }

    private static IResult Retire(Guid id, NodeRetirement retirement, ClaimsPrincipal user, AuditTrail audit)
        => retirement.Retire(NodeId.From(id), TenantScope.Of(user), audit) switch
        {
            NodeRetirementResult.Retired r => Results.Ok(r),
            NodeRetirementResult.Refused r => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Node still in use", detail: r.Detail,
                extensions: new Dictionary<string, object?> { ["blockers"] = r.Blockers }),
            NodeRetirementResult.NotFound r => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Node not found", detail: r.Detail),
            _ => throw new InvalidOperationException("Unexpected retirement result."),
        };

    private static IResult Register(string name, ClusterRegistrationBody? body, IInventoryRepository inventory, ClaimsPrincipal user, AuditTrail audit)
    {
        var errors = new FieldErrors();
        if (ClusterRegistration.Apply(name, body, inventory, errors) is not { } result)
            return errors.ToProblem();
        audit.Record(TenantScope.Of(user), Core.Security.AuditActions.ClusterRegister, $"cluster {result.Cluster.Name} ({result.Cluster.Id})",
            $"{result.Cluster.Kind}, {result.Nodes} nodes, {result.Links} links, {result.Services} services"
            + (result.TenantsGranted.Count > 0 ? $"; granted to {string.Join(", ", result.TenantsGranted)}" : ""));
        return result.Created ? Results.Created($"/api/v1/clusters/{Uri.EscapeDataString(result.Cluster.Name)}", result) : Results.Ok(result);
    }
}
