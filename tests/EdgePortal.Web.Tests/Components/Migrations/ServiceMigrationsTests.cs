using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Migrations;

/// <summary>A service's page lists its own migrations, live, and nobody else's.</summary>
public sealed class ServiceMigrationsTests : MigrationPagesTestContext
{
    public ServiceMigrationsTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_NoMigrations_SaysHowToStartOne()
    {
        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, DemoService("leaderboard").Id.Value));

        Assert.Contains("No migrations of this service yet — use Migrate… to plan one.", cut.Markup);
        Assert.NotNull(cut.Find("button[aria-label='Migrate leaderboard…']"));
    }

    [Fact]
    public void QueuedEvent_ThisServicesMigration_AppearsInItsList()
    {
        Queue("flight-control");
        var cut = Render<ServiceDetail>(p => p.Add(d => d.Id, DemoService("leaderboard").Id.Value));
        WaitForSubscribers(cut);
        Assert.Empty(cut.FindAll(".service-migrations tbody tr"));

        var migration = Queue("leaderboard");

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(cut.FindAll(".service-migrations tbody tr"));
            Assert.Equal($"/migrations/{migration.Id}", row.QuerySelector("a")!.GetAttribute("href"));
            Assert.Contains("Queued", row.TextContent);
            Assert.Contains($"{NodeName(migration.Source)} → {NodeName(migration.Destination)}", row.TextContent);
            Assert.Contains("tester", row.TextContent);
        });
    }
}
