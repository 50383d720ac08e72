using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Components.Pages;
using EdgePortal.Web.Tests.Components.Migrations;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Batches;

/// <summary>The page <c>/batches/{id}</c> over a batch the real coordinator planned on the demo edge.</summary>
public sealed class BatchDetailTests : MigrationPagesTestContext
{
    public BatchDetailTests() => Render<MudPopoverProvider>();

    /// <summary>Starts the named services as one batch through the coordinator; every one must be accepted.</summary>
    private List<Migration> StartBatch(params string[] services)
    {
        var results = Coordinator.StartBatch([.. services.Select(s => new MigrationRequest { ServiceId = DemoService(s).Id, RequestedBy = "tester", AcceptTargetMiss = true })]);
        return [.. results.Select(r => Assert.IsType<MigrationRequestResult.Accepted>(r).Migration)];
    }

    private List<string> SkyServices(int count) => [.. Demo.Services.Where(s => s.TenantId == DemoEdge.SkyFleet).Take(count).Select(s => s.Name)];

    [Fact]
    public void Render_UnknownBatch_ShowsBatchNotFoundAndDoesNotListen()
    {
        var cut = Render<BatchDetail>(p => p.Add(d => d.Id, Guid.NewGuid()));

        Assert.Equal("Batch not found", cut.Find("h1").TextContent.Trim());
        cut.WaitForAssertion(() => Assert.Equal(0, Stream.SubscriberCount));
    }

    [Fact]
    public void Render_BatchOfThree_DrawsARowPerMigrationTheLinksLoadAndATableRow()
    {
        var batch = StartBatch([.. SkyServices(3)]);

        var cut = Render<BatchDetail>(p => p.Add(d => d.Id, batch[0].BatchId!.Value.Value));

        Assert.Equal("Batch plan", cut.Find("h1").TextContent.Trim());
        Assert.Equal(batch.Select(m => m.Id.ToString()).Order(), cut.FindAll("g.batch-row").Select(g => g.GetAttribute("data-migration")!).Order());
        Assert.Equal(3, cut.FindAll("#batch-migrations tbody tr").Count);
        Assert.Contains("3 migrations planned together", Text(cut.Find("#batch-summary")));
        // Every link the plans cross has a load chart with its capacity line, and none is drawn above it.
        var links = cut.FindAll("figure.link-load");
        Assert.NotEmpty(links);
        Assert.All(links, l => Assert.NotNull(l.QuerySelector("line.capacity")));
        Assert.Empty(cut.FindAll("figure.link-load.overbooked"));
        Assert.All(batch, m => Assert.Contains($"/migrations/{m.Id}", cut.Markup));
    }

    [Fact]
    public void Render_MigrationThatRanLongerThanItsTargets_ListsTheMissWithItsReason()
    {
        var migration = StartBatch(SkyServices(1)[0]).Single();
        migration.Start(Now);
        for (var i = 0; i < migration.Steps.Count; i++)
        {
            migration.BeginStep(i, Now);
            migration.CompleteStep(i, migration.Targets.MaxMigrationTimeMs, null, Now);
        }
        migration.Complete(Now.AddMilliseconds(migration.Steps.Count * migration.Targets.MaxMigrationTimeMs));
        Commit(migration);

        var cut = Render<BatchDetail>(p => p.Add(d => d.Id, migration.BatchId!.Value.Value));

        var row = string.Join(" / ", cut.FindAll("tr.miss-row").Select(Text));
        Assert.Contains("migration time", row);
        Assert.Contains("measured", row);
        Assert.True(row.Contains("ran longer than predicted", StringComparison.Ordinal), row);
        Assert.Contains("✕ misses", cut.Find("g.batch-row.misses").TextContent);
    }

    [Fact]
    public void MigrationEvent_MemberStarts_TheActualBarAppearsLive()
    {
        var batch = StartBatch([.. SkyServices(2)]);
        var cut = Render<BatchDetail>(p => p.Add(d => d.Id, batch[0].BatchId!.Value.Value));
        WaitForSubscribers(cut);
        Assert.Empty(cut.FindAll("rect.bar.actual"));

        var first = Repository.Find(batch[0].Id)!;
        first.Start(Now);
        first.BeginStep(0, Now);
        Commit(first);

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find($"g.batch-row[data-migration='{first.Id}'] rect.bar.actual")));
        Assert.Contains("running", Text(cut.Find("#batch-migrations")));
    }

    [Fact]
    public void Render_TenantUserOfPartOfABatch_SeesOnlyItsOwnMigrations()
    {
        var sky = Demo.Services.First(s => s.TenantId == DemoEdge.SkyFleet).Name;
        var arena = Demo.Services.First(s => s.TenantId == DemoEdge.ArenaPlay).Name;
        var batch = StartBatch(sky, arena);
        SignInTenantUser(DemoEdge.SkyFleet, PortalRoles.Viewer);

        var cut = Render<BatchDetail>(p => p.Add(d => d.Id, batch[0].BatchId!.Value.Value));

        var row = Assert.Single(cut.FindAll("g.batch-row"));
        Assert.Equal(batch.Single(m => m.ServiceName == sky).Id.ToString(), row.GetAttribute("data-migration"));
        Assert.DoesNotContain(arena, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MigrationOfABatch_MigrationDetailLinksToItsBatch()
    {
        var migration = StartBatch(SkyServices(1)[0]).Single();

        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));

        Assert.Equal($"/batches/{migration.BatchId}", cut.Find("#batch-link").GetAttribute("href"));
    }
}
