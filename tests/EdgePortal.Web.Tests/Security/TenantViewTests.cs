using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Inventory;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Plan previews and the edge's views through <see cref="Web.Security.TenantView"/> (issue 14 item 7): ARena Play may use
/// two of the three demo clusters, so a preview of its service leaves torino-nord's nodes out (names, ids and how many),
/// while the provider sees them with the reason. The same filter serves the API and the pages.
/// </summary>
public sealed class TenantViewTests(SecuredPortal portal) : IClassFixture<SecuredPortal>
{
    private IInventoryRepository Inventory => portal.Factory.Services.GetRequiredService<IInventoryRepository>();

    private IReadOnlyList<EdgeNode> Nord => [.. Inventory.Nodes().Where(n => n.ClusterId == Inventory.Clusters().Single(c => c.Name == "torino-nord").Id)];

    private ServiceId Leaderboard => Inventory.Services().Single(s => s.Name == "leaderboard").Id;

    private async Task<string> PlanAsync(string key, object body)
    {
        using var client = portal.WithKey(key);
        using var response = await client.PostAsJsonAsync($"/api/v1/services/{Leaderboard}/plan", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task PlanPreview_TenantPrincipal_NamesNoNodeOfAClusterItMayNotUse()
    {
        var asTenant = await PlanAsync(portal.ArenaAdminKey, new { });
        var asProvider = await PlanAsync(PortalFactory.BootstrapKey, new { });

        Assert.NotEmpty(Nord);
        Assert.All(Nord, n => Assert.DoesNotContain(n.Name, asTenant, StringComparison.Ordinal));
        Assert.All(Nord, n => Assert.DoesNotContain(n.Id.ToString(), asTenant, StringComparison.Ordinal));
        Assert.Contains(Nord, n => asProvider.Contains(n.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PlanPreview_DestinationInAClusterItMayNotUse_ReadsLikeAnUnknownNode()
    {
        var nord = Nord[0];

        var asTenant = JsonDocument.Parse(await PlanAsync(portal.ArenaAdminKey, new { destinationNodeId = nord.Id.Value })).RootElement;
        var asProvider = JsonDocument.Parse(await PlanAsync(PortalFactory.BootstrapKey, new { destinationNodeId = nord.Id.Value })).RootElement;

        Assert.Equal($"leaderboard: the requested destination {nord.Id} is not in the topology.", asTenant.GetProperty("summary").GetString());
        Assert.Contains("not allotted to the tenant", asProvider.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Topology_TenantViewer_HasOnlyItsClustersItsServicesAndOnlyThoseCounted()
    {
        var reader = portal.Factory.Services.GetRequiredService<InventoryReader>();
        var arena = Inventory.FindTenant(DemoEdge.ArenaPlay)!;

        var topology = reader.Topology(arena.Id);

        Assert.Equal(arena.AllowedClusters.Select(c => c.Value).Order(), topology.Clusters.Select(c => c.Id.Value).Order());
        Assert.All(topology.Services, s => Assert.Equal(arena.Id, s.TenantId));
        Assert.Equal(Inventory.Services(arena.Id).Count, topology.Clusters.SelectMany(c => c.Nodes).Sum(n => n.Services));
        Assert.All(topology.UserGroups, g => Assert.Contains(topology.Services, s => s.Id == g.ServiceId));
        Assert.Equal(reader.Clusters(arena.Id).Select(c => c.Id), topology.Clusters.Select(c => c.Id));
    }

    [Fact]
    public void InventoryNames_TenantViewer_OffersOnlyItsTenantAndClusters()
    {
        var names = Web.Components.Migrations.InventoryNames.Read(Inventory, DemoEdge.ArenaPlay);
        var arena = Inventory.FindTenant(DemoEdge.ArenaPlay)!;

        Assert.Equal([arena.Name], names.Tenants.Select(t => t.Value));
        Assert.Equal(arena.AllowedClusters.Select(c => c.Value).Order(), names.Clusters.Select(c => c.Key.Value).Order());
        Assert.Equal(Nord[0].Id.Value.ToString("N")[..8], names.Node(Nord[0].Id));
    }
}
