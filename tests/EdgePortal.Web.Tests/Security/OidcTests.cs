using System.Net;
using System.Security.Claims;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Single sign-on trusts only what is configured (issue 14 item 11): the issuers, a role/group allow-list, tenants mapped by
/// claim value to an id; and its users are recorded locally, so they can be disabled here. No provider is contacted: the
/// provider's principal is built as the OpenID Connect handler hands it over (claims unmapped).
/// </summary>
public sealed class OidcTests : IDisposable
{
    private const string Issuer = "https://idp.example/realms/edge";

    private static readonly OidcSettings Settings = new()
    {
        Authority = Issuer,
        ClientId = "edgeportal",
        RoleClaim = "groups",
        Roles = new() { ["edge-admins"] = PortalRoles.ProviderAdmin, ["arena-ops"] = PortalRoles.TenantOperator, ["arena-view"] = PortalRoles.Viewer },
        Tenants = new() { ["arena"] = DemoEdge.ArenaPlay.ToString() },
    };

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static bool Exists(TenantId tenant) => tenant == DemoEdge.ArenaPlay;

    private static ClaimsPrincipal External(string issuer, params (string Type, string Value)[] claims)
        => new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value, ClaimValueTypes.String, issuer))
            .Append(new Claim("sub", "u-1", ClaimValueTypes.String, issuer)).Append(new Claim("iss", issuer, ClaimValueTypes.String, issuer)), "oidc"));

    [Fact]
    public void Map_AllowedGroupAndMappedTenant_GivesThatRoleAndTenant()
    {
        var (identity, refusal) = OidcClaims.Map(External(Issuer, ("groups", "someOtherApp"), ("groups", "arena-ops"), ("edgeportal_tenant", "arena"),
            ("preferred_username", "ada")), Settings, Exists);

        Assert.Null(refusal);
        Assert.Equal(PortalRoles.TenantOperator, identity!.Role);
        Assert.Equal(DemoEdge.ArenaPlay, identity.Tenant);
        Assert.Equal("ada", identity.Name);
        Assert.Equal(Issuer, identity.Issuer);
    }

    [Fact]
    public void Map_SeveralAllowedGroups_TheMostPowerfulRoleWins()
    {
        var (identity, _) = OidcClaims.Map(External(Issuer, ("groups", "arena-view"), ("groups", "edge-admins")), Settings, Exists);

        Assert.Equal(PortalRoles.ProviderAdmin, identity!.Role);
        Assert.Null(identity.Tenant);
    }

    [Theory]
    [InlineData("https://idp.example/realms/edge", "groups", "ProviderAdmin", "edgeportal_tenant", "arena")] // a role name, not an allowed group
    [InlineData("https://idp.example/realms/edge", "roles", "edge-admins", "edgeportal_tenant", "arena")] // the allowed value in another claim
    [InlineData("https://evil.example/realms/edge", "groups", "edge-admins", "edgeportal_tenant", "arena")] // another issuer
    [InlineData("https://idp.example/realms/edge", "groups", "arena-view", "edgeportal_tenant", "ARena Play")] // a tenant by name
    [InlineData("https://idp.example/realms/edge", "groups", "arena-view", "edgeportal_tenant", "0198a0b0-0000-7000-8000-000000000002")] // by id
    [InlineData("https://idp.example/realms/edge", "groups", "arena-view", "other", "arena")] // the tenant in another claim
    public void Map_AnythingNotConfigured_RefusesTheSignIn(string issuer, string roleClaim, string role, string tenantClaim, string tenant)
    {
        var (identity, refusal) = OidcClaims.Map(External(issuer, (roleClaim, role), (tenantClaim, tenant)), Settings, Exists);

        Assert.Null(identity);
        Assert.NotNull(refusal);
    }

    [Fact]
    public void Map_MappedTenantThatNoLongerExists_RefusesTheSignIn()
    {
        var (identity, refusal) = OidcClaims.Map(External(Issuer, ("groups", "arena-view"), ("edgeportal_tenant", "arena")), Settings, _ => false);

        Assert.Null(identity);
        Assert.Contains("Tenants", refusal);
    }

    [Theory]
    [InlineData("EdgePortal:Security:Oidc:Roles", null, null)]
    [InlineData("EdgePortal:Security:Oidc:Roles:edge-admins", "EdgePortal:Security:Oidc:Roles:edge-admins", "Administrator")]
    [InlineData("EdgePortal:Security:Oidc:Tenants:arena", "EdgePortal:Security:Oidc:Tenants:arena", "ARena Play")]
    [InlineData("EdgePortal:Security:Oidc:Authority", "EdgePortal:Security:Oidc:Authority", "http://idp.example")]
    public async Task Start_OidcTrustingMoreThanItNames_RefusesNamingTheKey(string named, string? key, string? value)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EdgePortal:Security:Oidc:Authority"] = Issuer,
            ["EdgePortal:Security:Oidc:ClientId"] = "edgeportal",
        };
        if (key is not null)
        {
            settings["EdgePortal:Security:Oidc:Roles:edge-admins"] = "ProviderAdmin";
            settings[key] = value;
        }
        await using var factory = new PortalFactory(_folder.File($"oidc-{Guid.NewGuid():N}.db"), settings);

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(named, error.Message);
    }

    private PortalFactory SsoPortal() => new(_folder.File("sso.db"), new Dictionary<string, string?>
    {
        ["EdgePortal:Security:Oidc:Authority"] = Issuer,
        ["EdgePortal:Security:Oidc:ClientId"] = "edgeportal",
        ["EdgePortal:Security:Oidc:RoleClaim"] = "groups",
        ["EdgePortal:Security:Oidc:Roles:arena-ops"] = "TenantOperator",
        ["EdgePortal:Security:Oidc:Roles:arena-view"] = "Viewer",
        ["EdgePortal:Security:Oidc:Tenants:arena"] = DemoEdge.ArenaPlay.ToString(),
        ["EdgePortal:Security:Oidc:DisplayName"] = "Sign in with Example ID",
    });

    [Fact]
    public void SignIn_FirstTime_RecordsALocalSsoUserWithoutPassword()
    {
        using var factory = SsoPortal();
        var sso = factory.Services.GetRequiredService<SsoUsers>();

        var principal = sso.SignIn(External(Issuer, ("groups", "arena-view"), ("edgeportal_tenant", "arena"), ("preferred_username", "ada")),
            factory.Services.GetRequiredService<OidcSettings>(), "192.0.2.1");

        var user = factory.Services.GetRequiredService<IUserRepository>().FindByName("sso:ada");
        Assert.NotNull(principal);
        Assert.Equal("sso:ada", principal.Identity!.Name);
        Assert.NotNull(user);
        Assert.Equal(Issuer, user.ExternalIssuer);
        Assert.Equal("", user.PasswordHash);
        Assert.Equal(PortalRoles.Viewer, user.Role);
        Assert.Null(factory.Services.GetRequiredService<SessionValidator>().Refusal(principal));
    }

    [Fact]
    public void SignIn_DisabledHere_IsRefusedWhateverTheProviderSays()
    {
        using var factory = SsoPortal();
        var sso = factory.Services.GetRequiredService<SsoUsers>();
        var settings = factory.Services.GetRequiredService<OidcSettings>();
        var external = External(Issuer, ("groups", "arena-ops"), ("edgeportal_tenant", "arena"), ("preferred_username", "bob"));
        var first = sso.SignIn(external, settings, "192.0.2.1");
        var users = factory.Services.GetRequiredService<IUserRepository>();
        var admin = factory.Services.GetRequiredService<UserAdministration>();
        var done = admin.ChangeUser(new TenantScope(null, "admin") { Role = PortalRoles.ProviderAdmin }, users.FindByName("sso:bob")!.Id, null, null, disabled: true, null);

        var second = sso.SignIn(external, settings, "192.0.2.1");

        Assert.IsType<UseCaseResult<PortalUser>.Done>(done);
        Assert.Null(second);
        // The session the first sign-in opened ends too.
        Assert.Equal("the account was disabled", factory.Services.GetRequiredService<SessionValidator>().Refusal(first!));
        Assert.Contains(factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery(Action: AuditActions.LoginFailed)),
            e => e.Actor == "sso:bob" && e.Detail.Contains("disabled", StringComparison.Ordinal));
    }

    [Fact]
    public void SignIn_ProviderGivesAnotherRole_NewStampEndsTheOldSession()
    {
        using var factory = SsoPortal();
        var sso = factory.Services.GetRequiredService<SsoUsers>();
        var settings = factory.Services.GetRequiredService<OidcSettings>();
        var asOperator = sso.SignIn(External(Issuer, ("groups", "arena-ops"), ("edgeportal_tenant", "arena"), ("preferred_username", "cy")), settings, "192.0.2.1");

        var asViewer = sso.SignIn(External(Issuer, ("groups", "arena-view"), ("edgeportal_tenant", "arena"), ("preferred_username", "cy")), settings, "192.0.2.1");

        var sessions = factory.Services.GetRequiredService<SessionValidator>();
        Assert.NotNull(sessions.Refusal(asOperator!));
        Assert.Null(sessions.Refusal(asViewer!));
        Assert.Equal(PortalRoles.Viewer, factory.Services.GetRequiredService<IUserRepository>().FindByName("sso:cy")!.Role);
    }

    [Fact]
    public async Task LoginPage_OidcConfigured_OffersSingleSignOn()
    {
        await using var factory = SsoPortal();
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/account/login");

        Assert.Contains("Sign in with Example ID", html);
        Assert.Contains("/account/sso?returnUrl=", html);
    }

    [Fact]
    public async Task SsoLanding_ReturnUrl_FollowsOnlyALocalPath()
    {
        await using var factory = SsoPortal();
        using var client = factory.CreateClient();

        var local = await client.GetStringAsync("/account/sso/done?returnUrl=%2Fmigrations");
        var foreign = await client.GetStringAsync("/account/sso/done?returnUrl=https%3A%2F%2Fevil.example%2F");

        Assert.Contains("content=\"0;url=/migrations\"", local);
        Assert.Contains("content=\"0;url=/\"", foreign);
    }

    [Fact]
    public async Task Sso_NotConfigured_Is404()
    {
        await using var factory = new PortalFactory(_folder.File("plain.db"));
        using var client = factory.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/account/sso")).StatusCode);
    }
}
