using System.Net;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>/readyz probes every cluster through its runtime.</summary>
public sealed class ReadinessTests : PortalTest
{

    [Fact]
    public async Task Readyz_AllClustersAnswer_RuntimesCheckIsHealthyAndNamesEachCluster()
    {
        var (status, runtimes) = await Readyz();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", runtimes.GetProperty("status").GetString());
        var description = runtimes.GetProperty("description").GetString()!;
        Assert.Contains("torino-centro: Simulated edge", description);
        Assert.Contains("torino-nord", description);
        Assert.Contains("torino-lingotto", description);
    }

    [Fact]
    public async Task Readyz_OneClusterWhollyDown_IsDegradedButStillReady()
    {
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var edge = Factory.Services.GetRequiredService<SimulatedEdge>();
        var nord = inventory.Clusters().Single(c => c.Name == "torino-nord");
        foreach (var node in inventory.Nodes().Where(n => n.ClusterId == nord.Id))
            edge.SetNodeDown(node.Id, true);

        var (status, runtimes) = await Readyz();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Degraded", runtimes.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_EveryClusterDown_IsUnhealthyAndNotReady()
    {
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var edge = Factory.Services.GetRequiredService<SimulatedEdge>();
        foreach (var node in inventory.Nodes())
            edge.SetNodeDown(node.Id, true);

        var (status, runtimes) = await Readyz();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", runtimes.GetProperty("status").GetString());
    }

    private async Task<(HttpStatusCode Status, JsonElement Runtimes)> Readyz()
    {
        var response = await Client.GetAsync("/readyz");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.GetProperty("checks").GetProperty("runtimes").Clone());
    }
}
