using EdgePortal.Core.Domain;
using EdgePortal.Web.Migrations;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>
/// A migration's steps laid on one time axis that starts when the migration started: each step's predicted
/// bar (the plan's durations end to end) beside its measured bar (the measured durations end to end, the running
/// step growing with the clock), and the windows in which the service was down.
/// </summary>
/// <remarks>
/// Measured bars are laid end to end rather than at their wall-clock offsets: a runtime may report its own
/// measurement of a step (CRIU's statistics, the simulator's virtual clock), which need not match the wall clock.
/// </remarks>
public sealed record MigrationTimelineViewModel
{
    public required IReadOnlyList<TimelineBarViewModel> Bars { get; init; }
    /// <summary>The length of the axis, in ms: the longer of the predicted and measured timelines, with some room.</summary>
    public required double AxisMs { get; init; }
    /// <summary>Where the axis is labelled, in ms from the start.</summary>
    public required IReadOnlyList<double> Ticks { get; init; }
    public required IReadOnlyList<TimelineWindowViewModel> DowntimeWindows { get; init; }
    /// <summary>False while queued: only the prediction can be drawn.</summary>
    public required bool Started { get; init; }

    public static MigrationTimelineViewModel Build(MigrationViewModel migration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(migration);
        var bars = new List<TimelineBarViewModel>(migration.Steps.Count);
        double predictedAt = 0, measuredAt = 0;
        foreach (var step in migration.Steps)
        {
            double? measuredMs = step.Status switch
            {
                StepStatus.Succeeded or StepStatus.Failed => step.MeasuredMs ?? Elapsed(step.StartedAt, step.FinishedAt ?? now),
                StepStatus.Running => Elapsed(step.StartedAt, now),
                _ => null,
            };
            bars.Add(new TimelineBarViewModel
            {
                Index = step.Index,
                Label = step.Label,
                IsDowntime = step.IsDowntime,
                Status = step.Status,
                PredictedStartMs = predictedAt,
                PredictedMs = step.PredictedMs,
                MeasuredStartMs = measuredMs is null ? null : measuredAt,
                MeasuredMs = measuredMs,
                Message = step.Message,
            });
            predictedAt += step.PredictedMs;
            measuredAt += measuredMs ?? 0;
        }
        var axis = Math.Max(Math.Max(predictedAt, measuredAt), 1) * 1.08;
        return new MigrationTimelineViewModel
        {
            Bars = bars,
            AxisMs = axis,
            Ticks = TicksFor(axis),
            DowntimeWindows = Windows(bars),
            Started = migration.StartedAt is not null,
        };
    }

    /// <summary>Consecutive downtime steps make one window: measured where the first of them has started, predicted otherwise.</summary>
    private static List<TimelineWindowViewModel> Windows(IReadOnlyList<TimelineBarViewModel> bars)
    {
        var windows = new List<TimelineWindowViewModel>();
        var i = 0;
        while (i < bars.Count)
        {
            if (!bars[i].IsDowntime)
            {
                i++;
                continue;
            }
            var first = i;
            while (i < bars.Count && bars[i].IsDowntime)
                i++;
            var run = bars.Skip(first).Take(i - first).ToList();
            if (run[0].MeasuredStartMs is { } start)
            {
                var measured = run.Where(b => b.MeasuredMs is not null).ToList();
                var end = measured.Max(b => b.MeasuredStartMs!.Value + b.MeasuredMs!.Value);
                windows.Add(new TimelineWindowViewModel { StartMs = start, EndMs = end, Measured = true, Open = run.Any(b => b.Status is StepStatus.Running or StepStatus.Pending) });
            }
            else
            {
                windows.Add(new TimelineWindowViewModel
                {
                    StartMs = run[0].PredictedStartMs,
                    EndMs = run[^1].PredictedStartMs + run[^1].PredictedMs,
                    Measured = false,
                    Open = false,
                });
            }
        }
        return windows;
    }

    /// <summary>Round tick spacing (1, 2 or 5 × 10ⁿ ms) giving four to ten ticks.</summary>
    internal static IReadOnlyList<double> TicksFor(double axisMs)
    {
        var raw = axisMs / 6;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1d, 2, 5, 10 }.Select(f => f * magnitude).First(s => s >= raw);
        var ticks = new List<double>();
        for (var t = 0d; t <= axisMs + 1e-9; t += step)
            ticks.Add(t);
        return ticks;
    }

    private static double? Elapsed(DateTimeOffset? from, DateTimeOffset to)
        => from is { } start ? Math.Max(0, (to - start).TotalMilliseconds) : null;
}

public sealed record TimelineBarViewModel
{
    public required int Index { get; init; }
    public required string Label { get; init; }
    public required bool IsDowntime { get; init; }
    public required StepStatus Status { get; init; }
    public required double PredictedStartMs { get; init; }
    public required double PredictedMs { get; init; }
    /// <summary>Null until the step starts.</summary>
    public double? MeasuredStartMs { get; init; }
    /// <summary>The measured duration; for the running step, how long it has run so far.</summary>
    public double? MeasuredMs { get; init; }
    /// <summary>The runtime's message (a failed step's error text).</summary>
    public string? Message { get; init; }
}

/// <summary>A stretch of the axis during which the service did not serve.</summary>
public sealed record TimelineWindowViewModel
{
    public required double StartMs { get; init; }
    public required double EndMs { get; init; }
    /// <summary>True when measured, false when only predicted (the steps have not started).</summary>
    public required bool Measured { get; init; }
    /// <summary>True while a downtime step of the window is still running or to come.</summary>
    public required bool Open { get; init; }

    public double DurationMs => EndMs - StartMs;
}
