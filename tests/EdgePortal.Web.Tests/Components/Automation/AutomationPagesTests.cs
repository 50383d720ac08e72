using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Testing;
using EdgePortal.Web.Components.Pages;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Tests.Components.Migrations;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Quartz;

namespace EdgePortal.Web.Tests.Components.Automation;

/// <summary>The Schedules and Automation pages over the demo edge, in-memory repositories and a real (unstarted) Quartz scheduler.</summary>
public sealed class AutomationPagesTests : MigrationPagesTestContext
{
    private readonly InMemoryScheduleRepository _schedules = new();
    private readonly InMemoryDecisionRepository _decisions = new();
    private readonly AutomationEventBroadcaster _events = new();
    private readonly IRenderedComponent<MudDialogProvider> _dialogs;

    public AutomationPagesTests()
    {
        Services.AddQuartz(_ => { });
        Services.AddSingleton<IScheduleRepository>(_schedules);
        Services.AddSingleton<IAutomationDecisionRepository>(_decisions);
        Services.AddSingleton<IMaintenanceWindowRepository>(new InMemoryWindowRepository());
        Services.AddSingleton<IDrainRepository>(new InMemoryDrainRepository());
        Services.AddSingleton(_events);
        Services.AddSingleton<IAutomationEventStream>(_events);
        Services.AddSingleton<IScheduleCalendar, QuartzScheduleCalendar>();
        Services.AddSingleton<ScheduleRegistry>();
        Services.AddOptions<AutomationOptions>();
        Services.AddSingleton<NodeDrainer>();
        Services.AddSingleton<NodeRetirement>();
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        _dialogs = Render<MudDialogProvider>();
    }

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<Schedules> cut, string id)
    {
        var element = cut.Find($"#{id}");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }

    [Fact]
    public void Schedules_NewCronFromHelper_ShowsNextFiveFireTimesAndCreates()
    {
        var cut = Render<Schedules>();

        // The helper's first preset, every day at 02:00 in Europe/Rome; "now" is 14 March 2026 12:00 UTC.
        var times = cut.FindAll(".next-fire-times li");
        Assert.Equal(5, times.Count);
        Assert.StartsWith("Sun 2026-03-15 02:00", Text(times[0]));
        Assert.Contains("(2026-03-15 01:00 UTC)", Text(times[0]));
        Assert.StartsWith("Thu 2026-03-19 02:00", Text(times[4]));

        Input(cut, "schedule-name").Change("Nightly leaderboard");
        cut.Find("#schedule-save").Click();

        var saved = Assert.Single(_schedules.List());
        Assert.Equal("Nightly leaderboard", saved.Name);
        Assert.Equal("0 0 2 * * ?", saved.Cron);
        Assert.Equal("Europe/Rome", saved.TimeZone);
        cut.WaitForAssertion(() => Assert.Contains("Nightly leaderboard", Text(cut.Find("table[aria-label='Schedules'], .mud-table"))));
    }

    [Fact]
    public void Schedules_Prerendered_EditorDisabledUntilTheCircuitIsLive()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Static", isInteractive: false));

        var cut = Render<Schedules>();

        var editor = cut.Find("fieldset.schedule-editor");
        Assert.True(editor.HasAttribute("disabled"));
        Assert.Equal("false", editor.GetAttribute("data-ready"));
        Assert.Equal("true", editor.GetAttribute("aria-busy"));
    }

    [Fact]
    public void Schedules_NewSchedule_RespectsMaintenanceWindowsUnlessUnticked()
    {
        var cut = Render<Schedules>();
        Assert.False(cut.Find("fieldset.schedule-editor").HasAttribute("disabled"));
        Input(cut, "schedule-name").Change("Windowed");
        cut.Find("#schedule-save").Click();
        // Saved, listed, and the editor back to a fresh draft (the save finishes asynchronously: wait for all three).
        cut.WaitForAssertion(() =>
        {
            Assert.True(Assert.Single(_schedules.List()).RespectMaintenanceWindows);
            Assert.Contains("only inside", Text(cut.Find("table[aria-label='Schedules'], .mud-table")));
            Assert.Equal("", Input(cut, "schedule-name").GetAttribute("value") ?? "");
        });

        Input(cut, "schedule-name").Change("Any time");
        Input(cut, "schedule-windows").Change(false);
        cut.Find("#schedule-save").Click();

        cut.WaitForAssertion(() => Assert.False(Assert.Single(_schedules.List(), s => s.Name == "Any time").RespectMaintenanceWindows));
    }

    [Fact]
    public void Schedules_InvalidCron_ShowsTheErrorAndKeepsTheForm()
    {
        var cut = Render<Schedules>();
        Input(cut, "schedule-name").Change("Broken");

        Input(cut, "schedule-cron").Input("every night at two");

        cut.WaitForAssertion(() => Assert.Contains("is not a valid cron expression", cut.Markup));
        Assert.Empty(cut.FindAll(".next-fire-times li"));
        cut.Find("#schedule-save").Click();

        Assert.Empty(_schedules.List());
        Assert.Equal("Broken", Input(cut, "schedule-name").GetAttribute("value"));
        Assert.Equal("every night at two", Input(cut, "schedule-cron").GetAttribute("value"));
        Assert.Contains(SnackbarMessages(), m => m.Contains("Not saved") && m.Contains("cron"));
    }

    [Fact]
    public void Automation_Decisions_ExplainKpiValuePlanAndNodeAndArriveLive()
    {
        var service = DemoService("leaderboard");
        _decisions.Save(Decision(service, "Latency 6.2 ms over the 4.0 ms target (+55%) for 3 evaluations in a row.", "#1 sud-nichelino: users at 0.0 ms (now 6.2 ms)"));

        var cut = Render<EdgePortal.Web.Components.Pages.Automation>();

        var table = Text(cut.Find(".mud-table"));
        Assert.Contains("leaderboard", table);
        Assert.Contains("Migrated", table);
        Assert.Contains("User latency: 6.2 ms / 4.0 ms", table);
        Assert.Contains("Why this node: #1 sud-nichelino", table);
        Assert.Contains("Plan: leaderboard: MessageReplay to sud-nichelino", table);

        cut.WaitForAssertion(() => Assert.Equal(1, _events.SubscriberCount));
        var later = Decision(DemoService("voice-chat"), "Latency 9.0 ms over the 4.0 ms target; outside the maintenance windows, but urgent.", null) with
        {
            At = Now.AddMinutes(1),
            Action = AutomationAction.DeferredOutsideWindow,
        };
        _decisions.Save(later);
        _events.Publish(new DecisionRecorded(later));

        cut.WaitForAssertion(() => Assert.Contains("voice-chat", Text(cut.Find(".mud-table"))));
        Assert.Contains("Deferred (window)", Text(cut.Find(".mud-table")));
    }

    private static AutomationDecision Decision(ServiceInstance service, string reason, string? why) => new(AutomationDecisionId.New(), Now, service.Id,
        service.Name, service.TenantId, AutomationAction.Migrated, "User latency", 6.2, 4, 3, false, service.NodeId, null, MigrationId.New(), reason,
        "leaderboard: MessageReplay to sud-nichelino (candidate #1 of 8)", why);

    [Fact]
    public void Schedules_TenantViewer_ReadsOnlyItsTenantsSchedulesAndCannotEdit()
    {
        var now = DateTimeOffset.UtcNow;
        _schedules.Save(new Schedule(ScheduleId.New(), "sky nightly", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC",
            ScheduleTarget.ForService(DemoService("flight-control").Id), null, null, false, MisfirePolicy.RunOnceLate, now, now, "test",
            EdgePortal.Runtime.Simulated.DemoEdge.SkyFleet));
        _schedules.Save(new Schedule(ScheduleId.New(), "arena nightly", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC",
            ScheduleTarget.ForService(DemoService("leaderboard").Id), null, null, false, MisfirePolicy.RunOnceLate, now, now, "test",
            EdgePortal.Runtime.Simulated.DemoEdge.ArenaPlay));
        SignInTenantUser(EdgePortal.Runtime.Simulated.DemoEdge.ArenaPlay, Core.Security.PortalRoles.Viewer);

        var cut = Render<Schedules>();

        cut.WaitForAssertion(() => Assert.Contains("arena nightly", cut.Markup));
        Assert.DoesNotContain("sky nightly", cut.Markup);
        Assert.Empty(cut.FindAll("#schedule-save"));
        Assert.DoesNotContain(cut.FindAll("button"), b => b.TextContent.Trim() is "Delete" or "Run now" or "Edit");
    }

    /// <summary>The Automation page on its Drains tab with <paramref name="node"/> picked.</summary>
    private IRenderedComponent<EdgePortal.Web.Components.Pages.Automation> DrainsTabWith(EdgeNode node)
    {
        var cut = Render<EdgePortal.Web.Components.Pages.Automation>();
        cut.FindAll(".mud-tab").Single(t => t.TextContent.Trim() == "Drains").Click();
        var picker = cut.FindComponents<MudSelect<Guid?>>().Single(s => s.Instance.Label == "Node to drain");
        cut.InvokeAsync(() => picker.Instance.ValueChanged.InvokeAsync(node.Id.Value));
        return cut;
    }

    private void ConfirmRetirement(EdgeNode node)
    {
        _dialogs.WaitForAssertion(() => Assert.Contains($"Retire {node.Name}?", _dialogs.Markup));
        _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Retire it").Click();
    }

    [Fact]
    public void Automation_RetireCordonedNodeConfirmed_RetiresItSaysWhereItsUsersWentAndAudits()
    {
        // A node without services where users attach, cordoned as a drain leaves it.
        var node = Demo.Nodes.First(n => Demo.Services.All(s => s.NodeId != n.Id) && Demo.UserGroups.Any(g => g.AttachedTo == n.Id));
        var users = Demo.UserGroups.Count(g => g.AttachedTo == node.Id);
        Inventory.Save(node.WithStatus(NodeStatus.Cordoned));
        var cut = DrainsTabWith(node);

        cut.Find("#retire-node").Click();
        ConfirmRetirement(node);

        cut.WaitForAssertion(() => Assert.Equal(NodeStatus.Retired, Inventory.FindNode(node.Id)!.Status));
        Assert.Contains(SnackbarMessages(), m => m.StartsWith($"Retired {node.Name}; {users} user group(s) now attach at ", StringComparison.Ordinal));
        Assert.All(Inventory.UserGroups(), g => Assert.NotEqual(node.Id, g.AttachedTo));
        var entry = Assert.Single(AuditLog.Query(new Core.Security.AuditQuery(Action: Core.Security.AuditActions.NodeRetire)));
        Assert.True(entry.Succeeded);
        Assert.Equal("test-admin", entry.Actor);
        // The picker no longer offers it.
        Assert.DoesNotContain(cut.FindComponents<MudSelect<Guid?>>().Single(s => s.Instance.Label == "Node to drain").FindComponents<MudSelectItem<Guid?>>(),
            i => i.Instance.Value == node.Id.Value);
    }

    [Fact]
    public void Automation_RetireNodeWithAService_RefusedNamingTheServiceAndTheNodeStays()
    {
        var service = DemoService("leaderboard");
        var node = Demo.Nodes.Single(n => n.Id == service.NodeId);
        var cut = DrainsTabWith(node);

        cut.Find("#retire-node").Click();
        ConfirmRetirement(node);

        cut.WaitForAssertion(() => Assert.Contains(SnackbarMessages(), m => m.StartsWith($"{node.Name} cannot be retired yet: {node.Name} is Ready", StringComparison.Ordinal)));
        Assert.Contains(SnackbarMessages(), m => m.Contains("Service leaderboard runs on", StringComparison.Ordinal));
        Assert.Equal(NodeStatus.Ready, Inventory.FindNode(node.Id)!.Status);
        Assert.False(Assert.Single(AuditLog.Query(new Core.Security.AuditQuery(Action: Core.Security.AuditActions.NodeRetire))).Succeeded);
    }

    [Fact]
    public void Automation_ProviderOperator_CanDrainButNotRetire()
    {
        Authorization.SetRoles(Core.Security.PortalRoles.ProviderOperator);

        var cut = DrainsTabWith(Demo.Nodes[0]);

        Assert.Contains(cut.FindAll("button"), b => b.TextContent.Trim() == "Drain node");
        Assert.Empty(cut.FindAll("#retire-node"));
    }

    [Fact]
    public void Schedules_CronMoreFrequentThanTheMinimum_SaysSoAsYouTypeAndDoesNotSave()
    {
        var cut = Render<Schedules>();
        Input(cut, "schedule-name").Change("Every 30 s");

        Input(cut, "schedule-cron").Input("0/30 * * ? * *");

        cut.WaitForAssertion(() => Assert.Contains("a schedule may fire at most once every 1 min", cut.Markup));
        cut.Find("#schedule-save").Click();
        Assert.Empty(_schedules.List());
        Assert.Contains(SnackbarMessages(), m => m.Contains("Not saved") && m.Contains("at most once every"));
    }

    [Fact]
    public void Automation_UncordonACordonedNode_MakesItReadyAndAuditsWho()
    {
        var node = Demo.Nodes.First(n => Demo.Services.All(s => s.NodeId != n.Id));
        Inventory.Save(node.WithStatus(NodeStatus.Cordoned));
        var cut = DrainsTabWith(node);

        cut.Find("#uncordon-node").Click();

        cut.WaitForAssertion(() => Assert.Equal(NodeStatus.Ready, Inventory.FindNode(node.Id)!.Status));
        Assert.Contains(SnackbarMessages(), m => m == $"{node.Name} is Ready: it takes services again.");
        var entry = Assert.Single(AuditLog.Query(new Core.Security.AuditQuery(Action: Core.Security.AuditActions.NodeUncordon)));
        Assert.Equal("test-admin", entry.Actor);
    }

    [Fact]
    public void Automation_DrainFromThePage_NamesTheSignedInUser()
    {
        var node = Demo.Nodes.First(n => Demo.Services.All(s => s.NodeId != n.Id));
        var cut = DrainsTabWith(node);

        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Drain node").Click();

        cut.WaitForAssertion(() => Assert.Equal("test-admin", Assert.Single(Services.GetRequiredService<IDrainRepository>().List()).RequestedBy));
        Assert.Equal("test-admin", Assert.Single(AuditLog.Query(new Core.Security.AuditQuery(Action: Core.Security.AuditActions.NodeDrain))).Actor);
    }
}
