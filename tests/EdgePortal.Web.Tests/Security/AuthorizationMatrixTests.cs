using System.Net;
using System.Text;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Every REST endpoint, page and the hub, called through real HTTP with an API key of each role: allowed or denied as
/// <see cref="PortalPolicies"/> says. Mutating calls use unknown ids or empty bodies, so an allowed call answers 400/404
/// and nothing changes; what the test checks is only that authorization let it through (not 401/403) or stopped it.
/// </summary>
public sealed class AuthorizationMatrixTests(SecuredPortal portal) : IClassFixture<SecuredPortal>
{
    private static readonly string Unknown = "0198a0b0-0000-7000-8000-000000000001";
    private static readonly string Cluster = "{cluster}";

    /// <summary>method, path, JSON body (null: none), the policy that guards it.</summary>
    public static readonly (string Method, string Path, string? Body, string Policy)[] Endpoints =
    [
        ("GET", "/api/v1/clusters", null, PortalPolicies.Viewer),
        ("PUT", "/api/v1/clusters/matrix-lab", "{}", PortalPolicies.ProviderAdmin),
        ("GET", "/api/v1/services", null, PortalPolicies.Viewer),
        ("GET", $"/api/v1/services/{Unknown}", null, PortalPolicies.Viewer),
        ("POST", $"/api/v1/services/{Unknown}/plan", "{}", PortalPolicies.Operator),
        ("POST", "/api/v1/plans/what-if", "{}", PortalPolicies.Viewer),
        ("GET", "/api/v1/migrations", null, PortalPolicies.Viewer),
        ("GET", $"/api/v1/migrations/{Unknown}", null, PortalPolicies.Viewer),
        ("POST", "/api/v1/migrations", "{}", PortalPolicies.Operator),
        ("POST", $"/api/v1/migrations/{Unknown}/cancel", null, PortalPolicies.Operator),
        ("GET", "/api/v1/schedules", null, PortalPolicies.Viewer),
        ("GET", $"/api/v1/schedules/{Unknown}", null, PortalPolicies.Viewer),
        ("POST", "/api/v1/schedules", "{}", PortalPolicies.TenantAdmin),
        ("PUT", $"/api/v1/schedules/{Unknown}", "{}", PortalPolicies.TenantAdmin),
        ("DELETE", $"/api/v1/schedules/{Unknown}", null, PortalPolicies.TenantAdmin),
        ("POST", $"/api/v1/schedules/{Unknown}/pause", null, PortalPolicies.TenantAdmin),
        ("POST", $"/api/v1/schedules/{Unknown}/resume", null, PortalPolicies.TenantAdmin),
        ("POST", $"/api/v1/schedules/{Unknown}/run-now", null, PortalPolicies.TenantAdmin),
        ("GET", $"/api/v1/schedules/{Unknown}/runs", null, PortalPolicies.Viewer),
        ("GET", $"/api/v1/clusters/{Cluster}/windows", null, PortalPolicies.Viewer),
        ("POST", $"/api/v1/clusters/{Unknown}/windows", "{}", PortalPolicies.Provider),
        ("PUT", $"/api/v1/clusters/{Unknown}/windows/{Unknown}", "{}", PortalPolicies.Provider),
        ("DELETE", $"/api/v1/clusters/{Unknown}/windows/{Unknown}", null, PortalPolicies.Provider),
        ("POST", $"/api/v1/nodes/{Unknown}/drain", null, PortalPolicies.Provider),
        ("POST", $"/api/v1/nodes/{Unknown}/uncordon", null, PortalPolicies.Provider),
        ("DELETE", $"/api/v1/nodes/{Unknown}", null, PortalPolicies.ProviderAdmin),
        ("GET", $"/api/v1/drains/{Unknown}", null, PortalPolicies.Provider),
        ("GET", "/api/v1/automation/decisions", null, PortalPolicies.Viewer),
        ("GET", "/api/v1/audit", null, PortalPolicies.UserAdmin),
        ("GET", "/api/v1/audit.csv", null, PortalPolicies.UserAdmin),
        ("GET", "/api/v1/users", null, PortalPolicies.UserAdmin),
        ("POST", "/api/v1/users", "{}", PortalPolicies.UserAdmin),
        ("DELETE", $"/api/v1/users/{Unknown}", null, PortalPolicies.UserAdmin),
        ("GET", "/api/v1/keys", null, PortalPolicies.UserAdmin),
        ("POST", "/api/v1/keys", "{}", PortalPolicies.UserAdmin),
        ("POST", $"/api/v1/keys/{Unknown}/revoke", null, PortalPolicies.UserAdmin),
        ("GET", "/api/v1/tenants", null, PortalPolicies.ProviderAdmin),
        ("GET", $"/api/v1/tenants/{Unknown}", null, PortalPolicies.ProviderAdmin),
        ("POST", "/api/v1/tenants", "{}", PortalPolicies.ProviderAdmin),
        ("PUT", $"/api/v1/tenants/{Unknown}/clusters", "{}", PortalPolicies.ProviderAdmin),
        ("PUT", $"/api/v1/tenants/{Unknown}/quotas", "{}", PortalPolicies.ProviderAdmin),
        ("GET", "/api/v1/calibrations", null, PortalPolicies.Provider),
        ("POST", "/api/v1/calibrations", "{}", PortalPolicies.ProviderAdmin),
        ("POST", "/hubs/migrations/negotiate?negotiateVersion=1", null, PortalPolicies.Viewer),
    ];

