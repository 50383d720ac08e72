using System.Net;
using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.Tests.Hosting;

namespace EdgePortal.Web.Tests.Security;

/// <summary>The identity provider's claims mapped onto the portal's role and tenant (no provider is contacted).</summary>
public sealed class OidcTests
{
    private static readonly OidcSettings Settings = new() { Authority = "https://idp.example", ClientId = "edgeportal" };

    private static TenantId? Find(string value) => value.Equals("ARena Play", StringComparison.OrdinalIgnoreCase) ? DemoEdge.ArenaPlay : null;

    private static ClaimsPrincipal External(params (string Type, string Value)[] claims)
        => new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)).Append(new Claim("sub", "u-1")), "oidc"));

    [Fact]
    public void Map_TenantRoleWithTenantName_GivesThatRoleAndTenant()
    {
        var (principal, refusal) = OidcClaims.Map(External(("roles", "someOtherApp"), ("roles", "tenantoperator"), ("edgeportal_tenant", "ARena Play"),
            ("preferred_username", "ada")), Settings, Find);

        Assert.Null(refusal);
        Assert.Equal(PortalRoles.TenantOperator, principal!.FindFirst(ClaimTypes.Role)!.Value);
        Assert.Equal(DemoEdge.ArenaPlay.ToString(), principal.FindFirst(PortalPolicies.TenantClaim)!.Value);
        Assert.Equal("sso:ada", principal.Identity!.Name);
    }

    [Theory]
    [InlineData("roles", "Administrator", "edgeportal_tenant", "ARena Play")]
    [InlineData("roles", "Viewer", "edgeportal_tenant", "Unknown Corp")]
    [InlineData("roles", "TenantAdmin", "other", "ARena Play")]
    public void Map_NoKnownRoleOrTenant_RefusesTheSignIn(string roleClaim, string role, string tenantClaim, string tenant)
    {
        var (principal, refusal) = OidcClaims.Map(External((roleClaim, role), (tenantClaim, tenant)), Settings, Find);

        Assert.Null(principal);
        Assert.NotNull(refusal);
    }

    [Fact]
    public void Map_ProviderRole_NeedsNoTenant()
    {
        var (principal, _) = OidcClaims.Map(External(("roles", "ProviderOperator")), Settings, Find);

        Assert.Equal(PortalRoles.ProviderOperator, principal!.FindFirst(ClaimTypes.Role)!.Value);
        Assert.Null(principal.FindFirst(PortalPolicies.TenantClaim));
    }

    [Fact]
    public async Task LoginPage_OidcConfigured_OffersSingleSignOn()
    {
        using var folder = new TempFolder();
        using var factory = new PortalFactory(folder.File("edge.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:Oidc:Authority"] = "https://idp.example",
            ["EdgePortal:Security:Oidc:ClientId"] = "edgeportal",
            ["EdgePortal:Security:Oidc:DisplayName"] = "Sign in with Example ID",
        });
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/account/login");

        Assert.Contains("Sign in with Example ID", html);
        Assert.Contains("/account/sso?returnUrl=", html);
    }

    [Fact]
    public async Task Sso_NotConfigured_Is404()
    {
        using var folder = new TempFolder();
        using var factory = new PortalFactory(folder.File("edge.db"));
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/account/sso")).StatusCode);
    }
}
