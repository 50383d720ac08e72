using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Components.Pages;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Migrations;

public sealed class MigrationDetailTests : MigrationPagesTestContext
{
    private readonly IRenderedComponent<MudDialogProvider> _dialogs;

    public MigrationDetailTests()
    {
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
    }

    [Fact]
    public void Render_UnknownId_ShowsMigrationNotFoundAndDoesNotListen()
    {
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, Guid.NewGuid()));

        Assert.Equal("Migration not found", cut.Find("h1").TextContent.Trim());
        Assert.Equal("/migrations", cut.Find("a").GetAttribute("href"));
        cut.WaitForAssertion(() => Assert.Equal(0, Stream.SubscriberCount));
    }

    [Fact]
    public void Render_RunningMigration_ShowsHeaderPlanAndRunningStep()
    {
        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);

        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));

        Assert.Equal("Migration of flight-control", cut.Find("h1").TextContent.Trim());
        Assert.Contains($"{NodeName(migration.Source)} → {NodeName(migration.Destination)}", cut.Find(".migration-page").TextContent);
        Assert.Contains("Running", cut.Find(".mud-chip").TextContent);
        Assert.Contains("Started by an operator · requested by tester", Text(cut.Find(".migration-page")));
        Assert.Contains(migration.Plan.Rationale, cut.Find(".rationale").TextContent);
        Assert.Contains("running", cut.Find("tr.step-row[data-step='0']").TextContent);
        Assert.Contains("running", cut.Find("g.step[data-step='0']").GetAttribute("class"));
        Assert.Equal(migration.Steps.Count, cut.FindAll("tr.step-row").Count);
        Assert.Equal(migration.Steps.Count, cut.FindAll("g.step").Count);
        Assert.Equal(migration.Id, Assert.Single(Stream.MigrationFilters));
    }

    [Fact]
    public void Render_QueuedBehindOthers_ShowsPredictedStartAndCompletionWithTheWait()
    {
        var queued = Queue("flight-control");
        var service = DemoService("flight-control");
        var plan = queued.Plan with { PredictedStartMs = 4_000, Capacity = CapacityChoice.Wait };
        var waiting = Migration.Create(service, queued.ClusterId, plan, queued.Targets, queued.Objective,
            MigrationTrigger.Api, "tester", Now, queued.Reservations);
        Commit(waiting);

        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, waiting.Id.Value));

        var row = Text(cut.Find("tr.predicted-start"));
        Assert.Contains($"{Now.AddSeconds(4):u} (after 4.0 s in the queue)", row);
        Assert.Contains($"predicted completion {Durations.Format(4_000 + plan.PredictedRunMs)} after acceptance", row);
    }

    [Fact]
    public void StepRetryingEvent_AttemptFails_EventLogShowsTheAttemptLiveAndAfterAReload()
    {
        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);

        migration.RetryStep(0, "the metrics endpoint answered 503", TimeSpan.FromSeconds(10), Now.AddSeconds(1));
        Commit(migration);

        const string expected = "attempt 1 failed: the metrics endpoint answered 503; trying again in 10";
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll(".event-log tr.log-entry"), r => r.TextContent.Contains(expected)));
        // Rebuilt from the stored step: the attempt is part of the migration's record, not only of the live feed.
        var reloaded = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        Assert.Contains(reloaded.FindAll(".event-log tr.log-entry"), r => r.TextContent.Contains(expected));
    }

    [Fact]
    public void StepCompletedEvent_RunningStepSucceeds_TimelineAndTableShowMeasuredTime()
    {
        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);
        Assert.EndsWith("so far", cut.Find("tr.step-row[data-step='0'] td.measured").TextContent.Trim());

        migration.CompleteStep(0, 420, "profiled in 420 ms", Now.AddMilliseconds(420));
        migration.BeginStep(1, Now.AddMilliseconds(421));
        Commit(migration);

        cut.WaitForAssertion(() =>
        {
            var row = cut.Find("tr.step-row[data-step='0']");
            Assert.Equal("420 ms", row.QuerySelector("td.measured")!.TextContent.Trim());
            Assert.Contains("done", row.TextContent);
            var bar = cut.Find("g.step[data-step='0']");
            Assert.Contains("succeeded", bar.GetAttribute("class"));
            Assert.Equal("420 ms", bar.QuerySelector(".bar-value")!.TextContent.Trim());
            Assert.Contains("running", cut.Find("g.step[data-step='1']").GetAttribute("class"));
            Assert.Contains(cut.FindAll(".event-log tr.log-entry"), r => r.TextContent.Contains("done in 420 ms") && r.TextContent.Contains("profiled in 420 ms"));
        });
        // Newest last: the event that came in is at the bottom of the log.
        Assert.Contains("started", cut.FindAll(".event-log tr.log-entry")[^1].TextContent);
    }

    [Fact]
    public void StepEvents_DowntimeStepRuns_BandIsShadedAndLabelledDowntime()
    {
        var migration = Queue("flight-control");
        migration.Start(Now);
        var t = Now;
        foreach (var step in migration.Steps.TakeWhile(s => !s.IsDowntime).ToList())
        {
            migration.BeginStep(step.Index, t);
            t = t.AddMilliseconds(100);
            migration.CompleteStep(step.Index, 100, null, t);
        }
        Commit(migration);
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);
        Assert.Contains("predicted", cut.Find(".downtime-label").TextContent);

        var downtime = migration.NextStep!;
        Assert.True(downtime.IsDowntime);
        migration.BeginStep(downtime.Index, t);
        Commit(migration);

        cut.WaitForAssertion(() =>
        {
            Assert.NotEmpty(cut.FindAll("g.downtime.measured rect.downtime-band"));
            Assert.StartsWith("downtime", cut.Find("g.downtime.measured .downtime-label").TextContent.Trim());
            Assert.Contains("downtime", cut.Find($"g.step[data-step='{downtime.Index}']").TextContent);
        });
    }

    [Fact]
    public void StepFailedEvent_RuntimeError_IsShownInTimelineTableAndLog()
    {
        var migration = Queue("flight-control");
        migration.Start(Now);
        migration.BeginStep(0, Now);
        Commit(migration);
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);

        const string error = "criu: dump failed: Operation not permitted (ptrace)";
        migration.FailStep(0, error, 35, Now.AddMilliseconds(35));
        Commit(migration);

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("RollingBack", cut.Find(".mud-chip").TextContent);
            var bar = cut.Find("g.step[data-step='0']");
            Assert.Contains("failed", bar.GetAttribute("class"));
            Assert.Contains(error, bar.QuerySelector(".bar-value")!.TextContent);
            Assert.Contains(error, cut.Find("tr.step-row[data-step='0'] .message").TextContent);
            Assert.Contains(cut.FindAll(".event-log tr.log-entry.error"), r => r.TextContent.Contains(error));
            Assert.Contains("skipped", cut.Find("tr.step-row[data-step='1']").TextContent);
            Assert.Empty(cut.FindAll("button[aria-label='Cancel this migration']"));
        });
    }

    [Fact]
    public void CancelButton_Confirmed_CancelsQueuedMigrationThroughTheEngine()
    {
        var migration = Queue("flight-control");
        Assert.Contains(Engine.Queue, q => q.MigrationId == migration.Id);
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);
        Assert.Contains("waiting for a free slot", cut.Markup);

        cut.Find("button[aria-label='Cancel this migration']").Click();
        _dialogs.WaitForAssertion(() => Assert.Contains("Cancel this migration?", _dialogs.Markup));
        _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Yes, cancel it").Click();

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(MigrationState.Cancelled, Repository.Find(migration.Id)!.State);
            Assert.Contains("Cancelled", cut.Find(".mud-chip").TextContent);
            Assert.Contains(SnackbarMessages(), m => m.Contains("cancelled before it started"));
            Assert.Empty(cut.FindAll("button[aria-label='Cancel this migration']"));
        });
        Assert.DoesNotContain(Engine.Queue, q => q.MigrationId == migration.Id);
    }

    [Fact]
    public void CancelButton_Declined_LeavesTheMigrationQueued()
    {
        var migration = Queue("flight-control");
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));

        cut.Find("button[aria-label='Cancel this migration']").Click();
        _dialogs.WaitForAssertion(() => Assert.Contains("Cancel this migration?", _dialogs.Markup));
        _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Keep it").Click();

        _dialogs.WaitForAssertion(() => Assert.DoesNotContain("Cancel this migration?", _dialogs.Markup));
        Assert.Equal(MigrationState.Queued, Repository.Find(migration.Id)!.State);
        Assert.Contains(Engine.Queue, q => q.MigrationId == migration.Id);
    }

    [Fact]
    public async Task Dispose_Page_StopsListening()
    {
        var migration = Queue("flight-control");
        var cut = Render<MigrationDetail>(p => p.Add(d => d.Id, migration.Id.Value));
        WaitForSubscribers(cut);

        await DisposeComponentsAsync();

        cut.WaitForAssertion(() => Assert.Equal(0, Stream.SubscriberCount));
    }
}
