using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Migrations;

/// <summary>The overview with the live stream registered: arrows, tiles, the last migrations and the chart follow events.</summary>
public sealed class OverviewLiveTests : MigrationPagesTestContext
{
    public OverviewLiveTests() => Render<MudPopoverProvider>();

    [Fact]
    public void MigrationStarted_InFlight_DrawsArrowBetweenItsNodesAndCountsIt()
    {
        var cut = Render<Overview>();
        WaitForSubscribers(cut);
        Assert.Empty(cut.FindAll("a.migration-arrow"));
        Assert.Equal("–", Tiles(cut)["Median downtime vs target"]);

        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);

        cut.WaitForAssertion(() =>
        {
            var arrow = cut.Find($"figure.topology svg a.migration-arrow[data-migration='{migration.Id}']");
            Assert.StartsWith("M", arrow.QuerySelector("path.shaft")!.GetAttribute("d"));
            Assert.Contains("flight-control", arrow.TextContent);
            Assert.Contains($"from {NodeName(migration.Source)} to {NodeName(migration.Destination)}", arrow.GetAttribute("aria-label"));
            // The link's name starts with the label drawn beside the arrow (WCAG 2.5.3 label in name).
            Assert.StartsWith(arrow.QuerySelector("text.arrow-label")!.TextContent, arrow.GetAttribute("aria-label"));
            Assert.Equal("1", Tiles(cut)["Migrating now"]);
            Assert.Equal("1", Tiles(cut)["Migrations today"]);
            Assert.Contains(cut.FindAll(".recent-migrations tbody tr"), r => r.TextContent.Contains("flight-control") && r.TextContent.Contains("Running"));
        });
    }

    [Fact]
    public void MigrationCompleted_ArrowGoesAndChartAndMedianTileShowItsDowntime()
    {
        var service = DemoService("flight-control");
        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);
        var cut = Render<Overview>();
        WaitForSubscribers(cut);
        Assert.Single(cut.FindAll("a.migration-arrow"));
        Assert.Contains("No completed migrations yet", cut.Markup);

        migration.CompleteStep(0, 100, null, Now);
        foreach (var step in migration.Steps.Skip(1).ToList())
        {
            migration.BeginStep(step.Index, Now);
            migration.CompleteStep(step.Index, 100, null, Now);
        }
        Inventory.Save(service.MovedTo(migration.Destination));
        migration.Complete(Now);
        Commit(migration);

        var downtime = migration.Steps.Count(s => s.IsDowntime) * 100d;
        var latencyThere = Inventory.Topology().UserLatencyMs(service.Id, migration.Destination).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(Inventory.Topology().UserLatencyMs(service.Id, migration.Source), Inventory.Topology().UserLatencyMs(service.Id, migration.Destination));
        var ratio = downtime / migration.Targets.MaxDowntimeMs;
        cut.WaitForAssertion(() =>
        {
            Assert.Empty(cut.FindAll("a.migration-arrow"));
            Assert.Equal("0", Tiles(cut)["Migrating now"]);
            Assert.Equal(Durations.Format(downtime), Tiles(cut)["Median downtime vs target"]);
            Assert.Equal($"{ratio.ToString("P0", System.Globalization.CultureInfo.InvariantCulture)} of target", cut.Find(".stat-detail").TextContent.Trim());
            var point = cut.Find($"figure.downtime-chart a.point[href='/migrations/{migration.Id}']");
            Assert.Contains($"measured {Durations.Format(downtime)}", point.GetAttribute("aria-label"));
            Assert.Contains($"target {Durations.Format(migration.Targets.MaxDowntimeMs)}", point.GetAttribute("aria-label"));
            Assert.Single(point.QuerySelectorAll("line.target"));
            // No visible text inside the link that its aria-label does not say (axe label-content-name-mismatch).
            Assert.Empty(point.QuerySelectorAll("text"));
            // The map was re-read: the service's badge now sits on the destination.
            Assert.Contains(cut.FindAll("rect.service-badge title"), t => t.TextContent.StartsWith($"flight-control (SkyFleet Drones): users at {latencyThere} ms"));
        });
    }

    private static Dictionary<string, string> Tiles(IRenderedComponent<Overview> cut)
        => cut.FindAll(".stat-value").ToDictionary(v => v.NextElementSibling!.TextContent.Trim(), v => v.TextContent.Trim());
}
