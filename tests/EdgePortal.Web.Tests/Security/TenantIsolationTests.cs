using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// A SkyFleet principal against ARena Play's data through REST and the hub: every attempt answers as for an id that
/// does not exist (404, or the hub's "no such" error), leaves nothing behind, and the lists hold only SkyFleet's.
/// </summary>
public sealed class TenantIsolationTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private ServiceInstance ArenaService => _demo.Services.First(s => s.TenantId == DemoEdge.ArenaPlay);

    private IMigrationRepository Migrations => _portal.Factory.Services.GetRequiredService<IMigrationRepository>();

    private static async Task<JsonElement> Json(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonElement>());

    [Fact]
    public async Task Services_TenantOperator_ListsOnlyItsOwnAndAnotherTenantsIdIs404LikeAnUnknownOne()
    {
        using var sky = _portal.As(PortalRoles.TenantOperator);

        var services = await sky.GetFromJsonAsync<JsonElement>("/api/v1/services");
        var foreign = await sky.GetAsync($"/api/v1/services/{ArenaService.Id}");
        var unknown = await sky.GetAsync($"/api/v1/services/{Guid.NewGuid()}");

        Assert.All(services.EnumerateArray(), s => Assert.Equal(DemoEdge.SkyFleet.Value, s.GetProperty("tenantId").GetGuid()));
        Assert.Equal(_demo.Services.Count(s => s.TenantId == DemoEdge.SkyFleet), services.GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal((await Json(unknown)).GetProperty("title").GetString(), (await Json(foreign)).GetProperty("title").GetString());
        Assert.DoesNotContain("ARena", await foreign.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task StartAndPlan_AnotherTenantsService_Are404AndNothingIsStored()
    {
        using var sky = _portal.As(PortalRoles.TenantOperator);

        var start = await sky.PostAsJsonAsync("/api/v1/migrations", new { serviceId = ArenaService.Id.Value, acceptTargetMiss = true });
        var plan = await sky.PostAsJsonAsync($"/api/v1/services/{ArenaService.Id}/plan", new { });

        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, plan.StatusCode);
        Assert.Empty(Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task Migrations_AnotherTenantsMigration_IsInvisibleAndCannotBeCancelled()
    {
        using var provider = _portal.As(PortalRoles.ProviderOperator);
        var started = await provider.PostAsJsonAsync("/api/v1/migrations", new { serviceId = ArenaService.Id.Value, acceptTargetMiss = true });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await Json(started)).GetProperty("id").GetGuid();
        using var sky = _portal.As(PortalRoles.TenantAdmin);

        var get = await sky.GetAsync($"/api/v1/migrations/{id}");
        var cancel = await sky.PostAsync($"/api/v1/migrations/{id}/cancel", null);
        var list = await sky.GetFromJsonAsync<JsonElement>("/api/v1/migrations");
        var asked = await sky.GetFromJsonAsync<JsonElement>($"/api/v1/migrations?tenant={DemoEdge.ArenaPlay}");

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(0, list.GetArrayLength());
        Assert.Equal(0, asked.GetArrayLength());
        Assert.NotEqual(MigrationState.Cancelled, Migrations.Find(MigrationId.From(id))!.State);
    }

    [Fact]
    public async Task Schedules_OtherTenantsScheduleIsInvisible_ATenantCannotTargetAnotherTenantsServiceOrDrainANode()
    {
        using var arena = _portal.WithKey(_portal.ArenaAdminKey);
        var created = await arena.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "arena nightly", kind = "Cron", cron = "0 0 3 * * ?", timeZone = "UTC",
            target = new { kind = "LabelSelector", labels = "tier=interactive" }, paused = true,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var scheduleId = (await Json(created)).GetProperty("schedule").GetProperty("id").GetGuid();
        using var sky = _portal.As(PortalRoles.TenantAdmin);

        var list = await sky.GetFromJsonAsync<JsonElement>("/api/v1/schedules");
        var get = await sky.GetAsync($"/api/v1/schedules/{scheduleId}");
        var runNow = await sky.PostAsync($"/api/v1/schedules/{scheduleId}/run-now", null);
        var delete = await sky.DeleteAsync($"/api/v1/schedules/{scheduleId}");
        var foreignTarget = await sky.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "steal", kind = "Cron", cron = "0 0 3 * * ?", timeZone = "UTC", target = new { kind = "Service", serviceId = ArenaService.Id.Value },
        });
        var drain = await sky.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "drain", kind = "Cron", cron = "0 0 3 * * ?", timeZone = "UTC", target = new { kind = "Node", nodeId = _demo.Nodes[0].Id.Value },
        });

        Assert.Equal(0, list.GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, runNow.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, foreignTarget.StatusCode);
        Assert.Equal($"No service has id {ArenaService.Id}.", (await Json(foreignTarget)).GetProperty("errors").GetProperty("target.serviceId")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, drain.StatusCode);
        Assert.True((await Json(drain)).GetProperty("errors").TryGetProperty("target.kind", out _));
        Assert.Single(_portal.Factory.Services.GetRequiredService<IScheduleRepository>().List());
    }

    [Fact]
    public async Task RunNow_TenantLabelSelector_MigratesOnlyThatTenantsServices()
    {
        using var arena = _portal.WithKey(_portal.ArenaAdminKey);
        var created = await arena.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "arena all interactive", kind = "Cron", cron = "0 0 3 * * ?", timeZone = "UTC",
            target = new { kind = "LabelSelector", labels = "tier=interactive" }, paused = true,
        });
        var scheduleId = (await Json(created)).GetProperty("schedule").GetProperty("id").GetGuid();
        Assert.Contains(_demo.Services, s => s.TenantId == DemoEdge.SkyFleet && s.Labels.GetValueOrDefault("tier") == "interactive");

        Assert.Equal(HttpStatusCode.Accepted, (await arena.PostAsync($"/api/v1/schedules/{scheduleId}/run-now", null)).StatusCode);

        var runs = _portal.Factory.Services.GetRequiredService<IScheduleRepository>();
        await WaitUntil(() => runs.Runs(ScheduleId.From(scheduleId)).Count > 0);
        Assert.All(Migrations.List(new MigrationQuery(Limit: 100)), m => Assert.Equal(DemoEdge.ArenaPlay, m.TenantId));
    }

    [Fact]
    public async Task Clusters_TenantSeesOnlyItsAllowedClustersAndTheirWindows()
    {
        using var arena = _portal.WithKey(_portal.ArenaAdminKey);
        var arenaTenant = _demo.Tenants.Single(t => t.Id == DemoEdge.ArenaPlay);
        var forbidden = _demo.Clusters.First(c => !arenaTenant.MayUse(c.Id));

        var clusters = await arena.GetFromJsonAsync<JsonElement>("/api/v1/clusters");
        var windows = await arena.GetAsync($"/api/v1/clusters/{forbidden.Id}/windows");

        Assert.Equal(arenaTenant.AllowedClusters.Select(c => c.Value).Order(), clusters.EnumerateArray().Select(c => c.GetProperty("id").GetGuid()).Order());
        Assert.Equal(HttpStatusCode.NotFound, windows.StatusCode);
    }

    [Fact]
    public async Task Hub_TenantPrincipal_JoinsOnlyItsOwnTenantAndMigrations()
    {
        using var provider = _portal.As(PortalRoles.ProviderOperator);
        var started = await provider.PostAsJsonAsync("/api/v1/migrations", new { serviceId = ArenaService.Id.Value, acceptTargetMiss = true });
        var arenaMigration = (await Json(started)).GetProperty("id").GetGuid();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_portal.Factory.Server.BaseAddress, "/hubs/migrations"), o =>
            {
                o.HttpMessageHandlerFactory = _ => _portal.Factory.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult<string?>(_portal.Key(PortalRoles.Viewer));
            })
            .Build();
        await hub.StartAsync();

        await hub.InvokeAsync("SubscribeTenant", DemoEdge.SkyFleet.Value);
        var otherTenant = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("SubscribeTenant", DemoEdge.ArenaPlay.Value));
        var unknownTenant = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("SubscribeTenant", Guid.NewGuid()));
        var otherMigration = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync("SubscribeMigration", arenaMigration));

        Assert.Contains("No tenant has id", otherTenant.Message);
        Assert.Contains("No tenant has id", unknownTenant.Message);
        Assert.Contains("No migration has id", otherMigration.Message);
    }

    [Fact]
    public async Task Hub_Anonymous_IsRefused()
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_portal.Factory.Server.BaseAddress, "/hubs/migrations"), o =>
            {
                o.HttpMessageHandlerFactory = _ => _portal.Factory.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
            })
            .Build();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Start_TenantAtItsConcurrencyQuota_Is429AndNothingIsQueued()
    {
        var inventory = _portal.Factory.Services.GetRequiredService<IInventoryRepository>();
        var sky = inventory.FindTenant(DemoEdge.SkyFleet)!;
        inventory.Save(new Tenant(sky.Id, sky.Name, sky.AllowedClusters, sky.DefaultObjective, maxConcurrentMigrations: 1));
        var services = _demo.Services.Where(s => s.TenantId == DemoEdge.SkyFleet).Take(2).ToList();
        using var client = _portal.As(PortalRoles.TenantOperator);

        var first = await client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = services[0].Id.Value, acceptTargetMiss = true });
        var second = await client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = services[1].Id.Value, acceptTargetMiss = true });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Empty(Migrations.List(new MigrationQuery(Service: services[1].Id, Limit: 10)));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 20 s.");
            await Task.Delay(50);
        }
    }
}
