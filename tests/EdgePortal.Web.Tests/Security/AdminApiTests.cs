using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>Users, API keys and quotas through the API: who may give which role to whom, keys shown once and revocable.</summary>
public sealed class AdminApiTests : IDisposable
{
    private readonly SecuredPortal _portal = new();

    public void Dispose() => _portal.Dispose();

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task CreateUser_TenantAdmin_GivesOnlyTenantRolesInItsOwnTenant()
    {
        using var sky = _portal.As(PortalRoles.TenantAdmin);

        var ok = await sky.PostAsJsonAsync("/api/v1/users", new { userName = "sky-new", password = "long-enough-1", role = "TenantOperator" });
        var escalate = await sky.PostAsJsonAsync("/api/v1/users", new { userName = "sky-root", password = "long-enough-1", role = "ProviderAdmin" });
        var foreign = await sky.PostAsJsonAsync("/api/v1/users", new { userName = "sky-spy", password = "long-enough-1", role = "Viewer", tenantId = DemoEdge.ArenaPlay.Value });

        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        var created = await Json(ok);
        Assert.Equal(DemoEdge.SkyFleet.Value, created.GetProperty("tenantId").GetGuid());
        Assert.False(created.TryGetProperty("passwordHash", out _));
        Assert.Equal(HttpStatusCode.BadRequest, escalate.StatusCode);
        Assert.True((await Json(escalate)).GetProperty("errors").TryGetProperty("role", out _));
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        var users = _portal.Factory.Services.GetRequiredService<IUserRepository>();
        Assert.Null(users.FindByName("sky-root"));
        Assert.Null(users.FindByName("sky-spy"));
    }

    [Fact]
    public async Task DeleteUser_AnotherTenantsUser_Is404AndTheUserStays()
    {
        var arenaViewer = _portal.Factory.Services.GetRequiredService<IUserRepository>().FindByName("arena-viewer")!;
        using var sky = _portal.As(PortalRoles.TenantAdmin);

        var response = await sky.DeleteAsync($"/api/v1/users/{arenaViewer.Id}");
        var list = await sky.GetFromJsonAsync<JsonElement>("/api/v1/users");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull(_portal.Factory.Services.GetRequiredService<IUserRepository>().Find(arenaViewer.Id));
        Assert.All(list.EnumerateArray(), u => Assert.Equal(DemoEdge.SkyFleet.Value, u.GetProperty("tenantId").GetGuid()));
    }

