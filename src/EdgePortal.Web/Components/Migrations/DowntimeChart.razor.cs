using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Migrations;

public partial class DowntimeChart
{
    private const double Width = 640;
    private const double Height = 260;
    private const double Left = 70;
    private const double Right = 10;
    private const double Top = 14;
    private const double Bottom = 36;
    private const double PlotHeight = Height - Top - Bottom;

    private readonly string _titleId = "downtime-title-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _hatchId = "downtime-hatch-" + Guid.NewGuid().ToString("N")[..8];
    private double _min = 1;
    private double _max = 10;
    private IReadOnlyList<double> _ticks = [];
    private IReadOnlyList<double> _minorTicks = [];

    /// <summary>The migrations to draw, oldest first.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<DowntimePointViewModel> Points { get; set; } = [];

    private double GroupWidth => (Width - Left - Right) / Math.Max(1, Points.Count);

    /// <summary>
    /// A logarithmic axis from the decade below the smallest figure to the decade above the largest: downtimes
    /// and targets span 50 ms to tens of seconds, and a linear axis would flatten the short ones to nothing.
    /// </summary>
    protected override void OnParametersSet()
    {
        var values = Points.SelectMany(p => new[] { p.TargetMs, p.MeasuredMs, p.PredictedMs }).Where(v => v > 0).DefaultIfEmpty(1).ToList();
        _min = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(1, values.Min()))));
        _max = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(_min * 10, values.Max() * 1.05))));
        var ticks = new List<double>();
        var minor = new List<double>();
        for (var decade = _min; decade <= _max * 1.0001; decade *= 10)
        {
            ticks.Add(decade);
            foreach (var f in new[] { 2d, 5d })
                if (decade * f < _max)
                    minor.Add(decade * f);
        }
        _ticks = ticks;
        _minorTicks = minor;
    }

    private string Summary
    {
        get
        {
            var missed = Points.Count(p => p.MissedTarget);
            return $"Downtime of the last {Points.Count} completed migrations against their targets: {missed} over target.";
        }
    }

    private double Fraction(double ms) => Math.Clamp(Math.Log10(Math.Max(ms, _min) / _min) / Math.Log10(_max / _min), 0, 1);

    private string Y(double ms, double offset = 0) => MigrationText.Svg(Top + PlotHeight * (1 - Fraction(ms)) + offset);

    private string H(double ms) => MigrationText.Svg(Math.Max(1, PlotHeight * Fraction(ms)));

    private static string PointLabel(DowntimePointViewModel p)
        => $"{p.ServiceName}: measured {Durations.Format(p.MeasuredMs)}, predicted {Durations.Format(p.PredictedMs)}, target {Durations.Format(p.TargetMs)}{(p.MissedTarget ? " (over target)" : "")}, finished {p.FinishedAt.UtcDateTime.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)} UTC";

    private string Shorten(string name)
    {
        var max = Math.Max(4, (int)(GroupWidth / 6.5));
        return name.Length <= max ? name : name[..(max - 1)] + "…";
    }
}
