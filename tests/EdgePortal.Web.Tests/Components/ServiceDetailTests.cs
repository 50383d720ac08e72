using Bunit;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

public sealed class ServiceDetailTests : PortalTestContext
{
    public ServiceDetailTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_UnknownId_ShowsServiceNotFound()
    {
        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, Guid.NewGuid()));

        Assert.Equal("Service not found", cut.Find("h1").TextContent.Trim());
        Assert.Equal("/services", cut.Find("a").GetAttribute("href"));
        Assert.Empty(cut.FindAll("table"));
    }

    [Fact]
    public void Render_KnownId_ShowsServicePlacementAndLatencyMiss()
    {
        var service = Demo.Services.Single(s => s.Name == "ar-anchors");

        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, service.Id.Value));

        Assert.Equal("ar-anchors", cut.Find("h1").TextContent.Trim());
        Assert.Contains("ARena Play · runs on sud-nichelino (torino-lingotto)", cut.Markup);
        Assert.Single(cut.FindAll("td.kpi-miss"));
    }

    [Fact]
    public void SetParameters_IdChangesToUnknown_ShowsServiceNotFound()
    {
        var service = Demo.Services.Single(s => s.Name == "leaderboard");
        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, service.Id.Value));
        Assert.Equal("leaderboard", cut.Find("h1").TextContent.Trim());

        cut.Render(p => p.Add(d => d.Id, Guid.NewGuid()));

        cut.WaitForAssertion(() => Assert.Equal("Service not found", cut.Find("h1").TextContent.Trim()));
    }
}
