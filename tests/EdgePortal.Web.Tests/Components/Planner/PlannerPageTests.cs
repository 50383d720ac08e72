using Bunit;
using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;
using EdgePortal.Web.Components.Planner;
using EdgePortal.Web.Planning;
using EdgePortal.Web.Tests.Components.Migrations;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Extensions;
using PlannerPage = EdgePortal.Web.Components.Pages.Planner;

namespace EdgePortal.Web.Tests.Components.Planner;

/// <summary>
/// The Planner page over the demo edge, with a real coordinator (for filling a stored service's bandwidth). It starts on
/// the worked example of docs/migration-model.md: 10 MB, r = 0, 1 Gbit/s, θ_down 2 s, θ_mig 5 s, minimise downtime.
/// </summary>
public sealed class PlannerPageTests : MigrationPagesTestContext
{
    private static readonly WhatIfInput WorkedExample = new()
    {
        StateSizeBytes = 10_000_000,
        DirtyRateNormalized = 0,
        BandwidthBitsPerSecond = 1e9,
        MaxDowntimeMs = 2_000,
        MaxMigrationTimeMs = 5_000,
    };

    private InMemoryCalibrationRepository Calibrations { get; } = new();

    public PlannerPageTests()
    {
        // The coordinator plans with these too, as in the portal.
        Services.AddSingleton<ICalibrationRepository>(Calibrations);
        Render<MudPopoverProvider>();
    }

    [Fact]
    public void Render_Defaults_ShowsTheWorkedExamplePlan()
    {
        var cut = Render<PlannerPage>();

        Assert.Equal("Planner", cut.Find("h1").TextContent.Trim());
        Assert.Equal("907 ms", cut.Find(".predicted-downtime").TextContent.Trim());
        Assert.StartsWith("Iterative pre-copy", cut.Find(".plan-strategy").TextContent.Trim());
        Assert.Empty(cut.FindAll(".infeasible"));
        Assert.Contains("IterativePreCopy to the destination", cut.Find(".rationale").TextContent);
        Assert.Equal(Enum.GetValues<MigrationStrategy>().Length, cut.FindAll(".strategy-table tbody tr.strategy-row").Count);
        Assert.Equal("IterativePreCopy", cut.Find(".strategy-table tr.strategy-row.chosen").GetAttribute("data-strategy"));
        // Feasibility is said in words, not only in colour.
        Assert.Contains("feasible", cut.Find(".strategy-table tr.chosen .feasibility-chip").TextContent);
    }

    [Fact]
    public void StateSizeInput_Changed_RePlansAndTheDowntimeChanges()
    {
        var cut = Render<PlannerPage>();
        var before = cut.Find(".predicted-downtime").TextContent.Trim();

        cut.Find("#planner-state-size").Input("500");

        cut.WaitForAssertion(() =>
        {
            var after = cut.Find(".predicted-downtime").TextContent.Trim();
            Assert.NotEqual(before, after);
            // 500 MB: T_r alone is 6.27·(60 + 8e-7·5e8) ms ≈ 2.9 s.
            Assert.EndsWith(" s", after);
        });
        Assert.Contains("500.0 MB", cut.Markup);
    }

    [Fact]
    public void TightTargets_Typed_ShowTheInfeasibilityExplanation()
    {
        var cut = Render<PlannerPage>();

        cut.Find("#planner-max-downtime").Input("100");
        cut.Find("#planner-max-migration-time").Input("200");

        cut.WaitForAssertion(() =>
        {
            var alert = cut.Find(".infeasible");
            Assert.Contains("No plan meets these targets.", alert.TextContent);
            var binding = cut.Find(".infeasible .binding").TextContent.Trim();
            Assert.Contains(binding, new[] { PlanConstraints.Downtime, PlanConstraints.MigrationTime });
            Assert.Contains("No strategy can meet θ_down 100 ms, θ_mig 200 ms", alert.TextContent);
            Assert.Contains("over", cut.Find(".predicted-downtime").ParentElement!.TextContent);
            Assert.All(cut.FindAll(".strategy-table .feasibility-chip"), chip => Assert.DoesNotContain(chip.ClassList, c => c == "feasible"));
        });
        // The inputs are kept as typed.
        Assert.Equal("100", cut.Find("#planner-max-downtime").GetAttribute("value"));
    }

