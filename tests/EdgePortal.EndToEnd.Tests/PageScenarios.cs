using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>The main pages: screenshots as test artifacts, and axe-core finds no serious or critical violations, in the light and the dark theme.</summary>
[Collection(PortalCollection.Name)]
public sealed class PageScenarios(PortalFixture portal)
{
    public static TheoryData<string, string, string> MainPages => new()
    {
        { "/", "Overview", "overview" },
        { "/services", "Services", "services" },
        { "/migrations", "Migrations", "migrations" },
        { "/planner", "Planner", "planner" },
        { "/schedules", "Schedules", "schedules" },
    };

    [Theory]
    [MemberData(nameof(MainPages))]
    public async Task MainPage_SignedInAsAdmin_ScreenshotSaved(string path, string heading, string name)
    {
        var page = await portal.SignInAsync("admin");
        try
        {
            await PortalFixture.GotoAsync(page, path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1, Exact = true })).ToBeVisibleAsync();
            await PortalFixture.ScreenshotAsync(page, name);
            Assert.True(new FileInfo(Path.Combine(PortalFixture.ArtifactsDir, name + ".png")).Length > 10_000);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// Every page a signed-in person can reach from the navigation, and one service and one migration page. The
    /// placeholders are the arranged service and migration (<see cref="PortalFixture.AccessibilityArrangeAsync"/>), so
    /// the state chips, the Overview's downtime points and the grids' rows exist when axe looks.
    /// </summary>
    public static TheoryData<string, string, string> AxePages()
    {
        var data = new TheoryData<string, string, string>();
        (string Path, string Heading)[] pages =
        [
            ("/", "Overview"), ("/clusters", "Clusters"), ("/services", "Services"), ("/services/{service}", "leaderboard"),
            ("/migrations", "Migrations"), ("/migrations/{migration}", "Migration of leaderboard"), ("/planner", "Planner"),
            ("/schedules", "Schedules"), ("/automation", "Automation"), ("/settings", "Settings"), ("/users", "Users & API keys"),
            ("/audit", "Audit log"), ("/tenants", "Tenants"),
        ];
        foreach (var (path, heading) in pages)
            foreach (var theme in new[] { "light", "dark" })
                data.Add(path, heading, theme);
        return data;
    }

