using Bunit;
using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MigrationsPage = EdgePortal.Web.Components.Pages.Migrations;

namespace EdgePortal.Web.Tests.Components.Migrations;

public sealed class MigrationsListTests : MigrationPagesTestContext
{
    public MigrationsListTests() => Render<MudPopoverProvider>();

    [Fact]
    public void Render_NoMigrations_ShowsWhatToDoNext()
    {
        var cut = Render<MigrationsPage>();

        Assert.Contains("No migrations yet — plan one from a service's page.", cut.Find(".mud-table").TextContent);
        Assert.Equal(1, Stream.SubscriberCount);
        Assert.Null(Assert.Single(Stream.MigrationFilters));
    }

    [Fact]
    public void Render_QueuedMigration_ShowsItsRowWithNodesDowntimeAndWait()
    {
        var migration = Queue("flight-control");

        var cut = Render<MigrationsPage>();

        var row = Assert.Single(Rows(cut));
        Assert.Contains("flight-control", row.TextContent);
        Assert.Contains("SkyFleet Drones", row.TextContent);
        Assert.Contains($"{NodeName(migration.Source)} → {NodeName(migration.Destination)}", Text(row));
        Assert.Contains($"{Durations.Format(migration.Plan.PredictedDowntimeMs)} / –", row.TextContent);
        Assert.Contains("Queued", row.TextContent);
        Assert.Contains("waiting for a free slot", row.TextContent);
        Assert.Contains($"0 / {migration.Steps.Count} steps", row.TextContent);
        Assert.Equal($"/migrations/{migration.Id}", row.QuerySelector("a")!.GetAttribute("href"));
    }

    [Fact]
    public void QueuedEvent_NewMigration_AddsRowOnTop()
    {
        Queue("flight-control");
        var cut = Render<MigrationsPage>();
        WaitForSubscribers(cut);
        Assert.Single(Rows(cut));

        // The coordinator stores the new migration and publishes its Queued event to the stream.
        var added = Queue("leaderboard");

        cut.WaitForAssertion(() =>
        {
            var rows = Rows(cut);
            Assert.Equal(2, rows.Count);
            Assert.Contains("leaderboard", rows[0].TextContent);
            Assert.Equal($"/migrations/{added.Id}", rows[0].QuerySelector("a")!.GetAttribute("href"));
            Assert.Contains("flight-control", rows[1].TextContent);
        });
    }

    [Fact]
    public void StepEvents_ExistingMigration_UpdatesItsRowInPlace()
    {
        var migration = Queue("flight-control");
        var cut = Render<MigrationsPage>();
        WaitForSubscribers(cut);

        migration.Start(Now);
        migration.BeginStep(0, Now);
        migration.CompleteStep(0, 120, null, Now);
        migration.BeginStep(1, Now);
        Commit(migration);

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(Rows(cut));
            Assert.Contains("Running", row.TextContent);
            Assert.Contains($"1 / {migration.Steps.Count} steps · {migration.Steps[1].Label}", row.TextContent);
            Assert.DoesNotContain("waiting for", row.TextContent);
        });
    }

    [Fact]
    public async Task StateFilter_Completed_ShowsOnlyCompletedMigrations()
    {
        var done = Queue("flight-control");
        done.Start(Now);
        foreach (var step in done.Steps.ToList())
        {
            done.BeginStep(step.Index, Now);
            done.CompleteStep(step.Index, 100, null, Now);
        }
        done.Complete(Now);
        Commit(done);
        Queue("leaderboard");
        var cut = Render<MigrationsPage>();
        Assert.Equal(2, Rows(cut).Count);

        var state = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "State");
        await cut.InvokeAsync(() => state.Instance.ValueChanged.InvokeAsync(nameof(MigrationState.Completed)));

        cut.WaitForAssertion(() =>
        {
            var row = Assert.Single(Rows(cut));
            Assert.Contains("flight-control", row.TextContent);
            Assert.Contains("1 of 2 migrations", cut.Markup);
        });
    }

    [Fact]
    public void RowClick_NavigatesToTheMigrationsPage()
    {
        var migration = Queue("flight-control");
        var cut = Render<MigrationsPage>();

        Rows(cut)[0].QuerySelector("td")!.Click();

        cut.WaitForAssertion(() => Assert.EndsWith($"/migrations/{migration.Id}", Services.GetRequiredService<NavigationManager>().Uri));
    }

    private static IReadOnlyList<AngleSharp.Dom.IElement> Rows(IRenderedComponent<MigrationsPage> cut)
        => [.. cut.FindAll("tbody tr.migration-row")];
}