    [Fact]
    public void PhaseBar_WorkedExample_HasOneSegmentPerPlannedPhaseWithDowntimeMarked()
    {
        var expected = WhatIf.Design(WorkedExample).Plan.Steps.Where(s => s.Kind is not (StepKind.Profile or StepKind.CleanUp)).ToList();

        var cut = Render<PlannerPage>();

        var segments = cut.FindAll(".phase-bar rect.phase");
        Assert.Equal(expected.Count, segments.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Kind.ToString(), segments[i].GetAttribute("data-kind"));
            Assert.Equal(expected[i].IsDowntime, segments[i].ClassList.Contains("downtime"));
            Assert.Equal(expected[i].IsDowntime ? "true" : "false", segments[i].GetAttribute("data-downtime"));
        }
        // The worked example pre-dumps, runs its dump rounds, then stops: final dump, transfer, restore, switch are down.
        Assert.Equal([StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic],
            expected.Where(s => s.IsDowntime).Select(s => s.Kind));
        Assert.Equal("downtime 907 ms", cut.Find(".phase-bar .bracket-label").TextContent.Trim());
        Assert.Equal(expected.Count(s => s.IsDowntime), cut.FindAll(".phase-list .phase-item.downtime").Count);
        Assert.All(cut.FindAll(".phase-list .phase-item.downtime"), item => Assert.Contains("service down", item.TextContent));
    }

    [Fact]
    public void PhaseBar_PostCopyPlan_DrawsTheDegradationWindowAfterTheDowntime()
    {
        // 100 MB at 1 Gbit/s with post-copy allowed: 795 ms down, then 819 ms of page-in (docs: PostCopy).
        var plan = WhatIf.Design(WorkedExample with { StateSizeBytes = 100_000_000, AllowPostCopy = true }).Plan;
        Assert.Equal(MigrationStrategy.PostCopy, plan.Strategy);

        var cut = Render<PhaseBar>(p => p.Add(b => b.Segments, PhaseSegmentViewModel.From(plan)).Add(b => b.DowntimeMs, plan.PredictedDowntimeMs));

        var pageIn = cut.Find(".phase-bar rect.phase[data-kind='PageIn']");
        Assert.Contains("degraded", pageIn.ClassList);
        Assert.Equal("false", pageIn.GetAttribute("data-downtime"));
        Assert.Equal("downtime 795 ms", cut.Find(".downtime-bracket .bracket-label").TextContent.Trim());
        Assert.Equal("degradation window 819 ms", cut.Find(".degradation-bracket .degradation-label").TextContent.Trim());
        Assert.Contains("service runs, pages follow from the source", cut.Find(".phase-list .phase-item:last-child").TextContent);
        Assert.Contains("a failure of the source or the link loses the service", cut.Find(".degradation-note").TextContent);
        Assert.Equal(["Lazy dump", "Transfer", "Lazy restore", "Switch", "Page-in"], PhaseSegmentViewModel.From(plan).Select(s => s.Label));
    }

    [Fact]
    public void PhaseBar_WorkedExample_NoDegradationWindow()
    {
        var plan = WhatIf.Design(WorkedExample).Plan;

        var cut = Render<PhaseBar>(p => p.Add(b => b.Segments, PhaseSegmentViewModel.From(plan)).Add(b => b.DowntimeMs, plan.PredictedDowntimeMs));

        Assert.Empty(cut.FindAll(".degradation-bracket"));
        Assert.Empty(cut.FindAll(".degradation-note"));
    }

    [Fact]
    public void FeasibilityMap_WorkedExample_DrawsTheTargetLinesAndTheChosenPoint()
    {
        var cut = Render<PlannerPage>();

        var map = cut.Find(".feasibility-map");
        var downtimePanel = map.QuerySelector("svg[data-metric='Downtime']")!;
        var migrationPanel = map.QuerySelector("svg[data-metric='MigrationTime']")!;
        Assert.NotNull(downtimePanel.QuerySelector($".target-line[data-target='{PlanConstraints.Downtime}']"));
        Assert.NotNull(migrationPanel.QuerySelector($".target-line[data-target='{PlanConstraints.MigrationTime}']"));
        Assert.Contains("θ_down 2.0 s", downtimePanel.TextContent);
        Assert.Contains("θ_mig 5.0 s", migrationPanel.TextContent);
        // Both targets on the iterations panel too, and the chosen plan marked on all three.
        var iterations = map.QuerySelector("svg.iterations-panel")!;
        Assert.Equal(2, iterations.QuerySelectorAll(".target-line").Length);
        Assert.Contains("chosen: 907 ms", downtimePanel.TextContent);
        Assert.NotNull(iterations.QuerySelector("g.iteration.chosen"));
        // Units on the axes: 10 Mbit/s to 10 Gbit/s.
        Assert.Contains("10 Mbit/s", downtimePanel.TextContent);
        Assert.Contains("10 Gbit/s", downtimePanel.TextContent);
        // Without a message stream only the three checkpoint/restore strategies are drawn.
        Assert.Equal(["Cold", "PreCopy", "IterativePreCopy"], downtimePanel.QuerySelectorAll("polyline.curve").Select(p => p.GetAttribute("data-strategy")));
    }

    [Fact]
    public void Objective_MinResources_ReservesLessBandwidth()
    {
        var cut = Render<PlannerPage>();
        Assert.Equal("1 Gbit/s", cut.Find(".plan-bandwidth").TextContent.Trim());

        var group = cut.FindComponent<MudRadioGroup<Objective>>();
        cut.InvokeAsync(() => group.Instance.ValueChanged.InvokeAsync(Objective.MinResources));

        cut.WaitForAssertion(() => Assert.NotEqual("1 Gbit/s", cut.Find(".plan-bandwidth").TextContent.Trim()));
        Assert.EndsWith("Mbit/s", cut.Find(".plan-bandwidth").TextContent.Trim());
    }

    [Fact]
    public void DirtyRateSlider_Moved_RePlans()
    {
        var cut = Render<PlannerPage>();
        var before = cut.Find(".predicted-downtime").TextContent.Trim();

        cut.Find("#planner-dirty-rate-slider").Input("1");

        cut.WaitForAssertion(() => Assert.NotEqual(before, cut.Find(".predicted-downtime").TextContent.Trim()));
        Assert.Contains("r = 1.00", cut.Markup);
    }

    [Fact]
    public void StoredService_Selected_FillsTheProfileTargetsAndBandwidth()
    {
        var service = DemoService("telemetry-ingest");
        var cut = Render<PlannerPage>();

        var select = cut.FindComponent<MudSelect<Guid>>();
        cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(service.Id.Value));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("64", cut.Find("#planner-state-size").GetAttribute("value"));
            Assert.Equal("800", cut.Find("#planner-arrival-rate").GetAttribute("value"));
            Assert.Equal("1200", cut.Find("#planner-processing-rate").GetAttribute("value"));
            Assert.Equal("1500", cut.Find("#planner-max-downtime").GetAttribute("value"));
            Assert.Contains("telemetry-ingest", cut.Find(".service-note").TextContent);
            // A message stream: the replay strategies now apply and are drawn.
            Assert.NotNull(cut.Find("svg[data-metric='Downtime'] polyline[data-strategy='MessageReplay']"));
        });
        var expected = Coordinator.Preview(new Core.Execution.MigrationRequest { ServiceId = service.Id, RequestedBy = "test" })!.Design!.Destination;
        Assert.Contains(expected.DisplayName, cut.Find(".service-note").TextContent);
        Assert.Contains(Bandwidth.Format(expected.PathBandwidth.BitsPerSecond), cut.Find(".plan-bandwidth").ParentElement!.TextContent);
    }

    [Fact]
    public void Render_NoCalibration_PlansWithThePaperTestbedAndSaysHowToCalibrate()
    {
        var cut = Render<PlannerPage>();

        Assert.Equal("the paper testbed's parameters", cut.Find(".parameter-set").TextContent.Trim());
        Assert.Contains("No host class is calibrated yet (Settings → Calibrations)", cut.Markup);
        Assert.DoesNotContain("Model parameters", cut.Find(".rationale").TextContent);
    }

    [Fact]
    public void ParameterSet_CalibrationChosen_PlansWithItAndNamesIt()
    {
        var calibration = LabCalibrations.Fit("edge-small", Now);
        Calibrations.Save(calibration);
        var parameters = calibration.Fit.Parameters;
        var expected = WhatIf.Design(WorkedExample with { Parameters = parameters });
        var cut = Render<PlannerPage>();

        var select = cut.FindComponents<MudSelect<string>>().Single();
        cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync("edge-small"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains(parameters.Name, cut.Find(".parameter-set").TextContent);
            Assert.Equal(Durations.Format(expected.Plan.PredictedDowntimeMs), cut.Find(".predicted-downtime").TextContent.Trim());
            Assert.EndsWith($"Model parameters: {parameters.Name}.", cut.Find(".rationale").TextContent.Trim());
            // T_add starts at the calibration's own (≈ 80 ms on this host), not the paper's 241 ms.
            Assert.Equal(parameters.RuntimeOverheadMs, double.Parse(cut.Find("#planner-runtime-overhead").GetAttribute("value")!, System.Globalization.CultureInfo.InvariantCulture), 6);
        });
        Assert.NotEqual("907 ms", cut.Find(".predicted-downtime").TextContent.Trim());
    }

    [Fact]
    public void StoredService_OnACalibratedHostClass_PlansWithThatCalibration()
    {
        var calibration = LabCalibrations.Fit("edge-small", Now);
        Calibrations.Save(calibration);
        var service = DemoService("ar-anchors"); // on sud-nichelino, host class edge-small
        var cut = Render<PlannerPage>();

        var select = cut.FindComponent<MudSelect<Guid>>();
        cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(service.Id.Value));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("edge-small", cut.FindComponents<MudSelect<string>>().Single().Instance.GetState(s => s.Value));
            Assert.Contains(calibration.Fit.Parameters.Name, cut.Find(".parameter-set").TextContent);
            Assert.EndsWith($"Model parameters: {calibration.Fit.Parameters.Name}.", cut.Find(".rationale").TextContent.Trim());
        });
    }

    [Fact]
    public void ForcedIterations_Set_PlansThatManyRounds()
    {
        var cut = Render<PlannerPage>();
        var toggle = cut.FindComponent<MudSwitch<bool>>();
        cut.InvokeAsync(() => toggle.Instance.ValueChanged.InvokeAsync(true));
        cut.WaitForAssertion(() => Assert.False(cut.Find("#planner-iterations").HasAttribute("disabled")));

        cut.Find("#planner-iterations").Input("2");

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("Iterative pre-copy, I = 2", cut.Find(".plan-strategy").TextContent.Trim());
            Assert.Equal(2, cut.FindAll(".phase-bar rect.phase[data-kind='PreDump']").Count - 1);
        });
    }

    [Fact]
    public void StateSize_Zero_SaysWhatToFixAndKeepsThePlan()
    {
        var cut = Render<PlannerPage>();

        cut.Find("#planner-state-size").Input("0");

        cut.WaitForAssertion(() => Assert.Contains("state size", cut.Find(".input-error").TextContent));
        Assert.Equal("907 ms", cut.Find(".predicted-downtime").TextContent.Trim());
    }

    [Fact]
    public void Controls_All_HaveLabels()
    {
        var cut = Render<PlannerPage>();

        foreach (var input in cut.FindAll(".planner-inputs input:not([type='hidden'])"))
        {
            var id = input.GetAttribute("id");
            var labelled = input.HasAttribute("aria-label")
                || (id is not null && cut.FindAll($"label[for='{id}']").Count > 0)
                || input.Closest("label") is not null;
            Assert.True(labelled, $"input {input.OuterHtml} has no label");
        }
    }
}
