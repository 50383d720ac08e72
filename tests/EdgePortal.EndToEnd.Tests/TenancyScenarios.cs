using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>Another tenant's user sees nothing of SkyFleet: not in lists, not through a direct link.</summary>
[Collection(PortalCollection.Name)]
public sealed class TenancyScenarios(PortalFixture portal)
{
    [Fact]
    public async Task ArenaViewer_SkyFleetServicesAndMigrations_NotListedAndDirectLinksNotFound()
    {
        // Arrange through the API (not what this scenario is about): one SkyFleet migration exists.
        using var api = portal.Portal.ApiClient();
        var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
        var geofence = services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "geofence-cache").GetProperty("id").GetString();
        using var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId = geofence, acceptTargetMiss = true });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        var migrationId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var page = await portal.SignInAsync("arena-viewer", "arena-demo-1");
        try
        {
            await PortalFixture.GotoAsync(page, "/services");
            await Expect(page.GetByRole(AriaRole.Link, new() { Name = "match-state", Exact = true })).ToBeVisibleAsync();
            foreach (var skyfleet in new[] { "geofence-cache", "flight-control", "video-analytics" })
                await Expect(page.GetByRole(AriaRole.Link, new() { Name = skyfleet, Exact = true })).ToHaveCountAsync(0);
            await Expect(page.Locator(".mud-main-content")).Not.ToContainTextAsync("SkyFleet");

            await PortalFixture.GotoAsync(page, "/migrations");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Migrations", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator(".mud-main-content")).Not.ToContainTextAsync("geofence-cache");

            await PortalFixture.GotoAsync(page, $"/migrations/{migrationId}");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Migration not found", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator(".mud-main-content")).Not.ToContainTextAsync("geofence-cache");

            await PortalFixture.GotoAsync(page, $"/services/{geofence}");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Service not found", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Migrate geofence-cache…" })).ToHaveCountAsync(0);
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(ArenaViewer_SkyFleetServicesAndMigrations_NotListedAndDirectLinksNotFound));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
