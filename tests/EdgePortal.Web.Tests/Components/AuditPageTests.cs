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

    private void Record(int count)
    {
        var trail = new Core.Security.AuditTrail(AuditLog, TimeProvider.System);
        for (var i = 0; i < count; i++)
            trail.Record($"user-{i}", Core.Security.AuditActions.Plan, $"service {i}");
    }

    [Fact]
    public void VerifyChain_UntouchedLog_SaysIntactWithTheHeadHash()
    {
        Record(3);
        var cut = Render<Audit>();

        cut.Find("#audit-verify").Click();

        var verdict = cut.Find("#audit-verification").TextContent;
        Assert.Contains("The chain is intact: 3 entries, #1 to #3", verdict, StringComparison.Ordinal);
        Assert.Contains(AuditLog.Query(new Core.Security.AuditQuery(Limit: 1))[0].Hash, verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyChain_EntryChangedInTheStore_NamesTheFirstBrokenEntry()
    {
        Record(5);
        AuditLog.Tamper(4, e => e with { Actor = "someone else" });
        var cut = Render<Audit>();

        cut.Find("#audit-verify").Click();

        var verdict = cut.Find("#audit-verification").TextContent;
        Assert.Contains("The chain breaks at entry #4", verdict, StringComparison.Ordinal);
        Assert.Contains("changed after it was written", verdict, StringComparison.Ordinal);
        Assert.Contains("3 entries before it are intact (up to #3)", verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyChain_TenantAdmin_HasNoButton()
    {
        SignInTenantUser(Runtime.Simulated.DemoEdge.SkyFleet, Core.Security.PortalRoles.TenantAdmin);

        var cut = Render<Audit>();

        Assert.Empty(cut.FindAll("#audit-verify"));
    }
}
