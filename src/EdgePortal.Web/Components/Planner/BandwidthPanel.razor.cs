using EdgePortal.Web.Components.Migrations;
using System.Globalization;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Planner;

/// <summary>Which prediction a <see cref="BandwidthPanel"/> plots.</summary>
public enum MapMetric
{
    Downtime,
    MigrationTime,
}

/// <summary>Downtime or migration time against bandwidth, one panel of the <see cref="FeasibilityMap"/>.</summary>
public sealed partial class BandwidthPanel
{
    private const double Width = 460;
    private const double Height = 270;
    private const double Left = 58;
    private const double Right = 88;
    private const double Top = 22;
    private const double Bottom = 40;
    private const double PlotWidth = Width - Left - Right;
    private const double PlotHeight = Height - Top - Bottom;

    private readonly string _titleId = "bandwidth-panel-" + Guid.NewGuid().ToString("N")[..8];
    private LogScale _x;
    private LogScale _y;
    private List<(double From, double To)> _bands = [];
    private List<(MigrationStrategy Strategy, string Points)> _curves = [];
    private List<(MigrationStrategy Strategy, string Text, double Y)> _labels = [];
    private bool _availableLabelLeft;
    private bool _chosenLabelLeft;
    private bool _chosenLabelAbove;

    [Parameter, EditorRequired] public FeasibilityMapViewModel Map { get; set; } = null!;

    [Parameter, EditorRequired] public MapMetric Metric { get; set; }

    private bool IsDowntime => Metric == MapMetric.Downtime;
    private double Target => IsDowntime ? Map.MaxDowntimeMs : Map.MaxMigrationTimeMs;
    private string TargetName => IsDowntime ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
    private double ChosenValue => IsDowntime ? Map.ChosenDowntimeMs : Map.ChosenMigrationTimeMs;

    private IReadOnlyList<double> Values(StrategyCurveViewModel curve) => IsDowntime ? curve.DowntimeMs : curve.MigrationTimeMs;

    protected override void OnParametersSet()
    {
        var grid = Map.BandwidthBitsPerSecond;
        _x = new LogScale(grid[0], grid[^1], Left, Left + PlotWidth);
        _y = LogScale.Covering(Map.Curves.SelectMany(Values).Append(Target).Append(ChosenValue), Top + PlotHeight, Top);

        _bands = [];
        for (var i = 0; i < grid.Count; i++)
        {
            if (!Map.FeasibleAt[i])
                continue;
            var start = i;
            while (i + 1 < grid.Count && Map.FeasibleAt[i + 1])
                i++;
            // Each grid point stands for the half-steps around it.
            var from = start == 0 ? Left : (_x[grid[start - 1]] + _x[grid[start]]) / 2;
            var to = i == grid.Count - 1 ? Left + PlotWidth : (_x[grid[i]] + _x[grid[i + 1]]) / 2;
            _bands.Add((from, to));
        }

        _curves = [];
        var ends = new List<(MigrationStrategy Strategy, string Text, double Y)>();
        foreach (var curve in Map.Curves)
        {
            var values = Values(curve);
            var points = new StringBuilder();
            double? last = null;
            for (var i = 0; i < grid.Count; i++)
            {
                if (!double.IsFinite(values[i]) || values[i] <= 0)
                    continue;
                points.Append(CultureInfo.InvariantCulture, $"{PlannerText.Svg(_x[grid[i]])},{PlannerText.Svg(_y[values[i]])} ");
                last = values[i];
            }
            if (last is not { } end)
                continue;
            _curves.Add((curve.Strategy, points.ToString().TrimEnd()));
            var name = PlannerText.StrategyShort(curve.Strategy);
            if (curve.Strategy == MigrationStrategy.IterativePreCopy)
                name += $" I={curve.Iterations}";
            ends.Add((curve.Strategy, name, _y[end]));
        }
        _labels = Spread(ends, minGap: 11, top: Top + 4, bottom: Top + PlotHeight);

        _availableLabelLeft = _x[Map.AvailableBitsPerSecond] > Left + PlotWidth * 0.6;
        _chosenLabelLeft = _x[Map.ChosenBitsPerSecond] > Left + PlotWidth * 0.55;
        _chosenLabelAbove = _y[ChosenValue] > Top + 30;
    }

    /// <summary>End-of-line labels sorted by height and pushed apart so that none overlaps.</summary>
    internal static List<(MigrationStrategy Strategy, string Text, double Y)> Spread(List<(MigrationStrategy Strategy, string Text, double Y)> labels, double minGap, double top, double bottom)
    {
        var sorted = labels.OrderBy(l => l.Y).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var y = Math.Max(sorted[i].Y, i == 0 ? top : sorted[i - 1].Y + minGap);
            sorted[i] = sorted[i] with { Y = y };
        }
        // If the stack ran off the bottom, shift it up as a block.
        if (sorted.Count > 0 && sorted[^1].Y > bottom)
        {
            var shift = sorted[^1].Y - bottom;
            for (var i = sorted.Count - 1; i >= 0; i--)
            {
                var y = i == sorted.Count - 1 ? sorted[i].Y - shift : Math.Min(sorted[i].Y, sorted[i + 1].Y - minGap);
                sorted[i] = sorted[i] with { Y = y };
            }
        }
        return sorted;
    }

    internal static string StrategyClass(MigrationStrategy strategy) => "s-" + strategy.ToString().ToLowerInvariant();

    private string Summary
    {
        get
        {
            var metric = IsDowntime ? "Downtime" : "Migration time";
            var feasibleFrom = Map.FeasibleFromBitsPerSecond is { } f ? $"a plan meets both targets from about {Bandwidth.Format(f)}" : "no bandwidth shown lets a plan meet both targets";
            return $"{metric} of each strategy against bandwidth from {Bandwidth.Format(Map.BandwidthBitsPerSecond[0])} to {Bandwidth.Format(Map.BandwidthBitsPerSecond[^1])}, "
                + $"target {TargetName} {Durations.Format(Target)}; {feasibleFrom}; the chosen plan ({MigrationText.Strategy(Map.ChosenStrategy)}) at {Bandwidth.Format(Map.ChosenBitsPerSecond)}: {Durations.Format(ChosenValue)}.";
        }
    }
}
