using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticAssets;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>What a route holds a principal to, and which tenant-owned thing its id names (if any).</summary>
public enum Owned
{
    None,
    Service,
    Migration,
    Schedule,
    User,
    Key,
    Cluster,
    Batch,
}

/// <summary>
/// The decision for one route: the policy that guards it (null: open to anyone), the kind of tenant-owned object its
/// <c>{id}</c> names, and the JSON body to send (null: none). Bodies are empty or incomplete, so an allowed change answers
/// 400 and changes nothing; objects a call may change or delete are made fresh for each case.
/// </summary>
public sealed record Decision(string? Policy, Owned Owned = Owned.None, string? Body = null);

/// <summary>
/// The authorization matrix of issue 14, generated from the portal's own endpoint list: every route (REST, hub, pages,
/// account and operational endpoints) must have a <see cref="Decision"/> here, or <see cref="EveryEndpoint_HasADecision"/>
/// fails; the endpoint's own metadata must carry that decision's policy. Then every route × every role (and none) × own or
/// other tenant is called through real HTTP with an API key of that role: allowed, 401, 403, or for another tenant's object
/// exactly what an unknown id gets; and no list a tenant reads names the other tenant's things.
/// </summary>
public sealed class AuthorizationMatrixTests(MatrixPortal portal) : IClassFixture<MatrixPortal>
{
    private const string Unknown = "0198a0b0-0000-7000-8000-000000000001";

