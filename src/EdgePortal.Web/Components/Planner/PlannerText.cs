using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Components.Planner;

/// <summary>How the Planner words strategies, phases and numbers, and writes numbers into SVG.</summary>
public static class PlannerText
{
    /// <summary>A short name for chart labels.</summary>
    public static string StrategyShort(MigrationStrategy strategy) => strategy switch
    {
        MigrationStrategy.Cold => "Cold",
        MigrationStrategy.PreCopy => "Pre-copy",
        MigrationStrategy.IterativePreCopy => "Iterative",
        MigrationStrategy.MessageReplay => "Replay",
        MigrationStrategy.ReplayWithCutoff => "Cut-off",
        MigrationStrategy.PostCopy => "Post-copy",
        _ => strategy.ToString(),
    };

    public static string Objective(Objective objective) => objective switch
    {
        Core.Domain.Objective.MinDowntime => "Minimise downtime",
        Core.Domain.Objective.MinResources => "Minimise resources",
        _ => objective.ToString(),
    };

    /// <summary>A phase as the stacked bar names it: the frozen dump of pre-copy is the final dump, a live one a checkpoint.</summary>
    public static string Phase(MigrationStrategy strategy, PlannedStep step) => step.Kind switch
    {
        StepKind.PreDump => step.Round == 0 ? "Pre-dump" : $"Dump round {step.Round}",
        StepKind.Checkpoint => strategy switch
        {
            MigrationStrategy.Cold => "Dump",
            MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy => "Final dump",
            MigrationStrategy.PostCopy => "Lazy dump",
            _ => "Checkpoint (live)",
        },
        StepKind.ReplayMessages => step.Round == 0 ? "Replay" : "Drain after cut-off",
        StepKind.SwitchTraffic => "Switch",
        StepKind.PageIn => "Page-in",
        StepKind.Restore when strategy == MigrationStrategy.PostCopy => "Lazy restore",
        _ => step.Label,
    };

    /// <summary>A duration on a chart axis, compact but with its unit: 500 ms, 2 s, 100 s, 1.5 min.</summary>
    public static string AxisDuration(double milliseconds) => milliseconds switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0.#} ms"),
        < 600_000 => string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1_000:0.#} s"),
        < 7_200_000 => string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 60_000:0.#} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 3_600_000:0.#} h"),
    };

    /// <summary>Invariant number for SVG attributes.</summary>
    public static string Svg(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>An invariant number with the given format, for text people read.</summary>
    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>A logarithmic axis: maps [min, max] onto [from, to] pixels and picks readable ticks.</summary>
public readonly record struct LogScale(double Min, double Max, double From, double To)
{
    /// <summary>A scale spanning the finite positive values, snapped out to 1-2-5 steps.</summary>
    public static LogScale Covering(IEnumerable<double> values, double from, double to)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (!double.IsFinite(v) || v <= 0)
                continue;
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        if (double.IsPositiveInfinity(lo))
            (lo, hi) = (1, 10);
        lo = StepBelow(lo);
        hi = StepAbove(hi);
        if (hi <= lo)
            hi = StepAbove(lo * 1.01);
        return new LogScale(lo, hi, from, to);
    }

    public double this[double value]
    {
        get
        {
            var v = Math.Clamp(value, Min, Max);
            var t = (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min));
            return From + (To - From) * t;
        }
    }

    /// <summary>Decades; within them 3 when the axis spans at most 2.5 decades, 2 and 5 when at most 1.5 (so labels never crowd).</summary>
    public IReadOnlyList<double> Ticks()
    {
        var ticks = new List<double>();
        var span = Math.Log10(Max) - Math.Log10(Min);
        double[] steps = span <= 1.5 ? [1, 2, 5] : span <= 2.5 ? [1, 3] : [1];
        for (var decade = Math.Floor(Math.Log10(Min)); decade <= Math.Ceiling(Math.Log10(Max)); decade++)
            foreach (var step in steps)
            {
                var tick = step * Math.Pow(10, decade);
                if (tick >= Min * (1 - 1e-9) && tick <= Max * (1 + 1e-9))
                    ticks.Add(tick);
            }
        return ticks;
    }

    private static double StepBelow(double value)
    {
        var decade = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 5.0, 2.0, 1.0 })
            if (step * decade <= value)
                return step * decade;
        return decade;
    }

    private static double StepAbove(double value)
    {
        var decade = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in new[] { 1.0, 2.0, 5.0, 10.0 })
            if (step * decade >= value)
                return step * decade;
        return 10 * decade;
    }
}
