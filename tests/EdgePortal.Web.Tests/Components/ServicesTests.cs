using AngleSharp.Dom;
using Bunit;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

public sealed class ServicesTests : PortalTestContext
{
    public ServicesTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_DemoEdge_ShowsEveryServiceWithLinkToItsPage()
    {
        var cut = Render<Services>();

        var links = cut.FindAll(".mud-data-grid tbody tr.mud-table-row td:first-child a");
        Assert.Equal(10, links.Count);
        Assert.Equal(Demo.Services.Select(s => s.Name).Order(), links.Select(a => a.TextContent.Trim()).Order());
        Assert.All(Demo.Services, s => Assert.Contains(links, a => a.GetAttribute("href") == $"/services/{s.Id}"));
    }

    [Fact]
    public void Render_DemoEdge_MarksOnlyArAnchorsAsMissingItsLatencyTarget()
    {
        var cut = Render<Services>();

        var missing = cut.FindAll(".mud-data-grid tbody tr.mud-table-row").Where(r => r.QuerySelector(".kpi-miss") is not null)
            .Select(r => r.QuerySelector("td a")!.TextContent.Trim());
        Assert.Equal(["ar-anchors"], missing);
    }

    [Theory]
    [InlineData("anchors", new[] { "ar-anchors" })]
    [InlineData("SKYFLEET", new[] { "collision-avoidance", "flight-control", "geofence-cache", "mission-planner", "telemetry-ingest", "video-analytics" })]
    [InlineData("sud-", new[] { "ar-anchors", "match-state", "mission-planner", "voice-chat" })]
    public void QuickFilter_SearchByNameTenantOrNode_NarrowsRowsToMatches(string search, string[] expected)
    {
        var cut = Render<Services>();

        SearchBox(cut).Input(search);

        cut.WaitForAssertion(() => Assert.Equal(expected, ServiceNames(cut).Order()));
    }

    [Fact]
    public void QuickFilter_SearchCleared_ShowsAllServicesAgain()
    {
        var cut = Render<Services>();
        SearchBox(cut).Input("anchors");
        cut.WaitForAssertion(() => Assert.Single(ServiceNames(cut)));

        SearchBox(cut).Input("");

        cut.WaitForAssertion(() => Assert.Equal(10, ServiceNames(cut).Count));
    }

    [Fact]
    public void QuickFilter_SearchWithoutMatches_ShowsNoServicesMatch()
    {
        var cut = Render<Services>();

        SearchBox(cut).Input("no-such-service");

        cut.WaitForAssertion(() =>
        {
            Assert.Empty(ServiceNames(cut));
            Assert.Contains("No services match “no-such-service” — clear the search", cut.Find(".mud-data-grid tbody").TextContent);
        });
    }

    [Fact]
    public void Render_TenantWithoutServices_SaysWhereServicesComeFrom()
    {
        SignInTenantUser(EdgePortal.Core.Domain.TenantId.From(Guid.NewGuid()));

        var cut = Render<Services>();

        Assert.Empty(ServiceNames(cut));
        Assert.Contains("No services yet — they appear here once they are in the edge inventory", cut.Find(".mud-data-grid tbody").TextContent);
    }

    [Fact]
    public void Render_DemoEdge_HasNoFilterRowOrUnnamedIconButtons()
    {
        var cut = Render<Services>();

        // The filter row's operator menus were icon buttons without a name (axe button-name): the search box replaces them.
        Assert.Empty(cut.FindAll(".mud-data-grid .filter-header-cell"));
        Assert.All(cut.FindAll(".mud-data-grid button.mud-icon-button"), b => Assert.False(string.IsNullOrWhiteSpace(b.GetAttribute("aria-label"))));
    }

    private static IElement SearchBox(IRenderedComponent<Services> cut) => cut.Find("input[aria-label='Search services']");

    private static List<string> ServiceNames(IRenderedComponent<Services> cut)
        => [.. cut.FindAll(".mud-data-grid tbody tr.mud-table-row td:first-child a").Select(a => a.TextContent.Trim())];
}
