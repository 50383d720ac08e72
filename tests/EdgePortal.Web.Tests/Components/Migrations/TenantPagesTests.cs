using Bunit;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Migrations;

/// <summary>A SkyFleet user opening ARena Play's pages by id sees "not found", exactly as for an id that does not exist.</summary>
public sealed class TenantPagesTests : MigrationPagesTestContext
{
    public TenantPagesTests() => Render<MudPopoverProvider>();

    [Fact]
    public void MigrationDetail_AnotherTenantsMigration_ReadsAsNotFound()
    {
        var migration = Queue("leaderboard");
        Assert.Equal(DemoEdge.ArenaPlay, migration.TenantId);
        SignInTenantUser(DemoEdge.SkyFleet);

        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));

        cut.WaitForAssertion(() => Assert.Contains("Migration not found", cut.Find("h1").TextContent));
        Assert.DoesNotContain("leaderboard", cut.Markup);
    }

    [Fact]
    public void ServiceDetail_AnotherTenantsService_ReadsAsNotFound()
    {
        SignInTenantUser(DemoEdge.SkyFleet);

        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, DemoService("leaderboard").Id.Value));

        cut.WaitForAssertion(() => Assert.Contains("Service not found", cut.Find("h1").TextContent));
    }

    [Fact]
    public void Migrations_TenantUser_ListsOnlyItsOwnTenantsMigrations()
    {
        var own = Queue("flight-control");
        var foreign = Queue("leaderboard");
        SignInTenantUser(DemoEdge.SkyFleet);

        var cut = Render<EdgePortal.Web.Components.Pages.Migrations>();

        cut.WaitForAssertion(() => Assert.Contains("flight-control", cut.Markup));
        Assert.DoesNotContain("leaderboard", cut.Markup);
        Assert.NotEqual(own.TenantId, foreign.TenantId);
    }

    [Fact]
    public void Overview_TenantUser_ShowsOnlyItsOwnMigrations()
    {
        Queue("flight-control");
        Queue("leaderboard");
        SignInTenantUser(DemoEdge.ArenaPlay, Core.Security.PortalRoles.Viewer);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() => Assert.Contains("leaderboard", cut.Markup));
        Assert.DoesNotContain("flight-control", cut.Markup);
    }

    [Fact]
    public void Detail_Viewer_SeesNoMigrateOrCancelButtons()
    {
        var migration = Queue("leaderboard");
        SignInTenantUser(DemoEdge.ArenaPlay, Core.Security.PortalRoles.Viewer);

        var service = Render<ServiceDetail>(p => p.Add(d => d.Id, DemoService("leaderboard").Id.Value));
        var detail = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));

        service.WaitForAssertion(() => Assert.Contains("leaderboard", service.Find("h1").TextContent));
        detail.WaitForAssertion(() => Assert.Contains("leaderboard", detail.Find("h1").TextContent));
        Assert.Empty(service.FindAll("button[aria-label^='Migrate']"));
        Assert.Empty(detail.FindAll("button[aria-label='Cancel this migration']"));
    }
}
