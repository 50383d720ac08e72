using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Bunit;
using EdgePortal.Web.Components.Layout;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using MudBlazor;
using MudBlazor.Extensions;

namespace EdgePortal.Web.Tests.Components;

public sealed partial class MainLayoutTests : PortalTestContext
{
    // MainLayout renders its own MudPopoverProvider; a second one would clash with it.
    private IRenderedComponent<MainLayout> RenderLayout()
        => Render<MainLayout>(p => p.Add(l => l.Body, b => b.AddContent(0, "page body")));

    [Fact]
    public void Render_ProviderRole_ShowsEightNavigationEntriesInOrder()
    {
        Authorization.SetPolicies(PortalPolicies.Provider);
        var cut = RenderLayout();

        var links = cut.FindAll("nav[aria-label='Main navigation'] a.mud-nav-link");
        Assert.Equal(
            [("Overview", "/"), ("Clusters", "/clusters"), ("Services", "/services"), ("Migrations", "/migrations"),
             ("Planner", "/planner"), ("Schedules", "/schedules"), ("Automation", "/automation"), ("Settings", "/settings")],
            links.Select(a => (a.TextContent.Trim(), a.GetAttribute("href"))));
        Assert.Contains("page body", cut.Find(".mud-main-content").TextContent);
    }

    [Fact]
    public void Render_TenantRole_HidesProviderPages()
    {
        Authorization.SetRoles(PortalRoles.TenantOperator);
        var cut = RenderLayout();

        var links = cut.FindAll("nav[aria-label='Main navigation'] a.mud-nav-link").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/", "/clusters", "/services", "/migrations", "/planner", "/schedules"], links);
    }

    [Fact]
    public void Render_Always_StartsInLightThemeWithDarkModeIcon()
    {
        var cut = RenderLayout();

        Assert.False(IsDarkMode(cut));
        Assert.Equal(PathData(Icons.Material.Filled.DarkMode), PathData(ThemeToggle(cut)));
        Assert.Contains("--mud-palette-primary: rgba(11,110,153,1);", ThemeCss(cut));
    }

    [Fact]
    public void ThemeToggle_Click_SwitchesToDarkThemeAndLightModeIcon()
    {
        var cut = RenderLayout();

        ThemeToggle(cut).Click();

        cut.WaitForAssertion(() =>
        {
            Assert.True(IsDarkMode(cut));
            Assert.Equal(PathData(Icons.Material.Filled.LightMode), PathData(ThemeToggle(cut)));
            // The dark palette's primary (#4fb3e0) is what the page's CSS variables now carry.
            Assert.Contains("--mud-palette-primary: rgba(79,179,224,1);", ThemeCss(cut));
        });
    }

    [Fact]
    public void Render_DarkModeChosenBefore_StartsInDarkTheme()
    {
        var cut = Render<MainLayout>(p => p.Add(l => l.Body, b => b.AddContent(0, "page body")).AddCascadingValue("DarkMode", true));

        Assert.True(IsDarkMode(cut));
        Assert.Equal(PathData(Icons.Material.Filled.LightMode), PathData(ThemeToggle(cut)));
        Assert.Contains("--mud-palette-primary: rgba(79,179,224,1);", ThemeCss(cut));
    }

    [Fact]
    public void ThemeToggle_ClickTwice_RemembersEachChoiceInTheBrowser()
    {
        var module = JSInterop.SetupModule("./js/theme.js");
        module.SetupVoid("remember", _ => true).SetVoidResult();
        var cut = RenderLayout();

        ThemeToggle(cut).Click();
        cut.WaitForAssertion(() => Assert.True(IsDarkMode(cut)));
        ThemeToggle(cut).Click();

        cut.WaitForAssertion(() => Assert.Equal([true, false], module.Invocations["remember"].Select(i => (bool)i.Arguments[0]!)));
    }

    [Fact]
    public void ThemeToggle_ClickTwice_ReturnsToLightTheme()
    {
        var cut = RenderLayout();

        ThemeToggle(cut).Click();
        cut.WaitForAssertion(() => Assert.True(IsDarkMode(cut)));
        ThemeToggle(cut).Click();

        cut.WaitForAssertion(() =>
        {
            Assert.False(IsDarkMode(cut));
            Assert.Equal(PathData(Icons.Material.Filled.DarkMode), PathData(ThemeToggle(cut)));
            Assert.Contains("--mud-palette-primary: rgba(11,110,153,1);", ThemeCss(cut));
        });
    }

    [Fact]
    public void ThemeToggle_Click_ChangesAccessibleNameAndPressedState()
    {
        var cut = RenderLayout();
        Assert.Equal("false", ThemeToggle(cut).GetAttribute("aria-pressed"));
        Assert.Contains("dark", ThemeToggle(cut).GetAttribute("aria-label"), StringComparison.OrdinalIgnoreCase);

        ThemeToggle(cut).Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("true", ThemeToggle(cut).GetAttribute("aria-pressed"));
            Assert.Contains("light", ThemeToggle(cut).GetAttribute("aria-label"), StringComparison.OrdinalIgnoreCase);
        });
    }

    [Fact]
    public void Render_Prerendered_ShowsConnectingProgress()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Static", isInteractive: false));

        var cut = RenderLayout();

        var progress = cut.Find("header .circuit-pending");
        Assert.Equal("progressbar", progress.GetAttribute("role"));
        Assert.Contains("Connecting", progress.GetAttribute("aria-label"));
    }

    [Fact]
    public void Render_Interactive_ShowsNoConnectingProgress()
    {
        var cut = RenderLayout();

        Assert.Empty(cut.FindAll(".circuit-pending"));
    }

    private static bool IsDarkMode(IRenderedComponent<MainLayout> cut)
        => cut.FindComponent<MudThemeProvider>().Instance.GetState(t => t.IsDarkMode);

    /// <summary>The app bar's theme button, found by what its name is about, not by one exact wording.</summary>
    private static IElement ThemeToggle(IRenderedComponent<MainLayout> cut)
        => cut.FindAll("header button").Single(b => ThemeName().IsMatch(b.GetAttribute("aria-label") ?? ""));

    private static string ThemeCss(IRenderedComponent<MainLayout> cut) => cut.Find("style.mud-theme-provider").TextContent;

    /// <summary>The path data an icon draws: what tells two Material icons apart.</summary>
    private static string[] PathData(IElement button) => [.. button.QuerySelectorAll("svg path").Select(p => p.GetAttribute("d") ?? "")];

    private static string[] PathData(string icon) => [.. PathD().Matches(icon).Select(m => m.Groups[1].Value)];

    [GeneratedRegex("dark|light|theme", RegexOptions.IgnoreCase)]
    private static partial Regex ThemeName();

    [GeneratedRegex("<path[^>]*\\sd=\"([^\"]*)\"")]
    private static partial Regex PathD();
}
