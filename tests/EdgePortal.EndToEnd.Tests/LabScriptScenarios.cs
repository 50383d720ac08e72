using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>
/// Issue 9's lab as an operator runs it: <c>./lab.sh up 2</c> (hosts, one agent each, the state service on h1), the
/// portal started with the configuration the script wrote, <c>./lab.sh register</c> adding the lab as an Agent cluster,
/// a migration started through the portal's API moving the real process with real CRIU, <c>up</c> again changing
/// nothing, and <c>down</c> leaving nothing behind. Needs root (namespaces, CRIU): without it the test fails with that
/// reason, it never passes silently.
/// </summary>
[Trait("Category", "CriuLab")]
public sealed class LabScriptScenarios(ITestOutputHelper output)
{
    [Fact]
    public async Task LabScript_UpRegisterMigrateDown_PortalMovesTheRealServiceAndNothingIsLeft()
    {
        Assert.True(Environment.UserName == "root", "The lab needs root (network namespaces, CRIU): run ./test.sh as root.");
        var root = RepositoryRoot.Path;
        var prefix = $"epl{Environment.ProcessId % 100000}";
        var agentPort = FreePortPair();
        var environment = new Dictionary<string, string>
        {
            ["LAB_PREFIX"] = prefix,
            ["LAB_NET"] = "10.241.0",
            ["LAB_AGENT_PORT"] = agentPort.ToString(CultureInfo.InvariantCulture),
            // A tenant the demo edge does not have: register creates it.
            ["LAB_TENANT"] = $"Lab {prefix}",
        };
        PortalProcess? portal = null;
        try
        {
            output.WriteLine(await RunAsync(root, environment, "up", "2"));
            var args = await File.ReadAllLinesAsync($"/run/{prefix}/portal.args");
            portal = await PortalProcess.StartAsync(1, arguments: args);
            environment["LAB_PORTAL"] = portal.BaseAddress.ToString();
            environment["LAB_API_KEY"] = portal.ApiKey;

            var registered = await RunAsync(root, environment, "register");
            Assert.Contains($"registered Agent cluster {prefix}", registered, StringComparison.Ordinal);
            Assert.Contains($"created tenant Lab {prefix}", registered, StringComparison.Ordinal);
            var agents = AgentPids(prefix);
            // Up again: every piece is there already, so nothing is started twice; the registration answers 200.
            var again = await RunAsync(root, environment, "up", "2");
            Assert.DoesNotContain("agent h1 on", again, StringComparison.Ordinal);
            Assert.Contains("(200)", again, StringComparison.Ordinal);
            Assert.DoesNotContain("created tenant", again, StringComparison.Ordinal);
            Assert.Equal(agents, AgentPids(prefix));

            using var api = portal.ApiClient();
            var ready = await api.GetStringAsync("readyz");
            Assert.Contains($"{prefix}: Agent, 2 of 2 agents answering", ready, StringComparison.Ordinal);
            var service = (await api.GetFromJsonAsync<JsonElement>("api/v1/services")).EnumerateArray().Single(s => s.GetProperty("name").GetString() == "lab-state");
            Assert.Equal($"Lab {prefix}", service.GetProperty("tenantName").GetString());
            var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId = service.GetProperty("id").GetGuid(), strategy = "Cold" });
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
            var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var migration = await WaitFinishedAsync(portal, api, id);
            var steps = string.Join("\n", migration.GetProperty("steps").EnumerateArray().Select(s => $"  {s.GetProperty("label")}: {s.GetProperty("status")} — {s.GetProperty("message")}"));
            Assert.True(migration.GetProperty("state").GetString() == "Completed", $"{migration.GetProperty("state")}: {migration.GetProperty("failureReason")}\n{steps}");
            var moved = (await api.GetFromJsonAsync<JsonElement>($"api/v1/services/{service.GetProperty("id").GetGuid()}"));
            Assert.Equal($"{prefix}-h2", moved.GetProperty("nodeName").GetString());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lab-state moved {prefix}-h1 → {prefix}-h2 by the portal with real CRIU: measured downtime {migration.GetProperty("measuredDowntimeMs").GetDouble():0} ms\n{steps}"));
        }
        finally
        {
            if (portal is not null)
                await portal.DisposeAsync();
            output.WriteLine(await RunAsync(root, environment, "down"));
        }
        Assert.False(Directory.Exists($"/run/{prefix}"), $"lab.sh down left /run/{prefix}");
        Assert.False(Directory.Exists($"/var/lib/{prefix}"), $"lab.sh down left /var/lib/{prefix}");
        var namespaces = Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", $"{prefix}-*") : [];
        Assert.Empty(namespaces);
    }

    /// <summary>A base port whose next two (the agents of h1 and h2: base + 1, base + 2) nobody listens on now.</summary>
    private static int FreePortPair()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var basePort = Random.Shared.Next(20_000, 60_000);
            if (Free(basePort + 1) && Free(basePort + 2))
                return basePort;
        }
        throw new InvalidOperationException("No two consecutive free ports found for the lab's agents.");

        static bool Free(int port)
        {
            try
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    private static List<string> AgentPids(string prefix) =>
        [.. Directory.GetFiles($"/run/{prefix}", "agent-h*.pid").Order(StringComparer.Ordinal).Select(File.ReadAllText)];

    /// <summary>
    /// Follows the migration on the portal's hub (<c>/hubs/migrations</c>) until its "finished" event, as an external client
    /// would, then reads it back; a migration already finished when the subscription starts is read at once.
    /// </summary>
    private static async Task<JsonElement> WaitFinishedAsync(PortalProcess portal, HttpClient api, Guid id)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.BaseAddress, "hubs/migrations"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(portal.ApiKey))
            .Build();
        hub.On<JsonElement[]>("MigrationEvents", batch =>
        {
            if (batch.Any(e => e.TryGetProperty("type", out var type) && type.GetString() == "finished"))
                finished.TrySetResult();
        });
        await hub.StartAsync();
        await hub.InvokeAsync("SubscribeMigration", id);
        var migration = await api.GetFromJsonAsync<JsonElement>($"api/v1/migrations/{id}");
        if (migration.GetProperty("state").GetString() is not ("Completed" or "Failed" or "RolledBack" or "Cancelled"))
        {
            try
            {
                await finished.Task.WaitAsync(TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"Migration {id} did not finish within 120 s: {await api.GetStringAsync($"api/v1/migrations/{id}")}");
            }
            migration = await api.GetFromJsonAsync<JsonElement>($"api/v1/migrations/{id}");
        }
        return migration;
    }

    /// <summary>Runs lab.sh with the lab's environment; its output, or a failure with the output when it exits non-zero.</summary>
    private static async Task<string> RunAsync(string root, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Path.Combine(root, "lab.sh")) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"lab.sh {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text;
    }
}
