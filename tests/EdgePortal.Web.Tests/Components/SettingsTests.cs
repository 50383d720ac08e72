using Bunit;
using EdgePortal.Core.Calibration;
using EdgePortal.Storage;
using EdgePortal.Testing;
using EdgePortal.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

/// <summary>Settings shows the real database file: these tests open a LiteDB file in a temp folder.</summary>
public sealed class SettingsTests : PortalTestContext, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-settings-").FullName;

    private InMemoryCalibrationRepository Calibrations { get; } = new();

    private static HostCalibration LabCalibration() => LabCalibrations.Fit("lab-x86", Now);

    public SettingsTests()
    {
        // Registered by factory so the container disposes (closes) the file with the context.
        Services.AddSingleton(_ => new EdgeDatabase(Path.Combine(_folder, "portal.db"), NullLogger<EdgeDatabase>.Instance));
        Services.AddSingleton<ICalibrationRepository>(Calibrations);
        Render<MudPopoverProvider>();
    }

    [Fact]
    public void Render_Always_ShowsDatabaseFileAndSchemaVersion()
    {
        var cut = Render<Settings>();

        Assert.Equal(Path.Combine(_folder, "portal.db"), cut.Find("code").TextContent);
        Assert.Contains(cut.FindAll("tr"), r => r.TextContent.Contains("Schema version") && r.TextContent.Contains(EdgeDatabase.CurrentVersion.ToString()));
    }

    [Fact]
    public void Render_DemoEdge_ShowsTenantsWithTheirAllowedClusterNames()
    {
        var cut = Render<Settings>();

        var arena = cut.FindAll("tr").Single(r => r.TextContent.Contains("ARena Play"));
        Assert.Contains("MinResources", arena.TextContent);
        Assert.Contains("torino-centro, torino-lingotto", arena.TextContent);
        Assert.DoesNotContain("torino-nord", arena.TextContent);
    }

    [Fact]
    public void Render_Always_ShowsTheModelParametersTheDesignerUses()
    {
        var cut = Render<Settings>();

        var table = cut.Find("[aria-label='Migration model parameters']");
        Assert.Contains(table.QuerySelectorAll("tr"), r => r.TextContent.Contains("T_add") && r.TextContent.Contains("241 ms"));
        Assert.Contains(table.QuerySelectorAll("tr"), r => r.TextContent.Contains("ψ · ω") && r.TextContent.Contains("60 ms"));
    }

    [Fact]
    public void Render_NoCalibration_SaysEveryPlanUsesThePapersParameters()
    {
        var cut = Render<Settings>();

        Assert.Contains("No host class is calibrated", cut.Markup);
        Assert.Contains("no host class has one yet", cut.Markup);
        Assert.Empty(cut.FindAll("svg[role='img']"));
    }

    [Fact]
    public void Render_Calibrated_ShowsFittedBesidePaperWithProvenance()
    {
        var calibration = LabCalibration();
        Calibrations.Save(calibration);

        var cut = Render<Settings>();

        var table = cut.Find("[aria-label='Calibrated parameters of host class lab-x86']");
        var tAdd = table.QuerySelectorAll("tr").Single(r => r.QuerySelector("th")?.TextContent == "T_add");
        Assert.Contains("fitted", tAdd.TextContent);
        Assert.Contains("241", tAdd.TextContent);
        var xi = table.QuerySelectorAll("tr").Single(r => r.QuerySelector("th")?.TextContent == "ξ(Rmax)");
        Assert.Contains("kept", xi.TextContent);
        Assert.Contains("pre-copy", xi.TextContent);
        Assert.Contains(calibration.Fit.DowntimeRSquared.ToString("R² 0.000", System.Globalization.CultureInfo.InvariantCulture), cut.Find(".calibration").TextContent);
        Assert.Contains("lab-x86 has its own", cut.Markup);
    }

    [Fact]
    public void Render_Calibrated_ScatterIsAnImageWithASummaryAndTheTableListsEverySample()
    {
        var calibration = LabCalibration();
        Calibrations.Save(calibration);

        var cut = Render<Settings>();

        var svg = cut.Find("svg[role='img']");
        Assert.StartsWith("Predicted against measured downtime for host class lab-x86: 6 samples", svg.GetAttribute("aria-label"));
        Assert.Equal(6, svg.QuerySelectorAll("circle").Length);
        Assert.Single(svg.QuerySelectorAll("line.identity"));
        var samples = cut.Find("[aria-label='Predicted against measured downtime per sample, host class lab-x86']");
        var rows = samples.QuerySelectorAll("tbody tr");
        Assert.Equal(6, rows.Length);
        var first = calibration.Fit.Points[0];
        Assert.Contains(first.PredictedDowntimeMs.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), rows[0].TextContent);
        Assert.Contains("loop back", rows[0].TextContent);
    }

    void IDisposable.Dispose()
    {
        // Runs after IAsyncLifetime.DisposeAsync has closed the file.
        Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
