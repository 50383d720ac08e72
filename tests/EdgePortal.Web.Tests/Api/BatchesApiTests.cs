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
/// <c>GET /api/v1/batches/{id}</c>: the migrations a batch call started carry its id, and the batch answers with every one
/// of them (predicted and actual windows, misses) and the load their plans put on the links they cross; a tenant sees only
/// its own migrations of a batch, and a batch with none of them is 404 like an unknown id.
/// </summary>
public sealed class BatchesApiTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private IMigrationRepository Migrations => _portal.Factory.Services.GetRequiredService<IMigrationRepository>();

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Starts a batch of two Sky Fleet services and one Arena Play service as the provider; returns its id.</summary>
    private async Task<(Guid Batch, List<ServiceInstance> Services)> StartMixedBatch()
    {
        using var provider = _portal.As(PortalRoles.ProviderOperator);
        List<ServiceInstance> services = [.. _demo.Services.Where(s => s.TenantId == DemoEdge.SkyFleet).Take(2), _demo.Services.First(s => s.TenantId == DemoEdge.ArenaPlay)];
        using var response = await provider.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = services.Select(s => new { serviceId = s.Id.Value, acceptTargetMiss = true }).ToArray(),
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var batchIds = (await Json(response)).EnumerateArray().Select(i => i.GetProperty("migration").GetProperty("batchId").GetGuid()).Distinct().ToList();
        return (Assert.Single(batchIds), services);
    }

    [Fact]
    public async Task GetBatch_ProviderAfterABatchCall_AnswersEveryMigrationWithItsWindowsAndTheLinksLoad()
    {
        var (batch, services) = await StartMixedBatch();
        using var provider = _portal.As(PortalRoles.ProviderOperator);

        using var response = await provider.GetAsync($"/api/v1/batches/{batch}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Json(response);
        Assert.Equal(batch, body.GetProperty("id").GetGuid());
        var migrations = body.GetProperty("migrations").EnumerateArray().ToList();
        Assert.Equal(services.Select(s => s.Id.Value).Order(), migrations.Select(m => m.GetProperty("serviceId").GetGuid()).Order());
        Assert.All(migrations, m => Assert.True(m.GetProperty("predictedEnd").GetDateTimeOffset() >= m.GetProperty("predictedStart").GetDateTimeOffset()));
        Assert.All(migrations, m => Assert.Equal(JsonValueKind.Array, m.GetProperty("misses").ValueKind));
        var links = body.GetProperty("links").EnumerateArray().ToList();
        Assert.NotEmpty(links);
        Assert.All(links, l => Assert.True(l.GetProperty("capacityBitsPerSecond").GetDouble() > 0));
        Assert.Contains(links, l => l.GetProperty("peakBitsPerSecond").GetDouble() > 0);
        Assert.All(Migrations.List(new MigrationQuery(Limit: 10)), m => Assert.Equal(batch, m.BatchId?.Value));
    }

    [Fact]
    public async Task GetBatch_TenantOfPartOfTheBatch_SeesOnlyItsOwnMigrations()
    {
        var (batch, services) = await StartMixedBatch();
        using var sky = _portal.As(PortalRoles.Viewer);

        using var response = await sky.GetAsync($"/api/v1/batches/{batch}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var ids = JsonDocument.Parse(text).RootElement.GetProperty("migrations").EnumerateArray().Select(m => m.GetProperty("serviceId").GetGuid()).Order();
        Assert.Equal(services.Where(s => s.TenantId == DemoEdge.SkyFleet).Select(s => s.Id.Value).Order(), ids);
        Assert.DoesNotContain(services[2].Name, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetBatch_AnotherTenantsBatch_Is404LikeAnUnknownId()
    {
        using var provider = _portal.As(PortalRoles.ProviderOperator);
        var arena = _demo.Services.Where(s => s.TenantId == DemoEdge.ArenaPlay).Take(2).ToList();
        using var started = await provider.PostAsJsonAsync("/api/v1/migrations:batch", new
        {
            migrations = arena.Select(s => new { serviceId = s.Id.Value, acceptTargetMiss = true }).ToArray(),
        });
        var batch = (await Json(started)).EnumerateArray().First().GetProperty("migration").GetProperty("batchId").GetGuid();
        using var sky = _portal.As(PortalRoles.Viewer);

        using var theirs = await sky.GetAsync($"/api/v1/batches/{batch}");
        using var unknown = await sky.GetAsync($"/api/v1/batches/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal((await Json(unknown)).GetProperty("title").GetString(), (await Json(theirs)).GetProperty("title").GetString());
    }
}