    public static IEnumerable<object?[]> Cases()
        => from e in Endpoints from role in PortalRoles.All.Append(null) select new object?[] { e.Method, e.Path, role };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_Role_AllowedOrDeniedAsThePolicySays(string method, string path, string? role)
    {
        var endpoint = Endpoints.Single(e => e.Method == method && e.Path == path);
        using var client = portal.As(role);
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace(Cluster, DemoEdge.Build().Clusters[0].Id.ToString()));
        if (endpoint.Body is { } body)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await client.SendAsync(request);

        if (role is null)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        else if (PortalPolicies.Roles[endpoint.Policy].Contains(role))
        {
            Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.True((int)response.StatusCode < 500, $"{method} {path} as {role}: {(int)response.StatusCode}");
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    public static readonly (string Path, string Policy)[] Pages =
    [
        ("/", PortalPolicies.Viewer), ("/clusters", PortalPolicies.Viewer), ("/services", PortalPolicies.Viewer),
        ("/migrations", PortalPolicies.Viewer), ("/planner", PortalPolicies.Viewer), ("/schedules", PortalPolicies.Viewer),
        ("/automation", PortalPolicies.Provider), ("/settings", PortalPolicies.Provider), ("/audit", PortalPolicies.UserAdmin),
        ("/users", PortalPolicies.UserAdmin), ("/tenants", PortalPolicies.ProviderAdmin),
    ];

    public static IEnumerable<object?[]> PageCases()
        => from p in Pages from role in PortalRoles.All.Append(null) select new object?[] { p.Path, role };

    [Theory]
    [MemberData(nameof(PageCases))]
    public async Task Page_Role_RendersRedirectsToLoginOrIsRefused(string path, string? role)
    {
        var policy = Pages.Single(p => p.Path == path).Policy;
        using var client = portal.As(role);

        using var response = await client.GetAsync(path);

        if (role is null)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
        }
        else if (PortalPolicies.Roles[policy].Contains(role))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        else
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/metrics")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/account/login")]
    [InlineData("/favicon.svg")]
    public async Task Anonymous_OperationalEndpointsAndLogin_AreOpen(string path)
    {
        using var client = portal.As(null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ApiKey_Revoked_IsRefusedWith401()
    {
        var keys = (Web.Security.ApiKeyService)portal.Factory.Services.GetService(typeof(Web.Security.ApiKeyService))!;
        var created = keys.Create("short-lived", PortalRoles.ProviderAdmin, null, null, "test");
        using var client = portal.WithKey(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/services")).StatusCode);

        keys.Revoke(created.Record.Id);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task ApiKey_Expired_IsRefusedWith401()
    {
        var keys = (Web.Security.ApiKeyService)portal.Factory.Services.GetService(typeof(Web.Security.ApiKeyService))!;
        var created = keys.Create("expired", PortalRoles.ProviderAdmin, null, DateTimeOffset.UtcNow.AddMinutes(-1), "test");
        using var client = portal.WithKey(created.Key);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/services")).StatusCode);
    }
}
