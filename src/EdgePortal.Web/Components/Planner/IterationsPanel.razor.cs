using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Planner;

/// <summary>Iterative pre-copy against its dump rounds, one panel of the <see cref="FeasibilityMap"/>.</summary>
public sealed partial class IterationsPanel
{
    private const double Width = 460;
    private const double Height = 250;
    private const double Left = 58;
    private const double Right = 88;
    private const double Top = 22;
    private const double Bottom = 40;
    private const double PlotWidth = Width - Left - Right;
    private const double PlotHeight = Height - Top - Bottom;

    private readonly string _titleId = "iterations-panel-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _hatchId = "iterations-hatch-" + Guid.NewGuid().ToString("N")[..8];
    private double _max = 1;
    private IReadOnlyList<double> _ticks = [];

    [Parameter, EditorRequired] public FeasibilityMapViewModel Map { get; set; } = null!;

    private double Slot => PlotWidth / Math.Max(1, Map.IterationPoints.Count);
    private double BarWidth => Slot * 0.62;

    protected override void OnParametersSet()
    {
        var top = Map.IterationPoints.Select(p => p.MigrationTimeMs).Where(double.IsFinite)
            .Append(Map.MaxMigrationTimeMs).Append(Map.MaxDowntimeMs).Max();
        _ticks = LinearTicks(top * 1.08);
        _max = Math.Max(top * 1.08, _ticks[^1]);
    }

    /// <summary>0 and about five more ticks at a 1-2-5 step, the last at or above <paramref name="max"/>.</summary>
    internal static IReadOnlyList<double> LinearTicks(double max)
    {
        var raw = Math.Max(max, 1e-9) / 5;
        var decade = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(s => s * decade).First(s => s >= raw);
        var ticks = new List<double>();
        for (var t = 0.0; ; t += step)
        {
            ticks.Add(t);
            if (t >= max)
                break;
        }
        return ticks;
    }

    private double BarX(int iterations) => Left + iterations * Slot + (Slot - BarWidth) / 2;

    private double Y(double ms) => Top + PlotHeight * (1 - Math.Clamp(double.IsFinite(ms) ? ms / _max : 1, 0, 1));

    private double H(double ms) => Math.Max(0.5, Top + PlotHeight - Y(ms));

    // When the two target lines nearly meet, θ_down's label goes below its line.
    private double DowntimeLabelNudge => Math.Abs(Y(Map.MaxDowntimeMs) - Y(Map.MaxMigrationTimeMs)) < 12 ? 11 : 0;

    private static string BarClass(IterationPointViewModel point, bool chosen)
        => $"iteration{(point.Feasible ? " feasible" : " infeasible")}{(chosen ? " chosen" : "")}";

    private static string Describe(IterationPointViewModel p)
        => $"I = {p.Iterations}: migration time {Durations.Format(p.MigrationTimeMs)}, downtime {Durations.Format(p.DowntimeMs)}{(p.Feasible ? ", meets both targets" : ", misses a target")}";

    private string Summary
    {
        get
        {
            var fitting = Map.IterationPoints.Where(p => p.Feasible).Select(p => p.Iterations).ToList();
            var fits = fitting.Count == 0 ? "no number of rounds meets both targets" : $"{fitting.Count} of {Map.IterationPoints.Count} round counts meet both targets (up to I = {fitting.Max()})";
            var chosen = Map.ChosenIterations is { } i ? $"; the plan uses I = {i}" : "";
            return $"Iterative pre-copy at {Bandwidth.Format(Map.IterationsBitsPerSecond)} with 0 to {Map.IterationPoints.Count - 1} dump rounds against "
                + $"{PlanConstraints.MigrationTime} {Durations.Format(Map.MaxMigrationTimeMs)} and {PlanConstraints.Downtime} {Durations.Format(Map.MaxDowntimeMs)}: {fits}{chosen}.";
        }
    }
}
