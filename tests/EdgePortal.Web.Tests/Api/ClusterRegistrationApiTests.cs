using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Api;

/// <summary><c>PUT /api/v1/clusters/{name}</c> on a real portal and LiteDB file: what lab.sh register sends for the CRIU lab.</summary>
public sealed class ClusterRegistrationApiTests : PortalTest
{

    /// <summary>The lab of lab.sh up 2: two agent hosts on a 1 Gbit/s link, and a 10 MB state service on h1 for SkyFleet.</summary>
    private static JsonObject Lab() => JsonNode.Parse("""
        {
          "kind": "Agent",
          "region": "CRIU lab",
          "nodes": [
            { "name": "lab-h1", "site": "lab host 1", "cpuMillicores": 2000, "memoryBytes": 4000000000, "latitude": 45.07, "longitude": 7.68, "hostClass": "criu-lab" },
            { "name": "lab-h2", "site": "lab host 2", "cpuMillicores": 2000, "memoryBytes": 4000000000, "latitude": 45.08, "longitude": 7.69, "hostClass": "criu-lab" }
          ],
          "links": [ { "from": "lab-h1", "to": "lab-h2", "bandwidthBitsPerSecond": 1e9, "latencyMs": 0.1 } ],
          "tenants": [ "SkyFleet Drones" ],
          "services": [
            { "name": "stateservice", "tenant": "SkyFleet Drones", "node": "lab-h1", "stateBytes": 10485760, "dirtyPagesPerSecond": 1000,
              "maxDowntimeMs": 2000, "maxMigrationTimeMs": 10000, "maxUserLatencyMs": 50,
              "users": [ { "name": "lab client", "attachedTo": "lab-h2", "count": 1 } ] }
          ]
        }
        """)!.AsObject();

    [Fact]
    public async Task Register_LabAgentCluster_Returns201AndTheServiceIsPlannedOntoIt()
    {
        var response = await Client.PutAsJsonAsync("/api/v1/clusters/lab", Lab());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(result.GetProperty("created").GetBoolean());
        Assert.Equal(2, result.GetProperty("nodes").GetInt32());
        Assert.Equal(["SkyFleet Drones"], result.GetProperty("tenantsGranted").EnumerateArray().Select(t => t.GetString()));
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var cluster = Assert.Single(inventory.Clusters(), c => c.Name == "lab");
        Assert.Equal(ClusterKind.Agent, cluster.Kind);
        Assert.True(inventory.FindTenant(DemoEdge.SkyFleet)!.MayUse(cluster.Id));
        var service = Assert.Single(inventory.Services(DemoEdge.SkyFleet), s => s.Name == "stateservice");
        Assert.Equal("lab-h1", inventory.FindNode(service.NodeId)!.Name);
        Assert.Equal("criu-lab", inventory.FindNode(service.NodeId)!.HostClass);

        // Its users sit at h2: the designer moves it there, over the registered link.
        var plan = await Client.PostAsJsonAsync($"/api/v1/services/{service.Id}/plan", new { });
        Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        var body = await plan.Content.ReadAsStringAsync();
        var destination = inventory.Nodes().Single(n => n.Name == "lab-h2").Id.Value.ToString();
        Assert.Contains(destination, body, StringComparison.Ordinal);
        var audit = await Client.GetStringAsync("/api/v1/audit?action=cluster.register");
        Assert.Contains("cluster lab", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_SameBodyTwice_SecondAnswers200AndChangesNothing()
    {
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsJsonAsync("/api/v1/clusters/lab", Lab())).StatusCode);
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var before = (inventory.Clusters().Count, inventory.Nodes().Count, inventory.Links().Count, inventory.Services().Count, inventory.UserGroups().Count,
            Ids: string.Join(",", inventory.Nodes().Select(n => n.Id.Value).Concat(inventory.Services().Select(s => s.Id.Value)).Order()));

        var again = await Client.PutAsJsonAsync("/api/v1/clusters/lab", Lab());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetBoolean());
        var after = (inventory.Clusters().Count, inventory.Nodes().Count, inventory.Links().Count, inventory.Services().Count, inventory.UserGroups().Count,
            Ids: string.Join(",", inventory.Nodes().Select(n => n.Id.Value).Concat(inventory.Services().Select(s => s.Id.Value)).Order()));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Register_BadFields_Returns400NamingEachAndStoresNothing()
    {
        var body = Lab();
        body["kind"] = "Docker";
        body["nodes"]![1]!["cpuMillicores"] = null;
        body["links"]![0]!["to"] = "nowhere";
        body["services"]![0]!["tenant"] = "Nobody";
        body["services"]![0]!["users"]![0]!["count"] = 0;

        var response = await Client.PutAsJsonAsync("/api/v1/clusters/lab", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        foreach (var field in new[] { "kind", "nodes[1].cpuMillicores", "links[0].to", "services[0].tenant", "services[0].users[0].count" })
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {errors}");
        Assert.DoesNotContain(Factory.Services.GetRequiredService<IInventoryRepository>().Clusters(), c => c.Name == "lab");
    }

    [Fact]
    public async Task Register_ExistingClusterAsAnotherKind_Returns400NamingKind()
    {
        var centro = DemoEdge.Build().Clusters.First();
        var body = Lab();
        body.Remove("services");

        var response = await Client.PutAsJsonAsync($"/api/v1/clusters/{Uri.EscapeDataString(centro.Name)}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("cannot change", errors.GetProperty("kind")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_AsTenantAdmin_Returns403()
    {
        var key = await Client.PostAsJsonAsync("/api/v1/keys", new { name = "sky admin", role = "TenantAdmin", tenantId = DemoEdge.SkyFleet.Value });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        using var tenant = PortalFactory.Authorize(Factory.CreateClient(), (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());

        var response = await tenant.PutAsJsonAsync("/api/v1/clusters/lab", Lab());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
