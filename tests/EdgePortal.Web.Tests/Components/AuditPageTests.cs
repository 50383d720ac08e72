using Bunit;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

public sealed class AuditPageTests : PortalTestContext
{
    public AuditPageTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_NoEntries_SaysHowToWidenTheFilters()
    {
        var cut = Render<Audit>();

        Assert.Contains("No entries match these filters — widen the dates or clear Actor and Action, then press Filter.",
            cut.Find("table").TextContent);
    }
}
