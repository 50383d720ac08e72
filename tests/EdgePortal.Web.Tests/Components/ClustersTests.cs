using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using AngleSharp.Dom;
using Bunit;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

public sealed class ClustersTests : PortalTestContext
{
    private const int NodeColumn = 0;
    private const int CpuColumn = 4;

    public ClustersTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_DemoEdge_ShowsEachClusterWithGridOfItsNodes()
    {
        var cut = Render<Clusters>();

        Assert.Equal(Demo.Clusters.Select(c => c.Name).Order(), cut.FindAll("h2").Select(h => h.TextContent.Trim()).Order());
        foreach (var cluster in Demo.Clusters)
        {
            var expected = Demo.Nodes.Where(n => n.ClusterId == cluster.Id).Select(n => n.Name).Order();
            Assert.Equal(expected, Column(Grid(cut, cluster.Name), NodeColumn).Order());
        }
    }

    [Fact]
    public void Render_EmptyInventory_ShowsHowToGetClusters()
    {
        Inventory.Clear();

        var cut = Render<Clusters>();

        var hint = cut.Find(".mud-alert").TextContent;
        Assert.Contains("No clusters are registered", hint);
        Assert.Contains("PUT /api/v1/clusters/{name}", hint);
        Assert.Contains("EdgePortal:Seed:DemoEdge", hint);
        Assert.Empty(cut.FindAll(".mud-data-grid"));
    }

    [Fact]
    public void SortableHeader_ClickOnCpu_SortsNodesByCpuAscendingThenDescending()
    {
        var cut = Render<Clusters>();
        var before = Column(Grid(cut, "torino-centro"), NodeColumn);

        SortableHeader(Grid(cut, "torino-centro"), "CPU").Click();

        cut.WaitForAssertion(() =>
        {
            var grid = Grid(cut, "torino-centro");
            var cpus = Column(grid, CpuColumn).Select(Cores).ToList();
            Assert.Equal(cpus.Order(), cpus);
            Assert.NotEqual(before, Column(grid, NodeColumn));
        });

        SortableHeader(Grid(cut, "torino-centro"), "CPU").Click();

        cut.WaitForAssertion(() =>
        {
            var cpus = Column(Grid(cut, "torino-centro"), CpuColumn).Select(Cores).ToList();
            Assert.Equal(cpus.OrderDescending(), cpus);
            Assert.True(cpus[0] > cpus[^1]);
        });
    }

    [Fact]
    public void SortableHeader_ClickOnCpu_LeavesOtherClustersUnsorted()
    {
        var cut = Render<Clusters>();
        var nord = Column(Grid(cut, "torino-nord"), NodeColumn);

        SortableHeader(Grid(cut, "torino-centro"), "CPU").Click();

        cut.WaitForAssertion(() => Assert.Equal("8 cores", Column(Grid(cut, "torino-centro"), CpuColumn)[0]));
        Assert.Equal(nord, Column(Grid(cut, "torino-nord"), NodeColumn));
    }

    [Fact]
    public void Render_NoProbeYet_SaysCapabilitiesAreNotProbedYet()
    {
        var cut = Render<Clusters>();

        Assert.All(Demo.Clusters, c => Assert.Equal("Capabilities: not probed yet", CapabilitySection(cut, c.Name).QuerySelector(".capabilities-age")!.TextContent.Trim()));
    }

    [Fact]
    public async Task Render_Probed_ShowsWhatTheRuntimeCanDoWithTheAgeOfTheProbe()
    {
        await Capabilities.RefreshAllAsync();
        Clock.Advance(TimeSpan.FromSeconds(42));

        var cut = Render<Clusters>();

        var section = CapabilitySection(cut, "torino-centro");
        Assert.Equal(Enum.GetValues<MigrationStrategy>().Select(s => s.ToString()), section.QuerySelectorAll(".strategy").Select(c => c.TextContent.Trim()));
        Assert.Equal("probed 42.0 s ago", Normalize(section.QuerySelector(".capabilities-age")!.TextContent));
        var facts = section.QuerySelectorAll(".capability-facts th").ToDictionary(th => th.TextContent.Trim(), th => th.NextElementSibling!.TextContent.Trim());
        Assert.Equal("yes", facts["Dirty tracking"]);
        Assert.Equal("yes", facts["Pre-dump"]);
        Assert.Equal("yes", facts["Lazy pages"]);
        Assert.Equal("yes", facts["Broker for replay"]);
        Assert.Equal("model", facts["Transfer"]);
        Assert.Equal("none", facts["Image limit"]);
        Assert.Equal("engine limits", facts["Concurrency"]);
        Assert.StartsWith("model: speed ×", facts["Runtime"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_AProbeAnswersWhileOpen_ShowsTheNewAnswerWithoutAReload()
    {
        var cut = Render<Clusters>();
        Assert.Equal("Capabilities: not probed yet", CapabilitySection(cut, "torino-nord").QuerySelector(".capabilities-age")!.TextContent.Trim());

        await Capabilities.RefreshAllAsync();
        Clock.Advance(TimeSpan.FromMinutes(11));
        await Capabilities.RefreshAsync(Demo.Clusters.Single(c => c.Name == "torino-centro"));

        cut.WaitForAssertion(() => Assert.Equal("probed just now", Normalize(CapabilitySection(cut, "torino-centro").QuerySelector(".capabilities-age")!.TextContent)));
        // Not refreshed since: older than EdgePortal:Capabilities:MaxAge (10 min), and shown so.
        Assert.Equal("probed 11 min 00 s ago (stale: refreshing)", Normalize(CapabilitySection(cut, "torino-nord").QuerySelector(".capabilities-age")!.TextContent));
    }

    [Fact]
    public async Task Render_TenantUser_ShowsItsClustersCapabilitiesWithoutTheRuntimesOwnWords()
    {
        await Capabilities.RefreshAllAsync();
        SignInTenantUser(DemoEdge.ArenaPlay);

        var cut = Render<Clusters>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("section.capabilities").Count));
        Assert.NotEmpty(cut.FindAll(".strategy"));
        Assert.DoesNotContain("model: speed", cut.Markup, StringComparison.Ordinal);
    }

    private static IElement CapabilitySection(IRenderedComponent<Clusters> cut, string cluster) => cut.Find($"section.capabilities[aria-label='Capabilities of {cluster}']");

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static IElement Grid(IRenderedComponent<Clusters> cut, string cluster) => cut.Find($".mud-data-grid[aria-label='Nodes of {cluster}']");

    private static IElement SortableHeader(IElement grid, string title)
        => grid.QuerySelectorAll("thead th .sortable-column-header").Single(h => h.TextContent.Trim() == title);

    private static List<string> Column(IElement grid, int column)
        => [.. grid.QuerySelectorAll("tbody tr.mud-table-row").Select(r => r.QuerySelectorAll("td")[column].TextContent.Trim())];

    private static double Cores(string cell) => double.Parse(cell.Replace(" cores", ""), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Render_TenantUser_ShowsItsClustersItsServiceCountsAndNoLinkIntoOtherClusters()
    {
        SignInTenantUser(DemoEdge.ArenaPlay);

        var cut = Render<Clusters>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("h2").Count));
        Assert.DoesNotContain("torino-nord", cut.Markup);
        Assert.DoesNotContain("nord-dora", cut.Markup);
        // ARena Play runs leaderboard on centro-porta-nuova; SkyFleet's collision-avoidance there is not counted.
        var row = cut.FindAll("tr").First(r => r.TextContent.Contains("centro-porta-nuova") && r.TextContent.Contains("gNB"));
        Assert.Equal("1", row.Children[^1].TextContent.Trim());
    }
}
