using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Api;

/// <summary>
/// <c>POST /api/v1/migrations:batch</c>: migrations requested together are planned as one batch and answered one result per
/// migration, in the request's order, each as the single start would answer it; a malformed item refuses the whole batch
/// with the item's field named, and another tenant's service is not found, in its place.
/// </summary>
public sealed class MigrationBatchApiTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private IMigrationRepository Migrations => _portal.Factory.Services.GetRequiredService<IMigrationRepository>();

    private List<ServiceInstance> SkyFleet(int count) => [.. _demo.Services.Where(s => s.TenantId == DemoEdge.SkyFleet).Take(count)];

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Fact]
    public async Task StartBatch_TwoServicesTheSecondUrgent_BothAcceptedAnsweredInRequestOrder()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);
        var services = SkyFleet(2);

        using var response = await client.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = new object[]
            {
                new { serviceId = services[0].Id.Value, acceptTargetMiss = true },
                new { serviceId = services[1].Id.Value, acceptTargetMiss = true, urgent = true },
            },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await Json(response)).EnumerateArray().ToList();
        Assert.Equal([0, 1], items.Select(i => i.GetProperty("index").GetInt32()));
        Assert.All(items, i => Assert.Equal(202, i.GetProperty("status").GetInt32()));
        Assert.Equal(services.Select(s => s.Id.Value), items.Select(i => i.GetProperty("migration").GetProperty("serviceId").GetGuid()));
        var stored = Migrations.List(new MigrationQuery(Limit: 10));
        Assert.Equal(services.Select(s => s.Id.Value).Order(), stored.Select(m => m.ServiceId.Value).Order());
        Assert.All(stored, m => Assert.Equal(MigrationTrigger.Api, m.Trigger));
    }

    [Fact]
    public async Task StartBatch_AnotherTenantsServiceBesideOwn_ThatOneIs404LikeAnUnknownIdAndTheOtherStarts()
    {
        using var sky = _portal.As(PortalRoles.TenantOperator);
        var own = SkyFleet(1)[0];
        var arena = _demo.Services.First(s => s.TenantId == DemoEdge.ArenaPlay);
        var unknown = Guid.NewGuid();

        using var response = await sky.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = new object[]
            {
                new { serviceId = own.Id.Value, acceptTargetMiss = true },
                new { serviceId = arena.Id.Value, acceptTargetMiss = true },
                new { serviceId = unknown, acceptTargetMiss = true },
            },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var items = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        Assert.Equal([202, 404, 404], items.Select(i => i.GetProperty("status").GetInt32()));
        Assert.Equal(items[2].GetProperty("problem").GetProperty("title").GetString(), items[1].GetProperty("problem").GetProperty("title").GetString());
        Assert.DoesNotContain(arena.Name, body, StringComparison.Ordinal);
        Assert.Equal([own.Id], Migrations.List(new MigrationQuery(Limit: 10)).Select(m => m.ServiceId));
    }

    [Fact]
    public async Task StartBatch_AnItemWithoutServiceId_400NamingThatItemsFieldAndNothingStarts()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);

        using var response = await client.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = new object[] { new { serviceId = SkyFleet(1)[0].Id.Value }, new { objective = "MinDowntime" } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await Json(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("migrations[1].serviceId", out _), errors.ToString());
        Assert.Empty(Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task StartBatch_TheSameServiceTwice_400NamingTheSecondAndNothingStarts()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);
        var service = SkyFleet(1)[0].Id.Value;

        using var response = await client.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = new object[] { new { serviceId = service }, new { serviceId = service } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await Json(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("migrations[1].serviceId", out _), errors.ToString());
        Assert.False(errors.TryGetProperty("migrations[0].serviceId", out _), errors.ToString());
        Assert.Empty(Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task StartBatch_NoMigrations_400NamingMigrations()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);

        using var response = await client.PostAsJsonAsync("/api/v1/migrations:batch", new { migrations = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Json(response)).GetProperty("errors").TryGetProperty("migrations", out _));
    }
}
