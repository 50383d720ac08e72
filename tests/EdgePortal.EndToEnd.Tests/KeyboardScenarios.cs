using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>The start-migration dialog works without a mouse: Tab to Migrate…, Enter, Tab to the targets, type, Enter starts.</summary>
[Collection(PortalCollection.Name)]
public sealed class KeyboardScenarios(PortalFixture portal)
{
    [Fact]
    public async Task StartMigrationDialog_KeyboardOnly_EscapeClosesAndEnterStarts()
    {
        var page = await portal.SignInAsync("skyfleet-operator");
        try
        {
            await MigrationScenarios.OpenServiceAsync(page, "collision-avoidance");
            await page.Locator("body").FocusAsync();

            // Escape closes the dialog again, focus stays usable.
            await TabToAsync(page, "[aria-label='Migrate collision-avoidance…']");
            await page.Keyboard.PressAsync("Enter");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Migrate collision-avoidance" });
            await DialogReadyAsync(page, dialog);
            await page.Keyboard.PressAsync("Escape");
            await Expect(dialog).ToBeHiddenAsync();

            await TabToAsync(page, "[aria-label='Migrate collision-avoidance…']");
            await page.Keyboard.PressAsync("Enter");
            await DialogReadyAsync(page, dialog);
            // Focus starts inside the dialog (DefaultFocus) and Tab walks the form in reading order to the targets.
            await TabToAsync(page, "#max-downtime");
            // Select all and enter the value as one input event (as a paste or IME would): typed digit by digit, each
            // keystroke re-plans on the server and a re-render can land between two keys on a busy machine.
            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.InsertTextAsync("1500");
            await Expect(dialog.Locator("#max-downtime")).ToHaveValueAsync("1500");
            await TabToAsync(page, "#max-migration-time");
            await page.Keyboard.PressAsync("Control+A");
            await page.Keyboard.InsertTextAsync("6000");
            await Expect(dialog.Locator("#max-migration-time")).ToHaveValueAsync("6000");
            await Expect(dialog.Locator(".plan-table")).ToBeVisibleAsync();
            await Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Start migration" })).ToBeEnabledAsync();
            await PortalFixture.ScreenshotAsync(page, "start-dialog-keyboard");

            await page.Keyboard.PressAsync("Enter");
            await Expect(page).ToHaveURLAsync(MigrationScenarios.MigrationUrl());
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Migration of collision-avoidance", Level = 1 })).ToBeVisibleAsync();
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(StartMigrationDialog_KeyboardOnly_EscapeClosesAndEnterStarts));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// The dialog has rendered its form and moved focus into itself (DefaultFocus.FirstChild): only then do its
    /// keyboard handlers (Escape) exist; a key pressed earlier is lost, as it would be for a fast user.
    /// </summary>
    private static async Task DialogReadyAsync(IPage page, ILocator dialog)
    {
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("#max-downtime")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.activeElement?.closest('[role=dialog]') != null");
    }

    /// <summary>Presses Tab until the element matching <paramref name="selector"/> has focus (at most 40 presses).</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 40; i++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) === true", selector))
                return;
            await page.Keyboard.PressAsync("Tab");
        }
        var focused = await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML?.slice(0, 200) ?? 'nothing'");
        Assert.Fail($"40 Tab presses did not reach {selector}; focus is on {focused}");
    }
}
