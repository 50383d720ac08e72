using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>The main pages: screenshots as test artifacts, and axe-core finds no serious or critical violations.</summary>
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
        var page = await portal.SignInAsync("admin", "admin-demo-1");
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

    [Theory]
    [InlineData("/", "Overview")]
    [InlineData("/services", "Services")]
    [InlineData("/migrations", "Migrations")]
    [InlineData("/planner", "Planner")]
    public async Task MainPage_AxeCore_NoSeriousOrCriticalViolations(string path, string heading)
    {
        var page = await portal.SignInAsync("skyfleet-operator", "skyfleet-demo-2");
        try
        {
            await PortalFixture.GotoAsync(page, path);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1, Exact = true })).ToBeVisibleAsync();
            await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxePath() });
            var result = await page.EvaluateAsync<JsonElement>("""
                async () => {
                  const r = await axe.run(document, { resultTypes: ['violations'] });
                  return r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 160)) }));
                }
                """);
            var all = result.EnumerateArray()
                .Select(v => (Rule: v.GetProperty("id").GetString()!, Text: $"{v.GetProperty("impact").GetString()} {v.GetProperty("id").GetString()}: "
                             + $"{v.GetProperty("help").GetString()} at " + string.Join(" | ", v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()))))
                .ToList();
            var name = path == "/" ? "overview" : path.Trim('/');
            await File.WriteAllLinesAsync(Path.Combine(PortalFixture.ArtifactsDir, $"axe-{name}.txt"), all.Select(v => v.Text));
            var known = KnownFindings.TryGetValue(path, out var rules) ? rules : [];
            var unexpected = all.Where(v => !known.Contains(v.Rule)).Select(v => v.Text).ToList();
            Assert.True(unexpected.Count == 0, $"axe-core on {path} (known and listed: {string.Join(", ", known)}):\n" + string.Join("\n", unexpected));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>
    /// Serious findings that are not a missing label in our markup, listed in issue 8 and README rather than hidden:
    /// color-contrast — MudBlazor's default palette (white on the success/info chip colours, the Planner's muted
    /// "needs" and reason text) is under 4.5:1; a theme change, not a label. button-name and label on /services — the
    /// column menu icon buttons and the rows-per-page select are MudDataGrid's own markup, without a name.
    /// label-content-name-mismatch — the overview's migration arrows and downtime points are SVG links whose
    /// aria-label does not repeat their visible text. Which appear depends on the migrations present (chips exist only
    /// once there are migrations), so a known rule may or may not show. Anything else fails the test.
    /// </summary>
    private static readonly Dictionary<string, string[]> KnownFindings = new()
    {
        ["/"] = ["color-contrast", "label-content-name-mismatch"],
        ["/services"] = ["button-name", "label"],
        ["/migrations"] = ["color-contrast"],
        ["/planner"] = ["color-contrast"],
    };

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
