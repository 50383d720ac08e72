using System.Security.Claims;
using EdgePortal.Core.Batches;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases.Batches;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EdgePortal.Web.Api;

public static class BatchesApi
{
    public static IEndpointRouteBuilder MapBatchesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/batches/{id:guid}", Get).WithTags("Migrations").RequireAuthorization(PortalPolicies.Viewer).WithName("GetBatch")
            .WithSummary("A batch's plan (a drain's wave, a schedule's firing, a KPI evaluation, a batch call): every migration's predicted and actual window, the load its plans put on each link over time beside the link's capacity, and who misses which target and why. A tenant sees its own migrations of the batch; a batch with none of them is 404.");
        return app;
    }

    private static Results<Ok<BatchReport>, NotFoundProblem> Get(Guid id, ReadBatch read, ClaimsPrincipal user)
        => read.Run(TenantScope.Of(user), BatchId.From(id)) is { } report ? TypedResults.Ok(report) : ApiProblems.NotFound("Batch", id);
}
