using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>A SkyFleet operator plans, starts, watches and cancels migrations the way a person does: in the browser.</summary>
[Collection(PortalCollection.Name)]
public sealed class MigrationScenarios(PortalFixture portal)
{
    /// <summary>Long enough for a real migration's live steps on this 2-core machine, short enough to fail fast.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 30_000 };

    [Fact]
    public async Task StartMigration_TightThenRelaxedTargets_ExplainsInfeasibilityAndCompletesLiveOnTimelineAndChart()
    {
        var page = await portal.SignInAsync("skyfleet-operator");
        try
        {
            await OpenServiceAsync(page, "flight-control");
            var dialog = await OpenMigrateDialogAsync(page, "flight-control");
            var start = dialog.GetByRole(AriaRole.Button, new() { Name = "Start migration" });

            // Tight targets: nothing can move 10 MB in 1 ms, and the dialog says why instead of just refusing.
            await dialog.Locator("#max-downtime").FillAsync("1");
            await dialog.Locator("#max-migration-time").FillAsync("1");
            var infeasible = dialog.Locator(".infeasible");
            await Expect(infeasible).ToContainTextAsync("No plan meets these targets");
            await Expect(infeasible).ToContainTextAsync("binding constraint");
            await Expect(start).ToBeDisabledAsync();
            await PortalFixture.ScreenshotAsync(page, "start-dialog-infeasible");

            // Relaxed to the service's own targets: a plan that meets them, and Start is possible.
            await dialog.Locator("#max-downtime").FillAsync("2000");
            await dialog.Locator("#max-migration-time").FillAsync("5000");
            await Expect(infeasible).ToHaveCountAsync(0);
            await Expect(dialog.Locator(".rationale")).Not.ToBeEmptyAsync();
            await Expect(start).ToBeEnabledAsync();
            await PortalFixture.ScreenshotAsync(page, "start-dialog");

            // The overview open in a second tab before the start: its downtime chart must gain the migration live.
            var overview = await page.Context.NewPageAsync();
            await PortalFixture.GotoAsync(overview, "/");
            await overview.EvaluateAsync("() => { window.__e2eNoReload = 'kept'; }");

            // A marker in the window: it survives client-side navigation and any live re-render, never a reload.
            await page.EvaluateAsync("() => { window.__e2eNoReload = 'kept'; }");
            await start.ClickAsync();
            await Expect(page).ToHaveURLAsync(MigrationUrl());
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Migration of flight-control", Level = 1 })).ToBeVisibleAsync();

            // The first render shows it not yet done (2 s of real work at this speed); only the live feed can finish it.
            var state = page.Locator(".migration-page .mud-chip").First;
            await Expect(state).Not.ToHaveTextAsync("Completed", new() { Timeout = 2_000 });
            var steps = page.Locator("figure.timeline g.step");
            await Expect(steps.First).ToBeVisibleAsync();
            await Expect(page.Locator("figure.timeline g.step.succeeded").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(state).ToHaveTextAsync("Completed", Live);
            await Expect(page.Locator("figure.timeline g.step.pending")).ToHaveCountAsync(0);
            await Expect(page.Locator("figure.timeline g.step.running")).ToHaveCountAsync(0);
            Assert.Equal("kept", await page.EvaluateAsync<string>("() => window.__e2eNoReload"));
            await PortalFixture.ScreenshotAsync(page, "migration-completed");

            var id = page.Url[(page.Url.LastIndexOf('/') + 1)..];
            await Expect(overview.Locator($"a.point[href='/migrations/{id}']")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
            Assert.Equal("kept", await overview.EvaluateAsync<string>("() => window.__e2eNoReload"));
            await PortalFixture.ScreenshotAsync(overview, "overview-after-migration");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(StartMigration_TightThenRelaxedTargets_ExplainsInfeasibilityAndCompletesLiveOnTimelineAndChart));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task CancelMigration_WhileRunning_RollsBackToSource()
    {
        var page = await portal.SignInAsync("skyfleet-operator");
        try
        {
            await OpenServiceAsync(page, "video-analytics");
            var dialog = await OpenMigrateDialogAsync(page, "video-analytics");
            // 1 GB with a high dirty rate: about a minute of simulated work, still moving when we cancel it. Even MS2M's
            // replay stops the service for its live dump (~6 s for 1 GB), so the downtime target leaves room for it.
            await dialog.Locator("#max-migration-time").FillAsync("120000");
            await dialog.Locator("#max-downtime").FillAsync("10000");
            var start = dialog.GetByRole(AriaRole.Button, new() { Name = "Start migration" });
            await Expect(start).ToBeEnabledAsync();
            await start.ClickAsync();
            await Expect(page).ToHaveURLAsync(MigrationUrl());

            var state = page.Locator(".migration-page .mud-chip").First;
            await Expect(state).ToHaveTextAsync("Running", Live);
            await page.GetByRole(AriaRole.Button, new() { Name = "Cancel this migration" }).ClickAsync();
            var confirm = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Cancel this migration?" });
            await Expect(confirm).ToContainTextAsync("rolls it back");
            await confirm.GetByRole(AriaRole.Button).Last.ClickAsync();

            // The engine answers RollingBack (not "cancelled before it started"), and the page follows it live to the end.
            await Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "Cancelling:" }))
                .ToContainTextAsync("video-analytics is rolling back to nord-caselle");
            await Expect(state).ToHaveTextAsync("Cancelled", Live);
            await Expect(page.Locator(".migration-page .mud-alert")).ToContainTextAsync("Cancelled by skyfleet-operator");
            await PortalFixture.ScreenshotAsync(page, "migration-rolled-back");

            // The service is still where it was.
            await page.GetByRole(AriaRole.Link, new() { Name = "service video-analytics" }).ClickAsync();
            await Expect(page.Locator(".service-page")).ToContainTextAsync("runs on nord-caselle");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(CancelMigration_WhileRunning_RollsBackToSource));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    internal static System.Text.RegularExpressions.Regex MigrationUrl() => new("/migrations/[0-9a-f-]{36}$");

    internal static async Task OpenServiceAsync(IPage page, string name)
    {
        await PortalFixture.GotoAsync(page, "/services");
        await page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name, Level = 1 })).ToBeVisibleAsync();
    }

    internal static async Task<ILocator> OpenMigrateDialogAsync(IPage page, string name)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Migrate {name}…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Migrate {name}" });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("#max-downtime")).ToBeVisibleAsync();
        // On opening it plans with the service's own targets, for the signed-in user's rights.
        await Expect(dialog).ToContainTextAsync(" predicted · target ");
        await Expect(dialog).Not.ToContainTextAsync("no longer exists");
        return dialog;
    }
}
