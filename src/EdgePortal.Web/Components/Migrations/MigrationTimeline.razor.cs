using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Migrations;

public partial class MigrationTimeline
{
    private const double Width = 1000;
    private const double LabelWidth = 150;
    private const double RightPad = 16;
    private const double AxisHeight = 24;
    private const double BandLabelHeight = 18;
    private const double RowHeight = 40;
    private const double BottomPad = 4;
    private const double PlotWidth = Width - LabelWidth - RightPad;

    // Ids unique per instance: two timelines on a page must not share a pattern or a title.
    private readonly string _titleId = "timeline-title-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _captionId = "timeline-caption-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _hatchId = "timeline-hatch-" + Guid.NewGuid().ToString("N")[..8];

    [Parameter, EditorRequired] public MigrationTimelineViewModel Model { get; set; } = null!;

    private double Height => AxisHeight + BandLabelHeight + Model.Bars.Count * RowHeight + BottomPad;

    private string Summary
    {
        get
        {
            var done = Model.Bars.Count(b => b.Status == StepStatus.Succeeded);
            var running = Model.Bars.FirstOrDefault(b => b.Status == StepStatus.Running);
            var failed = Model.Bars.FirstOrDefault(b => b.Status == StepStatus.Failed);
            var state = failed is not null ? $"{failed.Label} failed" : running is not null ? $"{running.Label} running" : $"{done} of {Model.Bars.Count} steps done";
            return $"Timeline of {Model.Bars.Count} steps, predicted beside measured: {state}.";
        }
    }

    private static double RowTop(int index) => AxisHeight + BandLabelHeight + index * RowHeight;

    private string X(double ms, double offset = 0) => MigrationText.Svg(LabelWidth + Scale(ms) + offset);

    private string W(double ms, double minimum = 1) => MigrationText.Svg(Math.Max(minimum, Scale(ms)));

    private double Scale(double ms) => Math.Clamp(ms / Model.AxisMs, 0, 1) * PlotWidth;

    /// <summary>The value goes right of the bar, or left of it when the bar ends near the right edge.</summary>
    private (string X, string Anchor) ValueAnchor(double start, double measured)
    {
        var end = Scale(start + measured);
        return end > PlotWidth * 0.62
            ? (MigrationText.Svg(LabelWidth + Scale(start) - 4), "end")
            : (MigrationText.Svg(LabelWidth + end + 4), "start");
    }

    /// <summary>The band's label starts at its left edge, or ends at its right edge when the band sits near the end of the axis.</summary>
    private (string X, string Anchor) WindowLabelAnchor(TimelineWindowViewModel window)
        => Scale(window.StartMs) > PlotWidth * 0.7
            ? (MigrationText.Svg(LabelWidth + Math.Max(Scale(window.EndMs), Scale(window.StartMs) + 2) - 3), "end")
            : (X(window.StartMs, 3), "start");

    private static string StatusClass(StepStatus status) => status switch
    {
        StepStatus.Running => "running",
        StepStatus.Succeeded => "succeeded",
        StepStatus.Failed => "failed",
        StepStatus.Skipped => "skipped",
        _ => "pending",
    };

    private static string BarText(TimelineBarViewModel bar) => bar.Status switch
    {
        StepStatus.Running => $"running · {Durations.Format(bar.MeasuredMs ?? 0)}",
        StepStatus.Failed => $"✕ failed: {Shorten(bar.Message ?? "no reason given", 70)}",
        _ => Durations.Format(bar.MeasuredMs ?? 0),
    };

    private static string MeasuredTitle(TimelineBarViewModel bar) => bar.Status switch
    {
        StepStatus.Running => $"running for {Durations.Format(bar.MeasuredMs ?? 0)} (predicted {Durations.Format(bar.PredictedMs)})",
        StepStatus.Failed => $"failed after {Durations.Format(bar.MeasuredMs ?? 0)}: {bar.Message}",
        _ => $"measured: {Durations.Format(bar.MeasuredMs ?? 0)} (predicted {Durations.Format(bar.PredictedMs)})",
    };

    private static string WindowLabel(TimelineWindowViewModel window)
        => window.Measured
            ? $"downtime {Durations.Format(window.DurationMs)}{(window.Open ? " so far" : "")}"
            : $"downtime (predicted {Durations.Format(window.DurationMs)})";

    private string TickLabel(double ms)
    {
        if (ms == 0)
            return "0";
        // One unit for the whole axis, so the labels read as a scale.
        return Model.AxisMs >= 2_000
            ? MigrationText.Svg(Math.Round(ms / 1_000, 2)) + " s"
            : MigrationText.Svg(Math.Round(ms)) + " ms";
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
