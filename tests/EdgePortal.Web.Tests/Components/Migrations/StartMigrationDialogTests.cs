using AngleSharp.Dom;
using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components.Migrations;

/// <summary>The "Migrate…" path from a service's page: a real coordinator plans over the demo edge.</summary>
public sealed class StartMigrationDialogTests : MigrationPagesTestContext
{
    private readonly IRenderedComponent<MudDialogProvider> _dialogs;

    public StartMigrationDialogTests()
    {
        Render<MudPopoverProvider>();
        _dialogs = Render<MudDialogProvider>();
    }

    [Fact]
    public void MigrateButton_RelaxedTargets_ShowsThePlanAndTheStrategyComparison()
    {
        var service = DemoService("flight-control");
        OpenDialog(service);

        Type("max-downtime", "30000");
        Type("max-migration-time", "600000");

        _dialogs.WaitForAssertion(() =>
        {
            Assert.Empty(_dialogs.FindAll(".infeasible"));
            Assert.False(string.IsNullOrWhiteSpace(_dialogs.Find(".plan-strategy").TextContent));
            Assert.Contains("target 30.0 s", _dialogs.Find(".plan-table").TextContent);
            Assert.Equal(Enum.GetValues<MigrationStrategy>().Length, _dialogs.FindAll(".strategy-table tbody tr").Count);
            Assert.Single(_dialogs.FindAll(".strategy-table tbody tr.chosen"));
            Assert.False(string.IsNullOrWhiteSpace(_dialogs.Find(".rationale").TextContent));
            Assert.False(StartButton().HasAttribute("disabled"));
        });
    }

    [Fact]
    public void MigrateButton_TightTargets_ExplainsWhyAndStartsOnlyOnceTheMissIsAccepted()
    {
        var service = DemoService("flight-control");
        OpenDialog(service);

        Type("max-downtime", "1");

        _dialogs.WaitForAssertion(() =>
        {
            var alert = _dialogs.Find(".infeasible");
            Assert.Contains("No plan meets these targets.", alert.TextContent);
            Assert.Contains("θ_down", alert.TextContent);
            Assert.True(StartButton().HasAttribute("disabled"));
            Assert.Equal("The nearest plan", _dialogs.Find(".plan-preview h3").TextContent.Trim());
        });
        // The form is kept as typed.
        Assert.Equal("1", _dialogs.Find("#max-downtime").GetAttribute("value"));

        _dialogs.Find(".plan-preview input[type='checkbox']").Change(true);

        _dialogs.WaitForAssertion(() => Assert.False(StartButton().HasAttribute("disabled")));
        StartButton().Click();

        var migration = Assert.Single(Repository.List(new MigrationQuery(Service: service.Id)));
        Assert.False(migration.Plan.Feasible);
        Assert.Equal(1, migration.Targets.MaxDowntimeMs);
    }

    [Fact]
    public void StrategyOverride_Changed_RePlansWithThatStrategy()
    {
        OpenDialog(DemoService("flight-control"));
        Type("max-downtime", "30000");
        Type("max-migration-time", "600000");

        var strategy = _dialogs.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Strategy");
        _dialogs.InvokeAsync(() => strategy.Instance.ValueChanged.InvokeAsync(nameof(MigrationStrategy.Cold)));

        _dialogs.WaitForAssertion(() =>
        {
            Assert.Equal("Cold", _dialogs.Find(".plan-strategy").TextContent.Trim());
            Assert.Contains("Cold (chosen)", _dialogs.Find(".strategy-table tr.chosen").TextContent);
        });
    }

    [Fact]
    public void EnterInTargetField_FeasiblePlan_StartsAsOperatorAndOpensTheMigration()
    {
        var service = DemoService("flight-control");
        OpenDialog(service);
        Type("max-downtime", "30000");
        Type("max-migration-time", "600000");
        _dialogs.WaitForAssertion(() => Assert.False(StartButton().HasAttribute("disabled")));

        _dialogs.Find("#max-migration-time").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Enter" });

        _dialogs.WaitForAssertion(() =>
        {
            var migration = Assert.Single(Repository.List(new MigrationQuery(Service: service.Id)));
            Assert.Equal(MigrationTrigger.Operator, migration.Trigger);
            Assert.Equal("test-admin", migration.RequestedBy); // the signed-in user, not a fixed "operator"
            Assert.Equal(MigrationState.Queued, migration.State);
            Assert.EndsWith($"/migrations/{migration.Id}", Services.GetRequiredService<NavigationManager>().Uri);
            Assert.Empty(_dialogs.FindAll(".plan-preview"));
        });
    }

    [Fact]
    public void Start_ServiceAlreadyMigrating_NamesTheRunningMigrationInASnackbar()
    {
        var service = DemoService("flight-control");
        var running = Queue("flight-control");
        OpenDialog(service);
        Type("max-downtime", "30000");
        Type("max-migration-time", "600000");
        _dialogs.WaitForAssertion(() => Assert.False(StartButton().HasAttribute("disabled")));

        StartButton().Click();

        _dialogs.WaitForAssertion(() => Assert.Contains(SnackbarMessages(), m => m.Contains("already being migrated") && m.Contains(running.Id.ToString())));
        Assert.Single(Repository.List(new MigrationQuery(Service: service.Id)));
        Assert.NotEmpty(_dialogs.FindAll(".plan-preview"));
    }

    [Fact]
    public void Dialog_EveryControl_HasALabel()
    {
        OpenDialog(DemoService("leaderboard"));

        var labels = _dialogs.FindAll(".mud-dialog label").Select(l => l.TextContent.Trim()).ToList();
        Assert.Contains("Destination", labels);
        Assert.Contains("Objective", labels);
        Assert.Contains("Strategy", labels);
        Assert.Contains("Maximum downtime (θ_down)", labels);
        Assert.Contains("Maximum migration time (θ_mig)", labels);
        Assert.Equal(DemoService("leaderboard").Targets.MaxDowntimeMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _dialogs.Find("#max-downtime").GetAttribute("value"));
    }

    private void OpenDialog(ServiceInstance service)
    {
        var page = Render<ServiceDetail>(p => p.Add(d => d.Id, service.Id.Value));
        page.Find("button[aria-label^='Migrate']").Click();
        _dialogs.WaitForAssertion(() => Assert.NotEmpty(_dialogs.FindAll(".plan-preview")));
    }

    private void Type(string inputId, string value) => _dialogs.Find($"#{inputId}").Input(value);

    private IElement StartButton() => _dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Start migration");
}
