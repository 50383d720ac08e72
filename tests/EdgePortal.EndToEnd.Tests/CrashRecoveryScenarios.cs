using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>
/// Chaos on the simulated edge: a real portal process (its own LiteDB file, the simulator) is SIGKILLed while step k of a
/// migration runs, for every step of every strategy, and started again on the same database. After each restart the
/// migration must end Completed (resumed) or RolledBack, never Failed or stuck, and the service must exist exactly once:
/// on the destination when Completed, on its source when RolledBack, with no other migration of it left in flight.
/// </summary>
public sealed class CrashRecoveryScenarios(ITestOutputHelper output)
{
    /// <summary>Slower than the other scenarios, so that even the shortest step is seen running before the kill.</summary>
    private const double SpeedFactor = 0.5;

    public static TheoryData<string, string> Strategies => new()
    {
        { "Cold", "flight-control" },
        { "PreCopy", "flight-control" },
        { "IterativePreCopy", "flight-control" },
        { "MessageReplay", "telemetry-ingest" },
        { "ReplayWithCutoff", "telemetry-ingest" },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public async Task Portal_KilledDuringEveryStep_MigrationEndsCompletedOrRolledBackAndTheServiceRunsOnce(string strategy, string serviceName)
    {
        var data = Directory.CreateTempSubdirectory("edgeportal-chaos-").FullName;
        var options = new PortalProcessOptions
        {
            SpeedFactor = SpeedFactor,
            ApiKey = PortalProcess.NewApiKey(),
            Environment = new Dictionary<string, string> { ["EdgePortal__Storage__Path"] = Path.Combine(data, "edgeportal.db") },
        };
        var portal = await PortalProcess.StartAsync(options);
        try
        {
            var service = await ServiceIdAsync(portal, serviceName);
            var steps = int.MaxValue;
            var caughtRunning = 0;
            for (var k = 0; k < steps; k++)
            {
                using var api = portal.ApiClient();
                var before = await ServiceNodeAsync(api, service);
                var (id, count) = await StartAsync(api, service, strategy, k);
                steps = count;

                var at = await PortalChaos.WaitForStepAsync(api, id, k);
                portal.Kill();
                var hit = at.Label;
                caughtRunning += at.Running ? 1 : 0;
                await portal.DisposeAsync();
                portal = await PortalProcess.StartAsync(options);
                using var after = portal.ApiClient();
                var finished = await PortalChaos.FinishedAsync(after, id);

                var state = finished.GetProperty("state").GetString();
                output.WriteLine($"{strategy}: killed during step {k} ({hit}); after restart: {state} — {(finished.TryGetProperty("failureReason", out var why) ? why : "")}");
                Assert.True(state is "Completed" or "RolledBack", $"{strategy}, kill in step {k} ({hit}): ended {state}: {finished}");
                var node = await ServiceNodeAsync(after, service);
                Assert.Equal(state == "Completed" ? finished.GetProperty("destination").GetString() : before, node);
                var open = await after.GetFromJsonAsync<JsonElement>($"api/v1/migrations?service={service}&state=Queued,Running,RollingBack");
                Assert.Equal(0, open.GetArrayLength());
            }
            // A step of a few milliseconds can end between two polls: the kill then lands right after it, a crash point the
            // resume table covers as well. Most steps must still be caught running, or this would not test kills in steps.
            Assert.True(caughtRunning * 2 >= steps, $"{strategy}: only {caughtRunning} of {steps} steps were caught running");
        }
        finally
        {
            await portal.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<string> ServiceIdAsync(PortalProcess portal, string name)
    {
        using var api = portal.ApiClient();
        var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
        return services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
    }

    /// <summary>The node the service runs on; the list must hold it exactly once.</summary>
    private static async Task<string> ServiceNodeAsync(HttpClient api, string service)
    {
        var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
        return services.EnumerateArray().Single(s => s.GetProperty("id").GetString() == service).GetProperty("nodeId").GetString()!;
    }

    private static async Task<(string Id, int Steps)> StartAsync(HttpClient api, string service, string strategy, int k)
    {
        using var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId = service, strategy, iterations = strategy == "IterativePreCopy" ? 2 : (int?)null, acceptTargetMiss = true });
        var body = await started.Content.ReadAsStringAsync();
        Assert.True(started.IsSuccessStatusCode, $"{strategy}, step {k}: {(int)started.StatusCode} {body}");
        var migration = JsonDocument.Parse(body).RootElement;
        return (migration.GetProperty("id").GetString()!, migration.GetProperty("steps").GetArrayLength());
    }
}
