using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// Caps what the REST API reads: a declared body over <see cref="SecurityOptions.MaxApiBodyBytes"/> is answered 413 (as problem
/// details, through the status-code pages) without being read, and the server's own limit is lowered for a chunked one.
/// </summary>
public sealed class ApiBodyLimit(RequestDelegate next, IOptionsMonitor<SecurityOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
            return next(context);
        var max = options.CurrentValue.MaxApiBodyBytes;
        if (context.Request.ContentLength > max)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Task.CompletedTask;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = max;
        return next(context);
    }
}
