using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>An ARena Play viewer follows a batch the provider started, from one of its migrations to the batch's plan, live.</summary>
[Collection(PortalCollection.Name)]
public sealed class BatchScenarios(PortalFixture portal)
{
    private static readonly LocatorAssertionsToContainTextOptions Live = new() { Timeout = 60_000 };

    [Fact]
    public async Task BatchPage_FromAMigrationOfTheBatch_ShowsGanttLinkLoadAndFollowsBothToTheirEnd()
    {
        // Arrange through the API (not what this scenario is about): two ARena services moved as one batch.
        using var api = portal.Portal.ApiClient();
        var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
        string Id(string name) => services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        using var started = await api.PostAsJsonAsync("api/v1/migrations:batch", new
        {
            migrations = new[] { new { serviceId = Id("voice-chat"), acceptTargetMiss = true }, new { serviceId = Id("match-state"), acceptTargetMiss = true } },
        });
        var items = (await started.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal(202, i.GetProperty("status").GetInt32()));
        var first = items[0].GetProperty("migration");

        var page = await portal.SignInAsync("arena-viewer");
        try
        {
            await PortalFixture.GotoAsync(page, $"/migrations/{first.GetProperty("id").GetString()}");
            await page.EvaluateAsync("() => { window.__e2eNoReload = 'kept'; }");
            await page.GetByRole(AriaRole.Link, new() { Name = "its batch's plan" }).ClickAsync();

            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/batches/{first.GetProperty("batchId").GetString()}$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Batch plan", Level = 1 })).ToBeVisibleAsync();
            await Expect(page.Locator("figure.batch-gantt g.batch-row")).ToHaveCountAsync(2);
            await Expect(page.Locator("figure.link-load line.capacity").First).ToBeAttachedAsync();
            // Both end while the page is open: the live feed draws their actual windows and counts them finished.
            await Expect(page.Locator("#batch-summary")).ToContainTextAsync("2 finished", Live);
            await Expect(page.Locator("figure.batch-gantt rect.bar.actual")).ToHaveCountAsync(2);
            Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__e2eNoReload"));
            await PortalFixture.ScreenshotAsync(page, "batch-plan");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(BatchPage_FromAMigrationOfTheBatch_ShowsGanttLinkLoadAndFollowsBothToTheirEnd));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
