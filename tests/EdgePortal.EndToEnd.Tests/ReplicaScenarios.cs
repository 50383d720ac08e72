using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>
/// Two replicas of the portal on one PostgreSQL and one Redis (throwaway servers, stopped at the end): a page open on
/// one replica follows, live, a migration the other replica runs.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class ReplicaScenarios(PortalFixture portal)
{
    [Fact]
    public async Task MigrationsPage_OnOneReplica_ShowsAMigrationAnotherReplicaRunsLive()
    {
        await using var postgreSql = await PostgreSqlServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        var options = new PortalProcessOptions
        {
            SpeedFactor = PortalFixture.SpeedFactor,
            ApiKey = PortalProcess.NewApiKey(),
            Environment = PortalProcessOptions.Replicated(postgreSql.CreateDatabase(), redis.Configuration),
        };
        await using var runner = await PortalProcess.StartAsync(options);
        await using var watcher = await PortalProcess.StartAsync(options);
        // Made on one replica, signed in on the other: the account is in the shared store (Production has no demo users).
        var (_, password) = await runner.CreateAccountAsync("skyfleet-operator", "TenantOperator", "SkyFleet Drones");
        var page = await PortalFixture.SignInAsync(await portal.NewPageAsync(watcher), "skyfleet-operator", password, watcher);
        try
        {
            await PortalFixture.GotoAsync(page, "/migrations");
            await page.EvaluateAsync("() => { window.__e2eNoReload = 'kept'; }");
            using var api = runner.ApiClient();
            var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
            var flight = services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "flight-control").GetProperty("id").GetString();

            using var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId = flight, acceptTargetMiss = true });
            Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
            var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

            var row = page.Locator(".migration-row").Filter(new() { Has = page.Locator($"a[href='/migrations/{id}']") });
            await Expect(row).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await Expect(row.Locator(".mud-chip")).ToHaveTextAsync("Completed", new() { Timeout = 30_000 });
            Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__e2eNoReload"));
            await PortalFixture.ScreenshotAsync(page, "replica-migrations-live");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(MigrationsPage_OnOneReplica_ShowsAMigrationAnotherReplicaRunsLive));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
