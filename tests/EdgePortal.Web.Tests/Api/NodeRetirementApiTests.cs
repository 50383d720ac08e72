using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Api;

/// <summary><c>DELETE /api/v1/nodes/{id}</c> on a real portal and LiteDB file: a provider decommissions a host of a registered cluster.</summary>
public sealed class NodeRetirementApiTests : PortalTest
{
    /// <summary>Two hosts on one link; a service on h1 whose users attach at h2.</summary>
    private static JsonObject Pair() => JsonNode.Parse("""
        {
          "kind": "Agent",
          "region": "Retire lab",
          "nodes": [
            { "name": "rt-h1", "cpuMillicores": 2000, "memoryBytes": 4000000000, "latitude": 45.07, "longitude": 7.68 },
            { "name": "rt-h2", "cpuMillicores": 2000, "memoryBytes": 4000000000, "latitude": 45.08, "longitude": 7.69 }
          ],
          "links": [ { "from": "rt-h1", "to": "rt-h2", "bandwidthBitsPerSecond": 1e9, "latencyMs": 0.5 } ],
          "tenants": [ "SkyFleet Drones" ],
          "services": [
            { "name": "rt-service", "tenant": "SkyFleet Drones", "node": "rt-h1", "stateBytes": 10485760, "dirtyPagesPerSecond": 10,
              "maxDowntimeMs": 2000, "maxMigrationTimeMs": 10000, "maxUserLatencyMs": 50,
              "users": [ { "name": "rt users", "attachedTo": "rt-h2", "count": 3 } ] }
          ]
        }
        """)!.AsObject();

    private IInventoryRepository Inventory => Factory.Services.GetRequiredService<IInventoryRepository>();

    private NodeId Node(string name) => Inventory.Nodes().Single(n => n.Name == name).Id;

    private async Task<JsonElement> ClusterView()
        => (await Client.GetFromJsonAsync<JsonElement>("/api/v1/clusters")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == "retire-lab");

    [Fact]
    public async Task DeleteNode_ReadyThenDrained_RefusedNamingWhyThenRetiredAndGoneFromTheEdge()
    {
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsJsonAsync("/api/v1/clusters/retire-lab", Pair())).StatusCode);
        var h2 = Node("rt-h2");

        var refused = await Client.DeleteAsync($"/api/v1/nodes/{h2}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("rt-h2 is Ready: drain it first", Assert.Single(problem.GetProperty("blockers").EnumerateArray()).GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/v1/nodes/{h2}/drain", null)).StatusCode);
        var retired = await Client.DeleteAsync($"/api/v1/nodes/{h2}");

        Assert.Equal(HttpStatusCode.OK, retired.StatusCode);
        var body = await retired.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Retired rt-h2; 1 user group(s) now attach at rt-h1.", body.GetProperty("summary").GetString());
        var cluster = await ClusterView();
        Assert.Equal(["rt-h1"], cluster.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()));
        Assert.Empty(cluster.GetProperty("links").EnumerateArray());
        Assert.Equal(Node("rt-h1"), Inventory.UserGroups().Single(g => g.Name == "rt users").AttachedTo);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.DeleteAsync($"/api/v1/nodes/{h2}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.PostAsync($"/api/v1/nodes/{h2}/drain", null)).StatusCode);
        var schedule = await Client.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "drain rt-h2", kind = "Cron", cron = "0 0 3 * * ?", timeZone = "UTC", target = new { kind = "Node", nodeId = h2.Value },
        });
        Assert.Equal(HttpStatusCode.BadRequest, schedule.StatusCode);
        Assert.Contains("target.nodeId", await schedule.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var audit = await Client.GetStringAsync("/api/v1/audit?action=node.retire");
        Assert.Contains("Retired rt-h2; 1 user group(s) now attach at rt-h1.", audit, StringComparison.Ordinal);
        Assert.Contains("rt-h2 is Ready: drain it first", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteNode_RetiredThenRegisteredAgain_ComesBackReadyWithItsLinkAndId()
    {
        Assert.Equal(HttpStatusCode.Created, (await Client.PutAsJsonAsync("/api/v1/clusters/retire-lab", Pair())).StatusCode);
        var h2 = Node("rt-h2");
        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/v1/nodes/{h2}/drain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.DeleteAsync($"/api/v1/nodes/{h2}")).StatusCode);
        // A body that names the retired node only as a link's end or a user's site is refused: it is no longer part of the edge.
        var without = Pair();
        without["nodes"] = new JsonArray(without["nodes"]![0]!.DeepClone());
        var refused = await Client.PutAsJsonAsync("/api/v1/clusters/retire-lab", without);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("links[0].to", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var again = await Client.PutAsJsonAsync("/api/v1/clusters/retire-lab", Pair());

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(h2, Node("rt-h2"));
        Assert.Equal(NodeStatus.Ready, Inventory.FindNode(h2)!.Status);
        var cluster = await ClusterView();
        Assert.Equal(["rt-h1", "rt-h2"], cluster.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()));
        Assert.Single(cluster.GetProperty("links").EnumerateArray());
        Assert.Equal(h2, Inventory.UserGroups().Single(g => g.Name == "rt users").AttachedTo);
    }

    [Fact]
    public async Task DeleteNode_UnknownId_Is404ProblemDetails()
    {
        var response = await Client.DeleteAsync($"/api/v1/nodes/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
