using System.Security.Cryptography;
using System.Text;
using EdgePortal.Agent.Contracts;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Security;

/// <summary>
/// Every request but GET /healthz must carry <c>Authorization: Bearer &lt;token&gt;</c> with the shared token. The
/// comparison runs in constant time over SHA-256 digests (neither the content nor the length of the token leaks through
/// timing). In production, prefer mutual TLS between portal and agents (deploy/README.md); the token then stays as a
/// second factor.
/// </summary>
public sealed class SharedTokenMiddleware(RequestDelegate next, IOptions<AgentOptions> options)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.Token));

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Path.Equals(AgentRoutes.Health, StringComparison.Ordinal))
            return next(context);
        if (!Matches(context.Request.Headers.Authorization.ToString()))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: $"A valid shared token is required (Authorization: Bearer <{AgentOptions.Section}:Token>).").ExecuteAsync(context);
        }
        return next(context);
    }

    internal bool Matches(string header)
    {
        const string scheme = "Bearer ";
        var presented = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(digest, _expected) && presented.Length > 0;
    }
}