    [Fact]
    public async Task Keys_CreatedKeyIsShownOnceWorksAndIsRefusedOnceRevoked()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);

        var created = await admin.PostAsJsonAsync("/api/v1/keys", new { name = "ci", role = "Viewer", tenantId = DemoEdge.ArenaPlay.Value, expiresAt = DateTimeOffset.UtcNow.AddDays(1) });
        var body = await Json(created);
        var key = body.GetProperty("key").GetString()!;
        var id = body.GetProperty("id").GetGuid();
        using var ci = _portal.WithKey(key);
        var before = await ci.GetAsync("/api/v1/services");
        var list = await admin.GetStringAsync("/api/v1/keys");
        var revoke = await admin.PostAsync($"/api/v1/keys/{id}/revoke", null);
        var after = await ci.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.DoesNotContain(key, list);
        Assert.DoesNotContain("hash", list, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        var audit = _portal.Factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery());
        Assert.Contains(audit, e => e.Action == AuditActions.KeyCreate && e.Target.Contains("ci"));
        Assert.Contains(audit, e => e.Action == AuditActions.KeyRevoke);
    }

    [Fact]
    public async Task Quotas_ProviderAdminSetsThem_TenantAdminIsRefused()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        using var sky = _portal.As(PortalRoles.TenantAdmin);

        var set = await admin.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.ArenaPlay}/quotas", new { maxConcurrentMigrations = 2, maxReservedBandwidthBitsPerSecond = 5e8 });
        var bad = await admin.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.ArenaPlay}/quotas", new { maxConcurrentMigrations = 0 });
        var refused = await sky.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.SkyFleet}/quotas", new { maxConcurrentMigrations = 1000 });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var tenant = _portal.Factory.Services.GetRequiredService<IInventoryRepository>().FindTenant(DemoEdge.ArenaPlay)!;
        Assert.Equal(2, tenant.MaxConcurrentMigrations);
        Assert.Equal(5e8, tenant.MaxReservedBandwidthBitsPerSecond);
    }

    [Fact]
    public async Task PostCopy_ProviderAdminAllowsIt_KeepsQuotasAndATenantAdminIsRefused()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        using var sky = _portal.As(PortalRoles.TenantAdmin);
        var inventory = _portal.Factory.Services.GetRequiredService<IInventoryRepository>();
        var before = inventory.FindTenant(DemoEdge.ArenaPlay)!;

        var set = await admin.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.ArenaPlay}/post-copy", new { allowPostCopy = true });
        var missing = await admin.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.ArenaPlay}/post-copy", new { });
        var refused = await sky.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.SkyFleet}/post-copy", new { allowPostCopy = false });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("allowPostCopy", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var after = inventory.FindTenant(DemoEdge.ArenaPlay)!;
        Assert.True(after.AllowPostCopy);
        Assert.Equal(before.AllowedClusters, after.AllowedClusters);
        Assert.Equal((before.MaxConcurrentMigrations, before.MaxReservedBandwidthBitsPerSecond), (after.MaxConcurrentMigrations, after.MaxReservedBandwidthBitsPerSecond));
        Assert.True(inventory.FindTenant(DemoEdge.SkyFleet)!.AllowPostCopy);
    }

    private IReadOnlyList<EdgeCluster> Clusters => _portal.Factory.Services.GetRequiredService<IInventoryRepository>().Clusters();

    [Fact]
    public async Task CreateTenant_ProviderAdmin_201ThenItsOwnKeySeesNoOneElsesServices()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        var cluster = Clusters[0];

        var created = await admin.PostAsJsonAsync("/api/v1/tenants", new
        {
            name = " Harbour Drones ", allowedClusters = new[] { cluster.Id.Value }, defaultObjective = "MinResources", maxConcurrentMigrations = 3,
        });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var tenant = await Json(created);
        var id = tenant.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/tenants/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("Harbour Drones", tenant.GetProperty("name").GetString());
        var fetched = await Json(await admin.GetAsync($"/api/v1/tenants/{id}"));
        Assert.Equal(cluster.Id.Value, Assert.Single(fetched.GetProperty("allowedClusters").EnumerateArray()).GetGuid());
        Assert.Equal("MinResources", fetched.GetProperty("defaultObjective").GetString());
        Assert.Equal(3, fetched.GetProperty("maxConcurrentMigrations").GetInt32());
        var audit = _portal.Factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery(Action: AuditActions.TenantCreate));
        Assert.Contains($"clusters {cluster.Name}", Assert.Single(audit).Detail);

        // Onboarded: a key of the new tenant works and sees nothing of the demo tenants.
        var key = await Json(await admin.PostAsJsonAsync("/api/v1/keys", new { name = "harbour-ci", role = "TenantOperator", tenantId = id }));
        using var harbour = _portal.WithKey(key.GetProperty("key").GetString()!);
        Assert.Empty((await Json(await harbour.GetAsync("/api/v1/services"))).EnumerateArray());
    }

    public static TheoryData<string, string> BadTenants => new()
    {
        { """{"name":"skyfleet drones"}""", "name" },
        { """{"name":""}""", "name" },
        { """{"name":"A","allowedClusters":["0198a0b0-0000-7000-8000-0000000000ff"]}""", "allowedClusters[0]" },
        { """{"name":"A","defaultObjective":"Fastest"}""", "defaultObjective" },
        { """{"name":"A","maxConcurrentMigrations":0}""", "maxConcurrentMigrations" },
        { """{"name":"A","maxReservedBandwidthBitsPerSecond":-1}""", "maxReservedBandwidthBitsPerSecond" },
    };

    [Theory]
    [MemberData(nameof(BadTenants))]
    public async Task CreateTenant_BadField_400NamingItAndNothingStored(string body, string field)
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        var before = _portal.Factory.Services.GetRequiredService<IInventoryRepository>().Tenants().Count;

        var response = await admin.PostAsync("/api/v1/tenants", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await Json(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"errors name {string.Join(", ", errors.EnumerateObject().Select(e => e.Name))}, not {field}");
        Assert.Equal(before, _portal.Factory.Services.GetRequiredService<IInventoryRepository>().Tenants().Count);
    }

    [Fact]
    public async Task SetClusters_LeavingOutWhereItsServicesRun_400NamingThemAndUnchanged()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        var inventory = _portal.Factory.Services.GetRequiredService<IInventoryRepository>();
        var before = inventory.FindTenant(DemoEdge.SkyFleet)!.AllowedClusters;

        var response = await admin.PutAsJsonAsync($"/api/v1/tenants/{DemoEdge.SkyFleet}/clusters", new { allowedClusters = Array.Empty<Guid>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await Json(response)).GetProperty("errors").GetProperty("allowedClusters")[0].GetString();
        Assert.Contains("geofence-cache", message);
        Assert.Contains("Migrate them away first", message);
        Assert.Equal(before, inventory.FindTenant(DemoEdge.SkyFleet)!.AllowedClusters);
    }

    [Fact]
    public async Task SetClusters_NewTenant_GrantedThenTakenBackAndAListIsRequired()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        var id = (await Json(await admin.PostAsJsonAsync("/api/v1/tenants", new { name = "Rail Inspectors" }))).GetProperty("id").GetGuid();
        var two = Clusters.Take(2).Select(c => c.Id.Value).ToArray();

        var granted = await admin.PutAsJsonAsync($"/api/v1/tenants/{id}/clusters", new { allowedClusters = two });
        var missing = await admin.PutAsJsonAsync($"/api/v1/tenants/{id}/clusters", new { });
        var none = await admin.PutAsJsonAsync($"/api/v1/tenants/{id}/clusters", new { allowedClusters = Array.Empty<Guid>() });

        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(two, (await Json(granted)).GetProperty("allowedClusters").EnumerateArray().Select(c => c.GetGuid()));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True((await Json(missing)).GetProperty("errors").TryGetProperty("allowedClusters", out _));
        Assert.Equal(HttpStatusCode.OK, none.StatusCode);
        Assert.Empty(_portal.Factory.Services.GetRequiredService<IInventoryRepository>().FindTenant(TenantId.From(id))!.AllowedClusters);
    }
}
