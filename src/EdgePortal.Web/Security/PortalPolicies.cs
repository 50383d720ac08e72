using System.Security.Claims;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Authorization;

namespace EdgePortal.Web.Security;

/// <summary>
/// The authorization policies: each names the least role that passes, and every role above it passes too
/// (provider roles above tenant roles, admins above operators above viewers).
/// </summary>
public static class PortalPolicies
{
    /// <summary>Read anything the principal may see.</summary>
    public const string Viewer = "Viewer";
    /// <summary>Plan, start and cancel migrations.</summary>
    public const string Operator = "Operator";
    /// <summary>A tenant's schedules (and a provider's).</summary>
    public const string TenantAdmin = "TenantAdmin";
    /// <summary>Clusters, maintenance windows, drains: the provider's own operations.</summary>
    public const string Provider = "Provider";
    /// <summary>Users and API keys: a provider admin for everyone, a tenant admin for its tenant.</summary>
    public const string UserAdmin = "UserAdmin";
    /// <summary>Tenants and quotas: the provider admin only.</summary>
    public const string ProviderAdmin = "ProviderAdmin";

    public const string TenantClaim = "edgeportal:tenant";

    public static IReadOnlyDictionary<string, string[]> Roles { get; } = new Dictionary<string, string[]>
    {
        [Viewer] = [.. PortalRoles.All],
        [Operator] = [PortalRoles.ProviderAdmin, PortalRoles.ProviderOperator, PortalRoles.TenantAdmin, PortalRoles.TenantOperator],
        [TenantAdmin] = [PortalRoles.ProviderAdmin, PortalRoles.ProviderOperator, PortalRoles.TenantAdmin],
        [Provider] = [PortalRoles.ProviderAdmin, PortalRoles.ProviderOperator],
        [UserAdmin] = [PortalRoles.ProviderAdmin, PortalRoles.TenantAdmin],
        [ProviderAdmin] = [PortalRoles.ProviderAdmin],
    };

    public static void Add(AuthorizationOptions options)
    {
        foreach (var (name, roles) in Roles)
            options.AddPolicy(name, p => p.RequireAuthenticatedUser().RequireRole(roles));
    }

    /// <summary>The principal's claims: name, role, and the tenant for a tenant role.</summary>
    public static ClaimsIdentity Identity(string scheme, Guid id, string name, string role, Guid? tenant)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, id.ToString()),
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, role),
        };
        if (tenant is { } t)
            claims.Add(new Claim(TenantClaim, t.ToString()));
        return new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role);
    }
}
