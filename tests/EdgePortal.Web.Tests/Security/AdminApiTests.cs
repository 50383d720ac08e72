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
}
