using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

public sealed class OverviewTests : PortalTestContext
{
    public OverviewTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_DemoEdge_ShowsClusterNodeAndServiceCounts()
    {
        var cut = Render<Overview>();

        var tiles = Tiles(cut);
        Assert.Equal($"{Demo.Clusters.Count} · {Demo.Nodes.Count}", tiles["Clusters · nodes"]);
        Assert.Equal("3 · 13", tiles["Clusters · nodes"]);
        Assert.Equal(Demo.Services.Count.ToString(), tiles["Services"]);
        Assert.Equal("10", tiles["Services"]);
        Assert.Equal("0", tiles["Migrations today"]);
    }

    [Fact]
    public void Render_DemoEdge_LatencyTileCountsServicesMissingTheirTarget()
    {
        // The expectation comes from the domain model, not from the page's view models.
        var topology = new EdgeTopology(Demo.Clusters, Demo.Nodes, Demo.Links, Demo.Services, Demo.UserGroups);
        var violating = Demo.Services.Where(s => topology.UserLatencyMs(s.Id, s.NodeId) > s.Targets.MaxUserLatencyMs)
            .Select(s => s.Name).ToList();
        Assert.Contains("ar-anchors", violating);

        var cut = Render<Overview>();

        Assert.Equal(violating.Count.ToString(), Tiles(cut)["Latency target missed"]);
        var tile = cut.FindAll(".stat-value").Single(v => v.NextElementSibling?.TextContent == "Latency target missed");
        Assert.Contains("mud-warning-text", tile.ParentElement!.ParentElement!.QuerySelector("svg")!.ClassList);
        var listed = cut.FindAll("ul.violations li a").Select(a => a.TextContent.Trim()).ToList();
        Assert.Equal(violating.Order(), listed.Order());
        var arAnchors = Demo.Services.Single(s => s.Name == "ar-anchors");
        Assert.Equal($"/services/{arAnchors.Id}", cut.FindAll("ul.violations li a").Single(a => a.TextContent.Trim() == "ar-anchors").GetAttribute("href"));
    }

    [Fact]
    public void Render_EmptyInventory_SaysWhereClustersComeFromInsteadOfAnEmptyMap()
    {
        Inventory.Clear();

        var cut = Render<Overview>();

        Assert.Equal("0 · 0", Tiles(cut)["Clusters · nodes"]);
        Assert.Empty(cut.FindAll("figure.topology"));
        Assert.Contains("No edge yet", cut.Find(".no-edge").TextContent);
        Assert.Equal("/clusters", cut.Find(".no-edge a").GetAttribute("href"));
    }

    [Fact]
    public void Render_MigrationsTodayAndYesterday_CountsOnlyTodays()
    {
        var service = Demo.Services.Single(s => s.Name == "flight-control");
        var destination = Demo.Nodes.Single(n => n.Name == "centro-porta-nuova").Id;
        Migrations.Save(NewMigration(service, destination, Now.AddHours(-1)));
        Migrations.Save(NewMigration(service, destination, Now.AddDays(-1)));

        var cut = Render<Overview>();

        Assert.Equal("1", Tiles(cut)["Migrations today"]);
        Assert.Equal(2, cut.FindAll("table tbody tr").Count(r => r.TextContent.Contains("flight-control")));
    }

    [Fact]
    public void Render_DemoEdge_DrawsTopologyWithOneCirclePerNode()
    {
        var cut = Render<Overview>();

        var svg = cut.Find("figure.topology svg");
        var nodes = svg.QuerySelectorAll("g.node");
        Assert.Equal(Demo.Nodes.Count, nodes.Length);
        Assert.All(nodes, g => Assert.Single(g.QuerySelectorAll("circle")));
        Assert.Equal(Demo.Nodes.Select(n => n.Name).Order(), nodes.Select(g => g.GetAttribute("data-node")!).Order());
        // The other circles are the user groups, one each; nothing else is drawn as a circle.
        Assert.Equal(Demo.Nodes.Count + Demo.UserGroups.Count, svg.QuerySelectorAll("circle").Length);
        Assert.Equal(Demo.Links.Count, svg.QuerySelectorAll("line").Length);
    }

    private static Dictionary<string, string> Tiles(IRenderedComponent<Overview> cut)
        => cut.FindAll(".stat-value").ToDictionary(v => v.NextElementSibling!.TextContent.Trim(), v => v.TextContent.Trim());

    private Migration NewMigration(ServiceInstance service, NodeId destination, DateTimeOffset at)
    {
        var plan = new MigrationPlan(MigrationStrategy.Cold, service.NodeId, destination, Bandwidth.FromMegabits(1_000), 0, null,
            PredictedDowntimeMs: 400, PredictedMigrationTimeMs: 400, [new PlannedStep(StepKind.Checkpoint, 0, 400, true)],
            Feasible: true, BindingConstraint: null, Rationale: "test");
        return Migration.Create(service, Demo.Nodes.Single(n => n.Id == service.NodeId).ClusterId, plan, service.Targets, service.Objective, MigrationTrigger.Operator, "tester", at);
    }
}