    /// <summary>Every route of the portal, by <c>METHOD pattern</c>, with its decision.</summary>
    public static readonly IReadOnlyDictionary<string, Decision> Decisions = new Dictionary<string, Decision>(StringComparer.Ordinal)
    {
        // Inventory and plans.
        ["GET /api/v1/clusters"] = new(PortalPolicies.Viewer),
        ["GET /api/v1/capabilities"] = new(PortalPolicies.Viewer),
        ["PUT /api/v1/clusters/{name}"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        ["DELETE /api/v1/nodes/{id:guid}"] = new(PortalPolicies.ProviderAdmin),
        ["GET /api/v1/services"] = new(PortalPolicies.Viewer),
        ["GET /api/v1/services/{id:guid}"] = new(PortalPolicies.Viewer, Owned.Service),
        ["POST /api/v1/services/{id:guid}/plan"] = new(PortalPolicies.Operator, Owned.Service, "{}"),
        ["POST /api/v1/plans/what-if"] = new(PortalPolicies.Viewer, Body: "{}"),
        // Migrations.
        ["GET /api/v1/migrations/"] = new(PortalPolicies.Viewer),
        ["GET /api/v1/migrations/{id:guid}"] = new(PortalPolicies.Viewer, Owned.Migration),
        ["GET /api/v1/batches/{id:guid}"] = new(PortalPolicies.Viewer, Owned.Batch),
        ["POST /api/v1/migrations/"] = new(PortalPolicies.Operator, Body: "{}"),
        ["POST /api/v1/migrations:batch"] = new(PortalPolicies.Operator, Body: "{}"),
        ["POST /api/v1/migrations/{id:guid}/cancel"] = new(PortalPolicies.Operator, Owned.Migration),
        // Schedules, windows, drains, automation.
        ["GET /api/v1/schedules/"] = new(PortalPolicies.Viewer),
        ["GET /api/v1/schedules/{id:guid}"] = new(PortalPolicies.Viewer, Owned.Schedule),
        ["POST /api/v1/schedules/"] = new(PortalPolicies.TenantAdmin, Body: "{}"),
        ["PUT /api/v1/schedules/{id:guid}"] = new(PortalPolicies.TenantAdmin, Owned.Schedule, "{}"),
        ["DELETE /api/v1/schedules/{id:guid}"] = new(PortalPolicies.TenantAdmin, Owned.Schedule),
        ["POST /api/v1/schedules/{id:guid}/pause"] = new(PortalPolicies.TenantAdmin, Owned.Schedule),
        ["POST /api/v1/schedules/{id:guid}/resume"] = new(PortalPolicies.TenantAdmin, Owned.Schedule),
        ["POST /api/v1/schedules/{id:guid}/run-now"] = new(PortalPolicies.TenantAdmin, Owned.Schedule),
        ["GET /api/v1/schedules/{id:guid}/runs"] = new(PortalPolicies.Viewer, Owned.Schedule),
        ["GET /api/v1/clusters/{id:guid}/windows"] = new(PortalPolicies.Viewer, Owned.Cluster),
        ["POST /api/v1/clusters/{id:guid}/windows"] = new(PortalPolicies.Provider, Body: "{}"),
        ["PUT /api/v1/clusters/{id:guid}/windows/{windowId:guid}"] = new(PortalPolicies.Provider, Body: "{}"),
        ["DELETE /api/v1/clusters/{id:guid}/windows/{windowId:guid}"] = new(PortalPolicies.Provider),
        ["POST /api/v1/nodes/{id:guid}/drain"] = new(PortalPolicies.Provider),
        ["POST /api/v1/nodes/{id:guid}/uncordon"] = new(PortalPolicies.Provider),
        ["GET /api/v1/drains/{id:guid}"] = new(PortalPolicies.Provider),
        ["GET /api/v1/automation/decisions"] = new(PortalPolicies.Viewer),
        // Audit and administration.
        ["GET /api/v1/audit"] = new(PortalPolicies.UserAdmin),
        ["GET /api/v1/audit.csv"] = new(PortalPolicies.UserAdmin),
        ["GET /api/v1/audit/verify"] = new(PortalPolicies.Provider),
        ["GET /api/v1/users"] = new(PortalPolicies.UserAdmin),
        ["POST /api/v1/users"] = new(PortalPolicies.UserAdmin, Body: "{}"),
        ["PATCH /api/v1/users/{id:guid}"] = new(PortalPolicies.UserAdmin, Owned.User, "{}"),
        ["DELETE /api/v1/users/{id:guid}"] = new(PortalPolicies.UserAdmin, Owned.User),
        ["GET /api/v1/keys"] = new(PortalPolicies.UserAdmin),
        ["POST /api/v1/keys"] = new(PortalPolicies.UserAdmin, Body: "{}"),
        ["POST /api/v1/keys/{id:guid}/revoke"] = new(PortalPolicies.UserAdmin, Owned.Key),
        ["GET /api/v1/tenants/"] = new(PortalPolicies.ProviderAdmin),
        ["GET /api/v1/tenants/{id:guid}"] = new(PortalPolicies.ProviderAdmin),
        ["POST /api/v1/tenants/"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        ["PUT /api/v1/tenants/{id:guid}/clusters"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        ["PUT /api/v1/tenants/{id:guid}/quotas"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        ["PUT /api/v1/tenants/{id:guid}/post-copy"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        ["GET /api/v1/calibrations/"] = new(PortalPolicies.Provider),
        ["POST /api/v1/calibrations/"] = new(PortalPolicies.ProviderAdmin, Body: "{}"),
        // The hub.
        ["* /hubs/migrations/negotiate"] = new(PortalPolicies.Viewer),
        ["* /hubs/migrations"] = new(PortalPolicies.Viewer),
        // Pages (Blazor answers GET and POST on each).
        ["GET /"] = new(PortalPolicies.Viewer),
        ["GET /clusters"] = new(PortalPolicies.Viewer),
        ["GET /services"] = new(PortalPolicies.Viewer),
        ["GET /services/{Id:guid}"] = new(PortalPolicies.Viewer, Owned.Service),
        ["GET /migrations"] = new(PortalPolicies.Viewer),
        ["GET /migrations/{Id:guid}"] = new(PortalPolicies.Viewer, Owned.Migration),
        ["GET /batches/{Id:guid}"] = new(PortalPolicies.Viewer, Owned.Batch),
        ["GET /planner"] = new(PortalPolicies.Viewer),
        ["GET /schedules"] = new(PortalPolicies.Viewer),
        ["GET /automation"] = new(PortalPolicies.Provider),
        ["GET /settings"] = new(PortalPolicies.Provider),
        ["GET /audit"] = new(PortalPolicies.UserAdmin),
        ["GET /users"] = new(PortalPolicies.UserAdmin),
        ["GET /tenants"] = new(PortalPolicies.ProviderAdmin),
        // Open: the sign-in and sign-out forms and posts, single sign-on, the not-found page, operations.
        ["GET /account/login"] = new(null),
        ["GET /account/logout"] = new(null),
        ["GET /account/denied"] = new(null),
        ["POST /account/signin"] = new(null),
        ["POST /account/signout"] = new(null),
        ["GET /account/sso"] = new(null),
        ["GET /account/sso/done"] = new(null),
        ["GET /not-found"] = new(null),
        ["* /healthz"] = new(null),
        ["* /readyz"] = new(null),
        ["* /metrics"] = new(null),
        ["GET /openapi/{documentName}.json"] = new(null),
        // Blazor's own endpoints: the circuit hub (a circuit carries the page's user) and its start-up scripts.
        ["* /_blazor/negotiate"] = new(null),
        ["* /_blazor"] = new(null),
        ["* /_blazor/disconnect/"] = new(null),
        ["* /_blazor/initializers/"] = new(null),
        ["GET /_framework/opaque-redirect"] = new(null),
        // Files of the build that are not in the static-asset manifest (public, like every static file).
        ["GET /{**path:file}"] = new(null),
        ["HEAD /{**path:file}"] = new(null),
    };

    /// <summary>
    /// The portal's routes as <c>METHOD pattern</c> (<c>*</c> for any method; a page's POST folds into its GET), static
    /// files left out (they are public by nature).
    /// </summary>
    private static IReadOnlyList<(string Key, RouteEndpoint Endpoint)> Routes(IServiceProvider services)
        => [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<StaticAssetDescriptor>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Where(m => m != "POST" || !IsPage(e) )
                .Select(m => ($"{m} {"/" + e.RoutePattern.RawText?.TrimStart('/')}", e)))
            .DistinctBy(r => r.Item1)];

    private static bool IsPage(RouteEndpoint endpoint) => endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;

    [Fact]
    public void EveryEndpoint_HasADecision()
    {
        var routes = Routes(portal.Services);

        var undecided = routes.Select(r => r.Key).Where(k => !Decisions.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var stale = Decisions.Keys.Where(k => routes.All(r => r.Key != k)).Order(StringComparer.Ordinal).ToList();

        Assert.True(undecided.Count == 0, $"Routes without a decision (add each to {nameof(Decisions)}): {string.Join(", ", undecided)}");
        Assert.True(stale.Count == 0, $"Decisions for routes that no longer exist: {string.Join(", ", stale)}");
    }

    [Fact]
    public void EveryEndpoint_CarriesThePolicyOfItsDecision()
    {
        foreach (var (key, endpoint) in Routes(portal.Services))
        {
            if (!Decisions.TryGetValue(key, out var decision))
                continue;
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (decision.Policy is { } policy)
            {
                Assert.False(anonymous, $"{key} allows anonymous callers, but its decision is {policy}.");
                Assert.True(policies.Contains(policy), $"{key} carries [{string.Join(", ", policies)}], but its decision is {policy}.");
            }
            else
                Assert.True(anonymous || policies.Count == 0, $"{key} is decided open but requires {string.Join(", ", policies)}.");
        }
    }

    public static IEnumerable<object?[]> Cases()
        => from d in Decisions
           where d.Value.Policy is not null && d.Key != "* /hubs/migrations" && (d.Key.Contains("/api/", StringComparison.Ordinal) || d.Key.Contains("/hubs/", StringComparison.Ordinal))
           from role in PortalRoles.All.Append(null)
           from tenant in d.Value.Owned == Owned.None || role is null ? new[] { "own" } : ["own", "other"]
           select new object?[] { d.Key, role, tenant };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_RoleAndTenant_AllowedRefusedOrNotFoundAsDecided(string route, string? role, string tenant)
    {
        var decision = Decisions[route];
        var method = route[..route.IndexOf(' ', StringComparison.Ordinal)] is var m && m == "*" ? "POST" : m;
        using var client = portal.Portal.As(role);

        var (status, body) = await CallAsync(client, method, route, decision, await portal.ArrangeAsync(decision.Owned, tenant));

        var at = $"{route} as {role ?? "anonymous"} on the {tenant} tenant's object: {(int)status} {body}";
        if (role is null)
            Assert.True(status == HttpStatusCode.Unauthorized, at);
        else if (!PortalPolicies.Roles[decision.Policy!].Contains(role))
            Assert.True(status == HttpStatusCode.Forbidden, at);
        else if (decision.Owned != Owned.None && tenant == "other" && !PortalRoles.IsProviderRole(role))
        {
            // Another tenant's object reads exactly like one that does not exist.
            var (unknown, _) = await CallAsync(client, method, route, decision, Unknown);
            Assert.True(status == unknown && status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{at}; an unknown id gets {(int)unknown}");
        }
        else
        {
            Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)status < 500, at);
            if (decision.Owned != Owned.None)
                Assert.True(status != HttpStatusCode.NotFound, at);
            if (method == "GET" && !PortalRoles.IsProviderRole(role))
                foreach (var marker in portal.OtherTenantMarkers)
                    Assert.False(body.Contains(marker, StringComparison.OrdinalIgnoreCase), $"{at} names the other tenant's '{marker}'");
        }
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            Assert.Equal("application/problem+json", portal.LastContentType);
    }

    private async Task<(HttpStatusCode Status, string Body)> CallAsync(HttpClient client, string method, string route, Decision decision, string id)
    {
        var path = route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..]
            .Replace("{id:guid}", id, StringComparison.Ordinal)
            .Replace("{windowId:guid}", Unknown, StringComparison.Ordinal)
            .Replace("{name}", "matrix-lab", StringComparison.Ordinal);
        if (path.EndsWith("/negotiate", StringComparison.Ordinal))
            path += "?negotiateVersion=1";
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (decision.Body is { } body)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        portal.LastContentType = response.Content.Headers.ContentType?.MediaType;
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static IEnumerable<object?[]> PageCases()
        => from d in Decisions
           where d.Value.Policy is not null && d.Key.StartsWith("GET /", StringComparison.Ordinal) && !d.Key.Contains("/api/", StringComparison.Ordinal)
           from role in PortalRoles.All.Append(null)
           from tenant in d.Value.Owned == Owned.None || role is null ? new[] { "own" } : ["own", "other"]
           select new object?[] { d.Key, role, tenant };

    [Theory]
    [MemberData(nameof(PageCases))]
    public async Task Page_RoleAndTenant_RendersRedirectsRefusesOrSaysNotFound(string route, string? role, string tenant)
    {
        var decision = Decisions[route];
        using var client = portal.Portal.As(role);
        var path = route["GET ".Length..].Replace("{Id:guid}", await portal.ArrangeAsync(decision.Owned, tenant), StringComparison.Ordinal);

        using var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        if (role is null)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/account/login", response.Headers.Location!.PathAndQuery);
        }
        else if (!PortalPolicies.Roles[decision.Policy!].Contains(role))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        else
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var notFound = html.Contains(" not found</h1>", StringComparison.Ordinal);
            Assert.Equal(decision.Owned != Owned.None && tenant == "other" && !PortalRoles.IsProviderRole(role), notFound);
            if (!PortalRoles.IsProviderRole(role))
                foreach (var marker in portal.OtherTenantMarkers)
                    Assert.False(html.Contains(marker, StringComparison.OrdinalIgnoreCase), $"{path} as {role} names the other tenant's '{marker}'");
        }
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
        using var client = portal.Portal.As(null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ApiKey_Revoked_IsRefusedWith401()
    {
        var keys = portal.Services.GetRequiredService<ApiKeyService>();
        var created = keys.Create("short-lived", PortalRoles.ProviderAdmin, null, null, "test");
        using var client = portal.Portal.WithKey(created.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/services")).StatusCode);

        keys.Revoke(created.Record.Id);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task ApiKey_Expired_IsRefusedWith401()
    {
        var keys = portal.Services.GetRequiredService<ApiKeyService>();
        var created = keys.Create("expired", PortalRoles.ProviderAdmin, null, DateTimeOffset.UtcNow.AddMinutes(-1), "test");
        using var client = portal.Portal.WithKey(created.Key);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/services")).StatusCode);
    }
}

/// <summary>
/// The <see cref="SecuredPortal"/> of the matrix (keys of every role of SkyFleet, the "own" tenant), with what the "other"
/// tenant (ARena Play) owns to aim at: a migration of each tenant, a cluster only ARena may use, and fresh schedules, users and
/// keys made per case. <see cref="OtherTenantMarkers"/> are the other tenant's names and ids, read from the store.
/// </summary>
public sealed class MatrixPortal : IAsyncLifetime
{
    public SecuredPortal Portal { get; } = new();

    public IServiceProvider Services => Portal.Factory.Services;

    /// <summary>The content type of the last answer (checked for 401/403).</summary>
    public string? LastContentType { get; set; }

    private readonly Dictionary<string, string> _migrations = [];
    private readonly Dictionary<string, string> _batches = [];
    private string _arenaCluster = "";

    /// <summary>Strings no page or list a SkyFleet principal reads may contain.</summary>
    public IReadOnlyList<string> OtherTenantMarkers { get; private set; } = [];

    public async Task InitializeAsync()
    {
        using var admin = Portal.WithKey(PortalFactory.BootstrapKey);
        var inventory = Services.GetRequiredService<IInventoryRepository>();
        // A cluster only ARena may use: SkyFleet must not learn that it exists.
        using (var registered = await admin.PutAsJsonAsync("/api/v1/clusters/matrix-arena-only", new
        {
            kind = "Simulated",
            region = "matrix",
            nodes = new[] { new { name = "matrix-arena-node", cpuMillicores = 4000, memoryBytes = 8_000_000_000L, latitude = 45.0, longitude = 7.6 } },
            tenants = new[] { "ARena Play" },
        }))
            Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
        _arenaCluster = inventory.Clusters().Single(c => c.Name == "matrix-arena-only").Id.ToString();
        foreach (var (tenant, service) in new[] { ("own", "flight-control"), ("other", "leaderboard") })
        {
            var id = inventory.Services().Single(s => s.Name == service).Id;
            using var started = await admin.PostAsJsonAsync("/api/v1/migrations", new { serviceId = id.Value, acceptTargetMiss = true });
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
            _migrations[tenant] = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }
        // One batch per tenant, of a service that is not migrating yet.
        foreach (var tenant in new[] { "own", "other" })
        {
            var id = inventory.Services(Of(tenant)).Where(s => s.Name is not ("flight-control" or "leaderboard")).OrderBy(s => s.Name, StringComparer.Ordinal).Last().Id;
            using var started = await admin.PostAsJsonAsync("/api/v1/migrations:batch", new { migrations = new[] { new { serviceId = id.Value, acceptTargetMiss = true } } });
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
            _batches[tenant] = (await started.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("migration").GetProperty("batchId").GetString()!;
        }
        var arena = inventory.FindTenant(DemoEdge.ArenaPlay)!;
        var visible = inventory.FindTenant(DemoEdge.SkyFleet)!.AllowedClusters.ToHashSet();
        OtherTenantMarkers =
        [
            arena.Name, arena.Id.ToString(),
            .. inventory.Services(arena.Id).SelectMany(s => new[] { s.Name, s.Id.ToString() }),
            .. inventory.Clusters().Where(c => !visible.Contains(c.Id)).SelectMany(c => new[] { c.Name, c.Id.ToString() }),
            .. inventory.Nodes().Where(n => !visible.Contains(n.ClusterId)).SelectMany(n => new[] { n.Name, n.Id.ToString() }),
        ];
    }

    public Task DisposeAsync()
    {
        Portal.Dispose();
        return Task.CompletedTask;
    }

    private static TenantId Of(string tenant) => tenant == "own" ? DemoEdge.SkyFleet : DemoEdge.ArenaPlay;

    /// <summary>The id of a <paramref name="kind"/> owned by the <paramref name="tenant"/> ("own": SkyFleet, "other": ARena Play).</summary>
    public async Task<string> ArrangeAsync(Owned kind, string tenant)
    {
        var inventory = Services.GetRequiredService<IInventoryRepository>();
        var owner = Of(tenant);
        switch (kind)
        {
            case Owned.Service:
                return inventory.Services(owner).OrderBy(s => s.Name, StringComparer.Ordinal).First().Id.ToString();
            case Owned.Migration:
                return _migrations[tenant];
            case Owned.Batch:
                return _batches[tenant];
            case Owned.Cluster:
                return tenant == "own" ? inventory.FindTenant(owner)!.AllowedClusters[0].ToString() : _arenaCluster;
            case Owned.User:
                var admin = Services.GetRequiredService<UserAdministration>();
                var created = admin.CreateUser(new TenantScope(null, "matrix") { Role = PortalRoles.ProviderAdmin }, $"m-{Guid.NewGuid():N}"[..24],
                    "a-long-password-1", PortalRoles.Viewer, owner.Value);
                return Assert.IsType<UseCaseResult<PortalUser>.Done>(created).Value.Id.ToString();
            case Owned.Key:
                return Services.GetRequiredService<ApiKeyService>().Create($"m-{Guid.NewGuid():N}"[..24], PortalRoles.Viewer, owner.Value, null, "matrix").Record.Id.ToString();
            case Owned.Schedule:
                // Made by the owning tenant's admin, as a tenant's schedules are.
                using (var client = Portal.WithKey(tenant == "own" ? Portal.Key(PortalRoles.TenantAdmin) : Portal.ArenaAdminKey))
                {
                    var service = inventory.Services(owner).OrderBy(s => s.Name, StringComparer.Ordinal).First().Id.Value;
                    using var response = await client.PostAsJsonAsync("/api/v1/schedules", new
                    {
                        name = $"m-{Guid.NewGuid():N}"[..24],
                        kind = "Cron",
                        cron = "0 0 3 * * ?",
                        timeZone = "UTC",
                        paused = true,
                        target = new { kind = "Service", serviceId = service },
                    });
                    Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
                    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule").GetProperty("id").GetString()!;
                }
            default:
                return "0198a0b0-0000-7000-8000-000000000001";
        }
    }
}
