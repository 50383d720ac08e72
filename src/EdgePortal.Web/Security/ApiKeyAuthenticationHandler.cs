using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// <c>Authorization: Bearer &lt;api key&gt;</c> on the REST API and the hub (a browser's WebSocket cannot send
/// headers, so the hub also takes the key as SignalR's <c>access_token</c> query parameter).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyService keys, Auditing.RefusalAuditor refusals) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken(Request) is not { } token)
            return Task.FromResult(AuthenticateResult.NoResult());
        if (keys.Validate(token) is not { } key)
        {
            // Audited per address, rate-limited: a flood of guessed keys costs the log a few entries and one "and K more".
            var source = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            refusals.Refused(Core.Security.AuditActions.KeyRefused, source, $"key:{Prefix(token)}", $"api key from {source}",
                $"unknown, expired or revoked key on {Request.Method} {Core.Domain.InputLimits.Echo(Request.Path.Value)}");
            return Task.FromResult(AuthenticateResult.Fail("The API key is unknown, expired or revoked."));
        }
        var identity = PortalPolicies.Identity(SchemeName, key.Id, $"key:{key.Name}", key.Role, key.TenantId);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>The first characters of a key as the key list shows them (never enough to use it), printable only.</summary>
    private static string Prefix(string token)
        => new([.. token.Take(7).Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '?')]);

    /// <summary>The bearer token of the request, if it carries one.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim();
        if (request.Path.StartsWithSegments("/hubs") && request.Query["access_token"].ToString() is { Length: > 0 } query)
            return query;
        return null;
    }
}
