using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Planner;
using EdgePortal.Web.Planning;

namespace EdgePortal.Web.Tests.Components.Planner;

/// <summary>What the Planner's drawings are computed from: phases, the feasibility map, scales and layout.</summary>
public sealed class PlannerViewModelsTests
{
    private static readonly WhatIfInput WorkedExample = new()
    {
        StateSizeBytes = 10_000_000,
        DirtyRateNormalized = 0,
        BandwidthBitsPerSecond = 1e9,
        MaxDowntimeMs = 2_000,
        MaxMigrationTimeMs = 5_000,
    };

    [Fact]
    public void PhaseSegments_WorkedExample_AddUpToTheMigrationTimeWithTheDowntimeAtTheEnd()
    {
        var plan = WhatIf.Design(WorkedExample).Plan;

        var segments = PhaseSegmentViewModel.From(plan);

        Assert.Equal(plan.PredictedMigrationTimeMs, segments.Sum(s => s.DurationMs), 6);
        Assert.Equal(plan.PredictedDowntimeMs, segments.Where(s => s.IsDowntime).Sum(s => s.DurationMs), 6);
        Assert.Equal(["Final dump", "Transfer", "Restore", "Switch"], segments.Where(s => s.IsDowntime).Select(s => s.Label));
        Assert.Equal("Pre-dump", segments[0].Label);
        for (var i = 1; i < segments.Count; i++)
            Assert.Equal(segments[i - 1].StartMs + segments[i - 1].DurationMs, segments[i].StartMs, 9);
    }

    [Fact]
    public void FeasibilityMap_WorkedExample_ChosenPointLiesOnItsCurve()
    {
        var design = WhatIf.Design(WorkedExample);

        var map = FeasibilityMapViewModel.Build(WorkedExample, design);

        var at = map.BandwidthBitsPerSecond.ToList().FindIndex(b => Math.Abs(b - 1e9) < 1);
        Assert.True(at >= 0, "1 Gbit/s is a grid point");
        var curve = map.Curves.Single(c => c.Strategy == design.Plan.Strategy);
        Assert.Equal(design.Plan.PredictedDowntimeMs, curve.DowntimeMs[at], 6);
        Assert.Equal(design.Plan.PredictedMigrationTimeMs, curve.MigrationTimeMs[at], 6);
        Assert.Equal(design.Plan.Iterations, curve.Iterations);
        Assert.True(map.FeasibleAt[at]);
        Assert.False(map.FeasibleAt[0], "10 Mbit/s is too slow for θ_down = 2 s");
        Assert.Equal(PamParametersMaxIterations + 1, map.IterationPoints.Count);
        Assert.Equal(design.Plan.Iterations, map.ChosenIterations);
    }

    [Fact]
    public void FeasibilityMap_MinResources_ChosenPointAtTheReservedBandwidth()
    {
        var input = WorkedExample with { Objective = Objective.MinResources };
        var design = WhatIf.Design(input);

        var map = FeasibilityMapViewModel.Build(input, design);

        Assert.Equal(design.Plan.ReservedBandwidth.BitsPerSecond, map.ChosenBitsPerSecond);
        Assert.True(map.ChosenBitsPerSecond < map.AvailableBitsPerSecond);
        Assert.True(map.BandwidthBitsPerSecond[0] <= map.ChosenBitsPerSecond);
    }

    [Fact]
    public void Grid_BandwidthOutsideTheDefaultRange_WidensByWholeDecades()
    {
        var grid = FeasibilityMapViewModel.Grid(2e6, 3e10);

        Assert.Equal(1e6, grid[0], 3);
        Assert.Equal(1e11, grid[^1], 3);
        Assert.Equal(5 * FeasibilityMapViewModel.PointsPerDecade + 1, grid.Length);
    }

    [Fact]
    public void PhaseBarLayout_TinyPhase_GetsTheMinimumAndAllFillTheWidth()
    {
        var boxes = PhaseBar.Layout([1_000, 1, 2_000], 1_000, 4);

        Assert.Equal(4, boxes[1].Width, 9);
        Assert.Equal(1_000, boxes.Sum(b => b.Width), 6);
        Assert.Equal(boxes[0].Width * 2, boxes[2].Width, 6);
        Assert.Equal(boxes[0].X + boxes[0].Width, boxes[1].X, 9);
    }

    [Fact]
    public void PhaseBarLegend_TenEqualDumpRounds_AreOneLine()
    {
        var plan = WhatIf.Design(WorkedExample).Plan;

        var legend = PhaseBar.Legend(PhaseSegmentViewModel.From(plan));

        var rounds = Assert.Single(legend, l => l.Label.StartsWith("Dump rounds", StringComparison.Ordinal));
        Assert.Equal($"Dump rounds 1–{plan.Iterations}", rounds.Label);
        Assert.EndsWith(" each", rounds.Time);
    }

    [Fact]
    public void LogScale_ThreeDecades_TicksAtDecadesOnly()
    {
        var scale = new LogScale(1e7, 1e10, 0, 300);

        Assert.Equal([1e7, 1e8, 1e9, 1e10], scale.Ticks());
        Assert.Equal(0, scale[1e7], 9);
        Assert.Equal(100, scale[1e8], 9);
        Assert.Equal(300, scale[1e12], 9);
    }

    [Fact]
    public void LogScale_Covering_SnapsOutToOneTwoFive()
    {
        var scale = LogScale.Covering([700, 3_600, double.NaN, double.PositiveInfinity], 100, 0);

        Assert.Equal(500, scale.Min);
        Assert.Equal(5_000, scale.Max);
        Assert.Equal([500, 1_000, 2_000, 5_000], scale.Ticks());
    }

    [Fact]
    public void SpreadLabels_Overlapping_AreAtLeastTheGapApartAndInsideThePlot()
    {
        var spread = BandwidthPanel.Spread(
            [(MigrationStrategy.Cold, "Cold", 100), (MigrationStrategy.PreCopy, "Pre-copy", 101), (MigrationStrategy.IterativePreCopy, "Iterative", 100.5)],
            minGap: 11, top: 0, bottom: 105);

        for (var i = 1; i < spread.Count; i++)
            Assert.True(spread[i].Y - spread[i - 1].Y >= 11 - 1e-9);
        Assert.True(spread[^1].Y <= 105);
    }

    [Theory]
    [InlineData(500, "500 ms")]
    [InlineData(2_000, "2 s")]
    [InlineData(100_000, "100 s")]
    [InlineData(900_000, "15 min")]
    public void AxisDuration_Values_CarryTheirUnit(double ms, string expected)
    {
        Assert.Equal(expected, PlannerText.AxisDuration(ms));
    }

    private static int PamParametersMaxIterations => Core.Planning.PamParameters.PaperTestbed.MaxIterations;
}
