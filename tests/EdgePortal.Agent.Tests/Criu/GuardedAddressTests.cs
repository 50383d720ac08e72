using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent.Addresses;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>
/// The guard of a service address added ahead of a restore, in a lab host's real nftables: a failed restore keeps it (the
/// address points here without a socket behind it, and a reset would end the client's connection before the rollback
/// moves the address back), and the address leaving ends it.
/// </summary>
[Trait("Category", "CriuLab")]
public sealed class GuardedAddressTests
{
    [Fact]
    public async Task Restore_FailsWhileTheAddressIsGuarded_GuardHeldUntilTheAddressIsRemoved()
    {
        await LabRequirements.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("edgeportal-guard-").FullName;
        await using var lab = await Lab.UpAsync(1, "10.238.0");
        await using var agent = await AgentHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:NetworkNamespace"] = lab.Namespace("h1"),
            ["EdgePortal:Agent:CriuPath"] = await RefusingCriu.WriteAsync(folder, "criu restore refused by the test"),
        });
        Directory.CreateDirectory(Path.Combine(agent.ImageDirectory, "criu", "m-1"));
        using var client = agent.Client();
        var address = $"{lab.Network}.100";

        var added = await client.PostAsJsonAsync("net/addresses/add", new AddressCall { Address = $"{address}/24", Guard = true });
        Assert.True(added.StatusCode == HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
        Assert.Contains(address, await GuardedAsync(lab));

        var restore = await client.PostAsJsonAsync("criu/images/m-1/restore", new CriuRestoreCall());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, restore.StatusCode);
        Assert.Contains(address, await GuardedAsync(lab));

        var removed = await client.PostAsJsonAsync("net/addresses/remove", new AddressCall { Address = $"{address}/24" });
        Assert.True(removed.StatusCode == HttpStatusCode.OK, await removed.Content.ReadAsStringAsync());
        Assert.DoesNotContain(address, await GuardedAsync(lab));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Add_SameAddressGuardedTwice_OneRuleAndTheAddressOnce()
    {
        await LabRequirements.EnsureAsync();
        await using var lab = await Lab.UpAsync(1, "10.239.0");
        await using var agent = await AgentHost.StartAsync(settings: new Dictionary<string, string?> { ["EdgePortal:Agent:NetworkNamespace"] = lab.Namespace("h1") });
        using var client = agent.Client();
        var address = $"{lab.Network}.100";

        for (var i = 0; i < 2; i++)
        {
            var added = await client.PostAsJsonAsync("net/addresses/add", new AddressCall { Address = $"{address}/24", Guard = true });
            Assert.True(added.StatusCode == HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
        }

        var table = await Lab.RunAsync("nsenter", [$"--net={lab.Namespace("h1")}", "--", "nft", "list", "table", "inet", HostNetwork.GuardTable]);
        Assert.Single(table.Split('\n'), l => l.Contains("drop", StringComparison.Ordinal));
        Assert.Equal([address], await GuardedAsync(lab));
    }

    /// <summary>The addresses in the guard's set in h1's namespace; none when there is no guard table.</summary>
    private static async Task<IReadOnlyList<string>> GuardedAsync(Lab lab)
    {
        string listed;
        try
        {
            listed = await Lab.RunAsync("nsenter", [$"--net={lab.Namespace("h1")}", "--", "nft", "-j", "list", "set", "inet", HostNetwork.GuardTable, HostNetwork.GuardSet]);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return [];
        }
        using var json = System.Text.Json.JsonDocument.Parse(listed);
        return [.. json.RootElement.GetProperty("nftables").EnumerateArray()
            .Where(e => e.TryGetProperty("set", out _))
            .SelectMany(e => e.GetProperty("set").TryGetProperty("elem", out var elem) ? elem.EnumerateArray().Select(a => a.GetString()!) : [])];
    }
}
