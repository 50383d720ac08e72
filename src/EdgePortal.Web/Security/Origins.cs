using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// Browsers' connections to the hub and to Blazor's circuit endpoint must come from the portal's own pages (or an origin in
/// <see cref="SecurityOptions.AllowedOrigins"/>): a WebSocket is not bound by the same-origin policy, so without this check
/// another site could open one with the user's cookie. A request without an <c>Origin</c> header is not a browser's
/// cross-site request and passes (scripts and services use API keys).
/// </summary>
public sealed class Origins(RequestDelegate next, IOptionsMonitor<SecurityOptions> options, ILogger<Origins> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!Guarded(context.Request) || context.Request.Headers.Origin.ToString() is not { Length: > 0 } origin || IsAllowed(context.Request, origin))
            return next(context);
        logger.LogWarning("Refused a connection to {Path} from the foreign origin {Origin}", context.Request.Path, origin);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    private static bool Guarded(HttpRequest request) => request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/_blazor");

    /// <summary>
    /// The portal's own pages: an origin naming the host (and port) the request was sent to. The scheme is not compared, so
    /// that a proxy terminating TLS without passing <c>X-Forwarded-Proto</c> does not cut the portal's own circuits off.
    /// </summary>
    private bool IsAllowed(HttpRequest request, string origin)
    {
        var normalized = Normalize(origin);
        if (normalized is null)
            return false;
        var authority = normalized[(normalized.IndexOf("://", StringComparison.Ordinal) + 3)..];
        return string.Equals(authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || options.CurrentValue.AllowedOrigins.Any(a => string.Equals(Normalize(a), normalized, StringComparison.Ordinal));
    }

    /// <summary><c>scheme://host[:port]</c> in lower case, the default port left out; null for anything but an http(s) origin.</summary>
    public static string? Normalize(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https") || uri.AbsolutePath is not ("/" or "") || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
            return null;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost}".ToLowerInvariant() : $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}".ToLowerInvariant();
    }
}