    [Theory]
    [MemberData(nameof(AxePages))]
    public async Task MainPage_AxeCore_NoSeriousOrCriticalViolations(string path, string heading, string theme)
    {
        var arranged = await portal.AccessibilityArrangeAsync();
        var url = path.Replace("{service}", arranged.ServiceId).Replace("{migration}", arranged.CompletedMigrationId);
        var page = await portal.SignInAsync("admin");
        try
        {
            await PortalFixture.GotoAsync(page, url);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1, Exact = true })).ToBeVisibleAsync();
            if (theme == "dark")
                await SwitchToDarkThemeAsync(page);
            await ColoursSettledAsync(page);
            var name = (path == "/" ? "overview" : path.Trim('/').Replace('/', '-').Replace("{", "").Replace("}", "")) + "-" + theme;
            var findings = await AxeAsync(page, name);
            Assert.True(findings.Count == 0, $"axe-core on {url} ({theme}):\n" + string.Join("\n", findings));
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, $"FAILED-axe-{(path == "/" ? "overview" : path.Trim('/').Replace('/', '-'))}-{theme}");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task StartMigrationDialog_AxeCore_NoSeriousOrCriticalViolations(string theme)
    {
        var arranged = await portal.AccessibilityArrangeAsync();
        var page = await portal.SignInAsync("admin");
        try
        {
            await PortalFixture.GotoAsync(page, $"/services/{arranged.ServiceId}");
            if (theme == "dark")
                await SwitchToDarkThemeAsync(page);
            var dialog = await MigrationScenarios.OpenMigrateDialogAsync(page, "leaderboard");
            await ColoursSettledAsync(page);

            var findings = await AxeAsync(page, $"start-dialog-{theme}");

            Assert.True(findings.Count == 0, $"axe-core on the start-migration dialog ({theme}):\n" + string.Join("\n", findings));
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, $"FAILED-axe-start-dialog-{theme}");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task LoginPage_AxeCore_NoSeriousOrCriticalViolations(string theme)
    {
        var page = await portal.NewPageAsync();
        try
        {
            // The login form is static (no circuit, no toggle): it takes the theme a browser chose before from its cookie.
            if (theme == "dark")
                await page.Context.AddCookiesAsync([new Cookie { Name = "EdgePortal.Theme", Value = "dark", Url = portal.Portal.BaseAddress.ToString() }]);
            await page.GotoAsync("/account/login");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
            Assert.Equal(theme == "dark", await IsDarkBackgroundAsync(page));
            await PortalFixture.ScreenshotAsync(page, $"login-{theme}");

            var findings = await AxeAsync(page, $"login-{theme}");

            Assert.True(findings.Count == 0, $"axe-core on the login page ({theme}):\n" + string.Join("\n", findings));
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, $"FAILED-axe-login-{theme}");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task ThemeToggle_DarkThenNewPage_ServerRendersDark()
    {
        var page = await portal.SignInAsync("admin");
        try
        {
            await SwitchToDarkThemeAsync(page);
            // The page turns dark at once; the choice reaches the cookie a round trip later.
            await page.WaitForFunctionAsync("() => document.cookie.includes('EdgePortal.Theme=dark')", null,
                new PageWaitForFunctionOptions { PollingInterval = 50 });

            // The next page's HTML, as the server prerenders it before any circuit: already dark, so no light flash.
            var response = await page.Context.APIRequest.GetAsync("/services");
            var html = await response.TextAsync();
            Assert.Contains("aria-label=\"Switch to light theme\"", html, StringComparison.Ordinal);
            await PortalFixture.GotoAsync(page, "/services");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeVisibleAsync();
            Assert.True(await IsDarkBackgroundAsync(page));

            await page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" })).ToBeVisibleAsync();
            await page.WaitForFunctionAsync("() => document.cookie.includes('EdgePortal.Theme=light')", null,
                new PageWaitForFunctionOptions { PollingInterval = 50 });
            await PortalFixture.GotoAsync(page, "/");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" })).ToBeVisibleAsync();
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-theme-kept");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Whether the page's background, as the theme's CSS variables paint it, is dark (luminance under a half).</summary>
    private static Task<bool> IsDarkBackgroundAsync(IPage page) => page.EvaluateAsync<bool>("""
        () => {
          const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 < 0.5;
        }
        """);

    /// <summary>Colours fade between the themes (CSS transitions): axe must measure the settled colours, not a blend.</summary>
    private static Task ColoursSettledAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.getAnimations().every(a => !(a instanceof CSSTransition))", null,
            new PageWaitForFunctionOptions { PollingInterval = 50 });

    private static async Task SwitchToDarkThemeAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark theme" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light theme" })).ToBeVisibleAsync();
        // The pointer leaves the toggle, so its tooltip closes: not measured half faded in, not in the way of a click.
        await page.Mouse.MoveAsync(700, 880);
        await Expect(page.GetByRole(AriaRole.Tooltip)).ToHaveCountAsync(0);
    }

    /// <summary>axe-core's serious and critical violations on the page as it is now, one line each, also saved as axe-<paramref name="name"/>.txt.</summary>
    private static async Task<List<string>> AxeAsync(IPage page, string name)
    {
        // Evaluated through the DevTools protocol, not added as a script tag: the page's Content-Security-Policy (rightly) refuses
        // an inline script, and the pages are checked with it in force.
        await page.EvaluateAsync(await AxeSourceAsync());
        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return r.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                             targets: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 200)
                               + (n.any.length ? ' — ' + n.any.map(c => c.message).join('; ') : '')) }));
            }
            """);
        var findings = result.EnumerateArray()
            .Select(v => $"{v.GetProperty("impact").GetString()} {v.GetProperty("id").GetString()}: {v.GetProperty("help").GetString()} at "
                         + string.Join(" | ", v.GetProperty("targets").EnumerateArray().Select(t => t.GetString())))
            .ToList();
        await File.WriteAllLinesAsync(Path.Combine(PortalFixture.ArtifactsDir, $"axe-{name}.txt"), findings);
        return findings;
    }

    private static string? _axeSource;

    private static async Task<string> AxeSourceAsync() => _axeSource ??= await File.ReadAllTextAsync(AxePath());

    /// <summary>axe-core as test.sh installs it (npm ci in tests/EdgePortal.EndToEnd.Tests/axe).</summary>
    private static string AxePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var axe = Path.Combine(dir.FullName, "axe", "node_modules", "axe-core", "axe.min.js");
            if (File.Exists(axe))
                return axe;
        }
        throw new FileNotFoundException("axe-core is missing: npm ci --prefix tests/EdgePortal.EndToEnd.Tests/axe (./test.sh does it).");
    }
}
