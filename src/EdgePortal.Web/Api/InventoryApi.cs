using System.Security.Claims;
using EdgePortal.Core.Domain;
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
        return app;
    }
}
