using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Planner;

/// <summary>A stacked bar of the chosen plan's predicted phases with the downtime shaded and labelled.</summary>
public sealed partial class PhaseBar
{
    private const double Width = 1000;
    private const double Height = 130;
    private const double BarTop = 34;
    private const double BarHeight = 44;
    private const double AxisY = BarTop + BarHeight + 4;
    /// <summary>Where the degradation window's bracket runs, below the axis labels.</summary>
    private const double DegradationY = AxisY + 22;
    /// <summary>The narrowest a phase is drawn, so that a 1 ms transfer is still there to see and to hover.</summary>
    private const double MinWidth = 4;

    private readonly string _titleId = "phase-title-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _captionId = "phase-caption-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _hatchId = "phase-hatch-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dotsId = "phase-dots-" + Guid.NewGuid().ToString("N")[..8];
    private (double X, double Width)? _degraded;
    private (double X, double Width)[] _boxes = [];
    private (double X, double Width)? _downtime;
    private double _totalMs = 1;
    private IReadOnlyList<double> _ticks = [];
    private IReadOnlyList<LegendItem> _legend = [];

    /// <summary>The phases, in order (<see cref="PhaseSegmentViewModel.From"/>).</summary>
    [Parameter, EditorRequired] public IReadOnlyList<PhaseSegmentViewModel> Segments { get; set; } = [];

    /// <summary>The plan's predicted downtime (the sum of the downtime phases).</summary>
    [Parameter, EditorRequired] public double DowntimeMs { get; set; }

    /// <summary>The predicted degradation window (post-copy's page-in), the sum of the degraded phases; 0 when there is none.</summary>
    private double DegradationMs => Segments.Where(s => s.IsDegraded).Sum(s => s.DurationMs);

    protected override void OnParametersSet()
    {
        _totalMs = Math.Max(1e-9, Segments.Sum(s => s.DurationMs));
        _boxes = Layout(Segments.Select(s => s.DurationMs).ToArray(), Width, MinWidth);
        _downtime = null;
        for (var i = 0; i < Segments.Count; i++)
        {
            if (!Segments[i].IsDowntime)
                continue;
            var (x, w) = _boxes[i];
            _downtime = _downtime is { } d ? (d.X, x + w - d.X) : (x, w);
        }
        _degraded = null;
        for (var i = 0; i < Segments.Count; i++)
        {
            if (!Segments[i].IsDegraded)
                continue;
            var (x, w) = _boxes[i];
            _degraded = _degraded is { } g ? (g.X, x + w - g.X) : (x, w);
        }
        _ticks = Ticks(_totalMs);
        _legend = Legend(Segments);
    }

    /// <summary>One line of the legend; a run of equal dump rounds is one line ("Dump rounds 1–10, 239 ms each").</summary>
    internal sealed record LegendItem(string Label, string Time, string CssClass, bool IsDowntime, bool IsDegraded = false);

