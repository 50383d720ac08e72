using System.Net;
using System.Text.Json;
using EdgePortal.Core.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>Start-up behaviour: configuration, seeding and what survives a restart. Each test starts its own host.</summary>
public sealed class PortalStartupTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Start_StoragePathEmpty_ThrowsOptionsValidationExceptionNamingTheKey()
    {
        await using var factory = new PortalFactory("");

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("EdgePortal:Storage:Path", error.Message);
    }

    [Fact]
    public async Task Start_SeedingOff_ServicesApiReturnsEmptyArray()
    {
        await using var factory = new PortalFactory(_folder.File("empty.db"), new Dictionary<string, string?> { ["EdgePortal:Seed:DemoEdge"] = "false" });
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
        Assert.Equal("[]", await client.GetStringAsync("/api/v1/clusters"));
    }

    [Fact]
    public async Task Start_SameFileAfterRestart_KeepsServicesAndTheirChanges()
    {
        var path = _folder.File("portal.db");
        List<Guid> before;
        NodeId movedTo;
        await using (var first = new PortalFactory(path))
        {
            using var client = first.CreateClient();
            before = ServiceIds(await client.GetStringAsync("/api/v1/services"));
            Assert.Equal(10, before.Count);
            // A change that seeding could not reproduce: flight-control moved to another node.
            var inventory = first.Services.GetRequiredService<IInventoryRepository>();
            var service = inventory.Services().Single(s => s.Name == "flight-control");
            movedTo = inventory.Nodes().Single(n => n.Name == "centro-porta-nuova").Id;
            inventory.Save(service.MovedTo(movedTo));
        }

        // Seeding off: whatever the second host serves was read from the file.
        await using var second = new PortalFactory(path, new Dictionary<string, string?> { ["EdgePortal:Seed:DemoEdge"] = "false" });
        using var client2 = second.CreateClient();
        var json = await client2.GetStringAsync("/api/v1/services");

        Assert.Equal(before.Order(), ServiceIds(json).Order());
        using var document = JsonDocument.Parse(json);
        var flightControl = document.RootElement.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "flight-control");
        Assert.Equal(movedTo.Value, flightControl.GetProperty("nodeId").GetGuid());
        Assert.Equal("centro-porta-nuova", flightControl.GetProperty("nodeName").GetString());
    }

    private static List<Guid> ServiceIds(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.EnumerateArray().Select(s => s.GetProperty("id").GetGuid())];
    }
}
