using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>Another tenant's user sees nothing of SkyFleet: not in lists, not through a direct link; the provider admin onboards a tenant.</summary>
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

        var page = await portal.SignInAsync("arena-viewer");
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

    [Fact]
    public async Task ProviderAdmin_NewTenant_CreatedGivenAClusterAndANameTakenTwiceIsRefused()
    {
        var page = await portal.SignInAsync("admin");
        try
        {
            await PortalFixture.GotoAsync(page, "/tenants");
            await page.Locator("#new-tenant-name").FillAsync("Harbour Drones");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create tenant" }).ClickAsync();

            await Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "Created the tenant Harbour Drones" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Harbour Drones", Exact = true })).ToBeVisibleAsync();

            // Its first cluster, from the row's select, saved.
            await page.GetByLabel("Allowed clusters of Harbour Drones").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "torino-centro", Exact = true }).ClickAsync();
            await page.Keyboard.PressAsync("Escape");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save Harbour Drones" }).ClickAsync();
            await Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "Saved Harbour Drones." })).ToBeVisibleAsync();
            using var api = portal.Portal.ApiClient();
            var tenants = await api.GetFromJsonAsync<JsonElement>("api/v1/tenants");
            var harbour = tenants.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "Harbour Drones");
            Assert.Equal(1, harbour.GetProperty("allowedClusters").GetArrayLength());
            await PortalFixture.ScreenshotAsync(page, "tenants");

            await page.Locator("#new-tenant-name").FillAsync("harbour drones");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create tenant" }).ClickAsync();
            await Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "name: A tenant named 'Harbour Drones' exists already." })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "Harbour Drones", Exact = true })).ToHaveCountAsync(1);
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(ProviderAdmin_NewTenant_CreatedGivenAClusterAndANameTakenTwiceIsRefused));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
