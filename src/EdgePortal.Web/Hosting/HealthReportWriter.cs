using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgePortal.Web.Hosting;

/// <summary>Writes a readiness report as JSON: overall status plus each check's status and description.</summary>
internal static class HealthReport
{
    public static Task WriteAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                error = e.Value.Exception?.Message,
            }),
        }, cancellationToken: context.RequestAborted);
    }
}