    internal static IReadOnlyList<LegendItem> Legend(IReadOnlyList<PhaseSegmentViewModel> segments)
    {
        var items = new List<LegendItem>(segments.Count);
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var end = i;
            if (s.Kind == StepKind.PreDump && s.Label.StartsWith("Dump round ", StringComparison.Ordinal))
                while (end + 1 < segments.Count && segments[end + 1].Kind == StepKind.PreDump && segments[end + 1].IsDowntime == s.IsDowntime
                       && Math.Abs(segments[end + 1].DurationMs - s.DurationMs) <= 1e-6 * Math.Max(1, s.DurationMs))
                    end++;
            if (end > i)
            {
                var first = s.Label["Dump round ".Length..];
                var last = segments[end].Label["Dump round ".Length..];
                items.Add(new LegendItem($"Dump rounds {first}–{last}", $"{Durations.Format(s.DurationMs)} each", SegmentClass(s), s.IsDowntime));
                i = end;
            }
            else
                items.Add(new LegendItem(s.Label, Durations.Format(s.DurationMs), SegmentClass(s), s.IsDowntime, s.IsDegraded));
        }
        return items;
    }

    /// <summary>Proportional widths that fill <paramref name="width"/>, none below <paramref name="min"/>.</summary>
    internal static (double X, double Width)[] Layout(double[] durations, double width, double min)
    {
        var boxes = new (double X, double Width)[durations.Length];
        if (durations.Length == 0)
            return boxes;
        var small = new bool[durations.Length];
        var total = durations.Sum(d => Math.Max(0, d));
        // Phases below the minimum get it; the rest share what is left in proportion. Two passes settle it.
        for (var pass = 0; pass < 2; pass++)
        {
            var smallCount = small.Count(s => s);
            var rest = durations.Where((_, i) => !small[i]).Sum(d => Math.Max(0, d));
            var scale = rest > 0 ? Math.Max(0, width - smallCount * min) / rest : 0;
            for (var i = 0; i < durations.Length; i++)
                if (!small[i] && Math.Max(0, durations[i]) * scale < min)
                    small[i] = true;
        }
        var left = durations.Where((_, i) => !small[i]).Sum(d => Math.Max(0, d));
        var k = left > 0 ? Math.Max(0, width - small.Count(s => s) * min) / left : 0;
        var x = 0.0;
        for (var i = 0; i < durations.Length; i++)
        {
            var w = small[i] ? min : Math.Max(0, durations[i]) * k;
            if (total <= 0)
                w = width / durations.Length;
            boxes[i] = (x, w);
            x += w;
        }
        return boxes;
    }

    private static IReadOnlyList<double> Ticks(double totalMs)
    {
        // About five ticks at a 1-2-5 step.
        var raw = totalMs / 5;
        var decade = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(s => s * decade).First(s => s >= raw);
        var ticks = new List<double>();
        for (var t = 0.0; t <= totalMs * (1 + 1e-9); t += step)
            ticks.Add(t);
        return ticks;
    }

    private string Summary => $"Predicted phases, {Durations.Format(_totalMs)} in all: "
        + string.Join(", ", Segments.Select(Describe)) + $". Downtime {Durations.Format(DowntimeMs)}."
        + (_degraded is null ? "" : $" Degradation window {Durations.Format(DegradationMs)}.");

    private static string Describe(PhaseSegmentViewModel s) =>
        $"{s.Label} {Durations.Format(s.DurationMs)}{(s.IsDowntime ? " (service down)" : s.IsDegraded ? " (degraded: pages follow from the source)" : "")}";

    private static string SegmentClass(PhaseSegmentViewModel s) =>
        $"phase kind-{s.Kind.ToString().ToLowerInvariant()}{(s.IsDowntime ? " downtime" : "")}{(s.IsDegraded ? " degraded" : "")}";

    private static string DegradationPath(double x, double width)
    {
        var y = DegradationY;
        return $"M{PlannerText.Svg(x + 1)},{PlannerText.Svg(y - 6)} V{PlannerText.Svg(y)} H{PlannerText.Svg(x + width - 1)} V{PlannerText.Svg(y - 6)}";
    }

    private static double EstimateTextWidth(string text) => text.Length * 6.6;

    private static string BracketPath(double x, double width)
    {
        var y = BarTop - 6;
        return $"M{PlannerText.Svg(x + 1)},{PlannerText.Svg(BarTop - 1)} V{PlannerText.Svg(y)} H{PlannerText.Svg(x + width - 1)} V{PlannerText.Svg(BarTop - 1)}";
    }

    // The label sits over the bracket's middle, pushed inside the drawing near either edge.
    private static double LabelX(double x, double width)
    {
        var mid = x + width / 2;
        return mid > Width - 90 ? x + width : mid < 90 ? x : mid;
    }

    private static string LabelAnchor(double x, double width)
    {
        var mid = x + width / 2;
        return mid > Width - 90 ? "end" : mid < 90 ? "start" : "middle";
    }

    private static string TickAnchor(double x) => x < 20 ? "start" : x > Width - 30 ? "end" : "middle";
}
