using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>
/// Issue 14 in a real browser: a tenant's pages name nothing of other tenants or of clusters it was not given (checked
/// against the portal's own data, read through the API), a deleted user's open circuit and hub connection lose access
/// within a minute, and the pages work under the Content-Security-Policy without a single violation.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class SecurityScenarios(PortalFixture portal)
{
    private const string Tenant = "Leakcheck Logistics";

    private static readonly SemaphoreSlim ArrangeGate = new(1, 1);
    private static bool _arranged;

    /// <summary>
    /// Once: a tenant with a cluster of its own (two nodes and a link) and a service there, a viewer and an operator of it.
    /// Every other tenant, service, cluster and node is then something its people must never see.
    /// </summary>
    private async Task ArrangeTenantAsync()
    {
        await ArrangeGate.WaitAsync();
        try
        {
            if (_arranged)
                return;
            using var api = portal.Portal.ApiClient();
            using (var created = await api.PostAsJsonAsync("api/v1/tenants", new { name = Tenant, allowedClusters = Array.Empty<Guid>() }))
                Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
            using (var registered = await api.PutAsJsonAsync("api/v1/clusters/leakcheck-edge", new
            {
                kind = "Simulated",
                region = "Leakcheck",
                nodes = new[]
                {
                    new { name = "leakcheck-node-1", cpuMillicores = 8000, memoryBytes = 16_000_000_000L, latitude = 45.0, longitude = 7.68 },
                    new { name = "leakcheck-node-2", cpuMillicores = 8000, memoryBytes = 16_000_000_000L, latitude = 45.01, longitude = 7.70 },
                },
                links = new[] { new { from = "leakcheck-node-1", to = "leakcheck-node-2", bandwidthBitsPerSecond = 1e9, latencyMs = 1.0 } },
                tenants = new[] { Tenant },
                services = new[]
                {
                    new
                    {
                        name = "leakcheck-cache", tenant = Tenant, node = "leakcheck-node-1", stateBytes = 20_000_000L, dirtyPagesPerSecond = 50.0,
                        maxDowntimeMs = 2000.0, maxMigrationTimeMs = 10000.0, maxUserLatencyMs = 20.0,
                        users = new[] { new { name = "depot", attachedTo = "leakcheck-node-2", count = 10 } },
                    },
                },
            }))
                Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
            await portal.CreateAccountAsync("leak-viewer", "Viewer", Tenant);
            await portal.CreateAccountAsync("leak-operator", "TenantOperator", Tenant);
            _arranged = true;
        }
        finally
        {
            ArrangeGate.Release();
        }
    }

    /// <summary>What the tenant must not see, from the portal's data: every other tenant, their services, every other cluster and its nodes.</summary>
    private async Task<IReadOnlyList<string>> ForeignNamesAsync()
    {
        using var api = portal.Portal.ApiClient();
        var tenants = await api.GetFromJsonAsync<JsonElement>("api/v1/tenants");
        var own = tenants.EnumerateArray().Single(t => t.GetProperty("name").GetString() == Tenant);
        var allowed = own.GetProperty("allowedClusters").EnumerateArray().Select(c => c.GetString()).ToHashSet();
        var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
        var clusters = await api.GetFromJsonAsync<JsonElement>("api/v1/clusters");
        var foreign = new List<string>();
        foreign.AddRange(tenants.EnumerateArray().Where(t => t.GetProperty("name").GetString() != Tenant).Select(t => t.GetProperty("name").GetString()!));
        foreign.AddRange(services.EnumerateArray().Where(s => s.GetProperty("tenantId").GetString() != own.GetProperty("id").GetString())
            .Select(s => s.GetProperty("name").GetString()!));
        foreach (var cluster in clusters.EnumerateArray().Where(c => !allowed.Contains(c.GetProperty("id").GetString())))
        {
            foreign.Add(cluster.GetProperty("name").GetString()!);
            foreign.AddRange(cluster.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()!));
        }
        Assert.Contains("SkyFleet Drones", foreign);
        Assert.Contains("torino-centro", foreign);
        return foreign;
    }

    private static async Task AssertNamesNoneAsync(IPage page, IReadOnlyList<string> foreign, string where)
    {
        var html = await page.ContentAsync();
        var named = foreign.Where(name => System.Text.RegularExpressions.Regex.IsMatch(html, $@"(?<![\w-]){System.Text.RegularExpressions.Regex.Escape(name)}(?![\w-])")).ToList();
        Assert.True(named.Count == 0, $"{where} names what the tenant must not see: {string.Join(", ", named)}");
    }

    [Fact]
    public async Task TenantViewer_OverviewMigrationsAndPlanDialog_NameNoOtherTenantClusterOrNode()
    {
        await ArrangeTenantAsync();
        var foreign = await ForeignNamesAsync();
        var page = await portal.SignInAsync("leak-viewer");
        try
        {
            // The Overview: the map, the tiles, the service counts on the nodes.
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator(".mud-main-content")).ToContainTextAsync("1 · 2");
            await AssertNamesNoneAsync(page, foreign, "The Overview");
            await PortalFixture.ScreenshotAsync(page, "tenant-overview");

            // The Migrations page, its filters open: the options are what the tenant may see.
            await PortalFixture.GotoAsync(page, "/migrations");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Migrations", Level = 1 })).ToBeVisibleAsync();
            foreach (var filter in new[] { "Cluster", "Tenant" })
            {
                await page.GetByLabel($"Filter by {filter.ToLowerInvariant()}").ClickAsync();
                await Expect(page.GetByRole(AriaRole.Option).First).ToBeVisibleAsync();
                await AssertNamesNoneAsync(page, foreign, $"The Migrations page's {filter} filter");
                await page.Keyboard.PressAsync("Escape");
            }
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(TenantViewer_OverviewMigrationsAndPlanDialog_NameNoOtherTenantClusterOrNode));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }

        // The plan dialog needs an operator of the tenant: its destinations, ranking and explanations.
        var operatorPage = await portal.SignInAsync("leak-operator");
        try
        {
            await MigrationScenarios.OpenServiceAsync(operatorPage, "leakcheck-cache");
            var dialog = await MigrationScenarios.OpenMigrateDialogAsync(operatorPage, "leakcheck-cache");
            await dialog.GetByLabel("Destination", new() { Exact = true }).ClickAsync();
            await Expect(operatorPage.GetByRole(AriaRole.Option, new() { Name = "leakcheck-node-2", Exact = false })).ToBeVisibleAsync();
            await AssertNamesNoneAsync(operatorPage, foreign, "The plan dialog");
            await PortalFixture.ScreenshotAsync(operatorPage, "tenant-plan-dialog");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(operatorPage, "FAILED-" + nameof(TenantViewer_OverviewMigrationsAndPlanDialog_NameNoOtherTenantClusterOrNode) + "-dialog");
            throw;
        }
        finally
        {
            await operatorPage.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task DeletedUser_OpenCircuitAndHubConnection_LoseAccessWithinAMinute()
    {
        var id = await portal.CreateAccountAsync("revoke-me", "Viewer", "SkyFleet Drones");
        var page = await portal.SignInAsync("revoke-me");
        try
        {
            // A hub connection of the same user, with the browser's session cookie.
            var cookies = await page.Context.CookiesAsync();
            var session = cookies.Single(c => c.Name == "EdgePortal.Auth");
            await using var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(portal.Portal.BaseAddress, "hubs/migrations"), o => o.Headers["Cookie"] = $"{session.Name}={session.Value}")
                .Build();
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.Closed += _ =>
            {
                closed.TrySetResult();
                return Task.CompletedTask;
            };
            await hub.StartAsync();
            using var api = portal.Portal.ApiClient();
            var tenants = await api.GetFromJsonAsync<JsonElement>("api/v1/tenants");
            var skyfleet = tenants.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "SkyFleet Drones").GetProperty("id").GetGuid();
            await hub.InvokeAsync("SubscribeTenant", skyfleet);

            var clock = Stopwatch.StartNew();
            using (var deleted = await api.DeleteAsync($"api/v1/users/{id}"))
                Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());

            // The circuit turns anonymous and sends the page to the sign-in form; the hub closes the connection.
            await page.WaitForURLAsync(url => url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = 60_000 });
            await closed.Task.WaitAsync(TimeSpan.FromSeconds(60) - clock.Elapsed);
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"Access ended after {clock.Elapsed.TotalSeconds:0.0} s.");
            Assert.Equal(HubConnectionState.Disconnected, hub.State);

            // And the cookie opens nothing any more.
            await page.GotoAsync("/migrations");
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(DeletedUser_OpenCircuitAndHubConnection_LoseAccessWithinAMinute));
            await File.WriteAllTextAsync(Path.Combine(PortalFixture.ArtifactsDir, "FAILED-" + nameof(DeletedUser_OpenCircuitAndHubConnection_LoseAccessWithinAMinute) + ".log"), portal.Portal.Log);
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task MainPages_UnderTheContentSecurityPolicy_LoadWithoutViolation()
    {
        var page = await portal.SignInAsync("admin");
        var violations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                lock (violations)
                    violations.Add(message.Text);
        };
        try
        {
            foreach (var (path, heading) in new[] { ("/", "Overview"), ("/migrations", "Migrations"), ("/planner", "Planner"), ("/services", "Services") })
            {
                var response = await page.GotoAsync(path);
                Assert.Contains("frame-ancestors 'none'", (await response!.AllHeadersAsync())["content-security-policy"]);
                await PortalFixture.WaitForCircuitAsync(page);
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1, Exact = true })).ToBeVisibleAsync();
            }
            // Interactive: a dialog with MudBlazor's popovers and the planner's live preview still works.
            await MigrationScenarios.OpenServiceAsync(page, "leaderboard");
            await MigrationScenarios.OpenMigrateDialogAsync(page, "leaderboard");
            lock (violations)
                Assert.True(violations.Count == 0, "CSP violations: " + string.Join(" | ", violations));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
