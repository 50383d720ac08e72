using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace EdgePortal.Web.Security;

/// <summary>Bound to <c>EdgePortal:Security:Oidc</c>; OpenID Connect sign-in is on when <see cref="Authority"/> is set.</summary>
public sealed class OidcSettings
{
    public const string Section = SecurityOptions.Section + ":Oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The claim whose value(s) name the EdgePortal role (default <c>roles</c>); the first known role wins.</summary>
    public string RoleClaim { get; set; } = "roles";
    /// <summary>The claim holding the tenant, by id or by name (default <c>edgeportal_tenant</c>); required for tenant roles.</summary>
    public string TenantClaim { get; set; } = "edgeportal_tenant";
    /// <summary>What the login form's button says.</summary>
    public string DisplayName { get; set; } = "Single sign-on";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}

/// <summary>Maps an identity provider's principal onto the portal's: one role, a tenant for tenant roles, or no sign-in at all.</summary>
public static class OidcClaims
{
    public const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;

    /// <returns>The portal principal, or null with the reason when the provider's principal carries no usable role or tenant.</returns>
    public static (ClaimsPrincipal? Principal, string? Refusal) Map(ClaimsPrincipal external, OidcSettings settings, Func<string, TenantId?> findTenant)
    {
        var role = external.FindAll(settings.RoleClaim).Select(c => PortalRoles.All.FirstOrDefault(r => string.Equals(r, c.Value.Trim(), StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(r => r is not null);
        if (role is null)
            return (null, $"The identity provider gave no EdgePortal role in the '{settings.RoleClaim}' claim.");
        TenantId? tenant = null;
        if (!PortalRoles.IsProviderRole(role))
        {
            tenant = external.FindFirst(settings.TenantClaim)?.Value is { Length: > 0 } value ? findTenant(value.Trim()) : null;
            if (tenant is null)
                return (null, $"A {role} needs a known tenant in the '{settings.TenantClaim}' claim.");
        }
        var subject = external.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? external.FindFirst("sub")?.Value ?? "";
        var name = external.FindFirst("preferred_username")?.Value ?? external.FindFirst("name")?.Value ?? external.Identity?.Name ?? subject;
        var issuer = (external.FindFirst("sub") ?? external.FindFirst(ClaimTypes.NameIdentifier))?.Issuer ?? "";
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{issuer}|{subject}")).AsSpan(0, 16));
        var identity = PortalPolicies.Identity(CookieAuthenticationDefaults.AuthenticationScheme, id, $"sso:{name}", role, tenant?.Value);
        return (new ClaimsPrincipal(identity), null);
    }

    /// <summary>A tenant given by id, or by name (case-insensitive).</summary>
    public static TenantId? FindTenant(IInventoryRepository inventory, string value)
        => Guid.TryParse(value, out var id) ? inventory.FindTenant(TenantId.From(id))?.Id
            : inventory.Tenants().FirstOrDefault(t => string.Equals(t.Name, value, StringComparison.OrdinalIgnoreCase))?.Id;

    public static AuthenticationBuilder AddEdgePortalOidc(this AuthenticationBuilder authentication, OidcSettings settings)
    {
        if (!settings.Enabled)
            return authentication;
        return authentication.AddOpenIdConnect(Scheme, settings.DisplayName, o =>
        {
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            o.SaveTokens = false;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.Scope.Add("profile");
            o.MapInboundClaims = false;
            o.Events.OnTokenValidated = context =>
            {
                var services = context.HttpContext.RequestServices;
                var inventory = services.GetRequiredService<IInventoryRepository>();
                var audit = services.GetRequiredService<AuditTrail>();
                var (principal, refusal) = Map(context.Principal!, settings, v => FindTenant(inventory, v));
                if (principal is null)
                {
                    audit.Record(context.Principal?.FindFirst("sub")?.Value ?? "sso", AuditActions.LoginFailed, "single sign-on", refusal!, succeeded: false);
                    context.Fail(refusal!);
                    return Task.CompletedTask;
                }
                context.Principal = principal;
                audit.Record(principal.Identity!.Name!, AuditActions.LoginSucceeded, "single sign-on", principal.FindFirst(ClaimTypes.Role)!.Value,
                    Guid.TryParse(principal.FindFirst(PortalPolicies.TenantClaim)?.Value, out var t) ? t : null);
                return Task.CompletedTask;
            };
        });
    }
}
