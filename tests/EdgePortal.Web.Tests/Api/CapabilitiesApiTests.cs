using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Security;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Api;

/// <summary>
/// <c>GET /api/v1/capabilities</c> on a portal with the demo edge: what each cluster's runtime can do as the capability
/// catalog last probed it, with the probe's time and age; a tenant sees its own clusters only, without the runtime's words.
/// (Who may call it at all is in <see cref="Security.AuthorizationMatrixTests"/>.)
/// </summary>
public sealed class CapabilitiesApiTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private RuntimeCapabilityCatalog Catalog => _portal.Factory.Services.GetRequiredService<RuntimeCapabilityCatalog>();

    [Fact]
    public async Task List_Provider_EveryClusterWithTheSimulatedRuntimesCapabilitiesAndTheProbesAge()
    {
        await Catalog.RefreshAllAsync();
        using var admin = _portal.As(PortalRoles.ProviderAdmin);

        var response = await admin.GetAsync("/api/v1/capabilities");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clusters = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        Assert.Equal(_demo.Clusters.Select(c => c.Name).Order(StringComparer.Ordinal), clusters.Select(c => c.GetProperty("cluster").GetString()));
        foreach (var cluster in clusters)
        {
            Assert.Equal("Simulated", cluster.GetProperty("kind").GetString());
            Assert.True(cluster.GetProperty("reachable").GetBoolean());
            Assert.InRange(cluster.GetProperty("ageSeconds").GetDouble(), 0, 600);
            Assert.False(cluster.GetProperty("stale").GetBoolean());
            Assert.Equal(Catalog.Find(ClusterId.From(cluster.GetProperty("clusterId").GetGuid()))!.ProbedAt, cluster.GetProperty("probedAt").GetDateTimeOffset());
            var can = cluster.GetProperty("capabilities");
            Assert.Equal(Enum.GetNames<MigrationStrategy>(), can.GetProperty("strategies").EnumerateArray().Select(s => s.GetString()));
            Assert.True(can.GetProperty("dirtyTracking").GetBoolean());
            Assert.True(can.GetProperty("replayBroker").GetBoolean());
            Assert.Equal(["Model"], can.GetProperty("transferPaths").EnumerateArray().Select(s => s.GetString()));
            Assert.StartsWith("model: speed ×", can.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("Simulated edge", cluster.GetProperty("summary").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task List_Tenant_OnlyItsClustersAndNotTheRuntimesWords()
    {
        await Catalog.RefreshAllAsync();
        var arena = _demo.Tenants.Single(t => t.Id == DemoEdge.ArenaPlay);
        using var client = _portal.WithKey(_portal.ArenaAdminKey);

        var clusters = (await client.GetFromJsonAsync<JsonElement>("/api/v1/capabilities")).EnumerateArray().ToList();

        Assert.Equal(arena.AllowedClusters.Select(c => c.Value).Order(), clusters.Select(c => c.GetProperty("clusterId").GetGuid()).Order());
        Assert.All(clusters, c =>
        {
            Assert.NotEmpty(c.GetProperty("capabilities").GetProperty("strategies").EnumerateArray());
            Assert.Equal(JsonValueKind.Null, c.GetProperty("summary").ValueKind);
            Assert.Equal(JsonValueKind.Null, c.GetProperty("capabilities").GetProperty("detail").ValueKind);
        });
    }
}
