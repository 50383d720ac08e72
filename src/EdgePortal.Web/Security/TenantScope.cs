using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Components.Authorization;

namespace EdgePortal.Web.Security;

/// <summary>
/// What a principal may see: a provider role sees every tenant (<see cref="Tenant"/> null); any other principal sees only
/// its own tenant, and a principal with a tenant role but no tenant claim sees nothing. Every API handler, hub method and
/// page that reads tenant data asks this, and answers another tenant's id as not found.
/// </summary>
public sealed record TenantScope(TenantId? Tenant, string Actor)
{
    /// <summary>The principal's role (null when it has none).</summary>
    public string? Role { get; init; }

    /// <summary>Whether the principal's role passes <paramref name="policy"/> (one of <see cref="PortalPolicies"/>); pages gate their actions with it.</summary>
    public bool May(string policy) => Role is not null && PortalPolicies.Roles[policy].Contains(Role);

    private static readonly TenantId Nobody = TenantId.From(Guid.Empty);

    public bool IsProvider => Tenant is null;

    public bool Sees(TenantId tenant) => Tenant is not { } own || own == tenant;

    public static TenantScope Of(ClaimsPrincipal user)
    {
        var actor = user.Identity?.Name ?? "anonymous";
        var role = user.FindFirst(ClaimTypes.Role)?.Value;
        if (user.Identity?.IsAuthenticated == true && role is not null && PortalRoles.IsProviderRole(role))
            return new TenantScope(null, actor) { Role = role };
        var known = user.Identity?.IsAuthenticated == true ? role : null;
        return Guid.TryParse(user.FindFirst(PortalPolicies.TenantClaim)?.Value, out var tenant) && tenant != Guid.Empty
            ? new TenantScope(TenantId.From(tenant), actor) { Role = known }
            : new TenantScope(Nobody, actor) { Role = known };
    }
}

/// <summary>The signed-in user's <see cref="TenantScope"/> for components (the circuit's authentication state).</summary>
public sealed class CurrentTenant(AuthenticationStateProvider authentication)
{
    public async Task<TenantScope> GetAsync() => TenantScope.Of((await authentication.GetAuthenticationStateAsync()).User);
}
