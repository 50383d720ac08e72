using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Planning;

namespace EdgePortal.Web.Components.Planner;

/// <summary>One phase of the chosen plan on the stacked bar: where it starts, how long it takes, whether the service is down.</summary>
public sealed record PhaseSegmentViewModel
{
    public required StepKind Kind { get; init; }
    public required string Label { get; init; }
    public required double StartMs { get; init; }
    public required double DurationMs { get; init; }
    public required bool IsDowntime { get; init; }
    /// <summary>Post-copy's page-in: the service runs, but depends on the source and pays a round trip on each missing page.</summary>
    public bool IsDegraded => Kind == StepKind.PageIn;

    /// <summary>The phases of a plan that make up its migration time, in order (Profile and CleanUp lie outside T_mig).</summary>
    public static IReadOnlyList<PhaseSegmentViewModel> From(MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var segments = new List<PhaseSegmentViewModel>(plan.Steps.Count);
        var at = 0.0;
        foreach (var step in plan.Steps)
        {
            if (step.Kind is StepKind.Profile or StepKind.CleanUp)
                continue;
            segments.Add(new PhaseSegmentViewModel
            {
                Kind = step.Kind,
                Label = PlannerText.Phase(plan.Strategy, step),
                StartMs = at,
                DurationMs = step.PredictedMs,
                IsDowntime = step.IsDowntime,
            });
            at += step.PredictedMs;
        }
        return segments;
    }
}

/// <summary>One strategy's predictions across the bandwidth grid (NaN where it has none, e.g. a replay that never drains).</summary>
public sealed record StrategyCurveViewModel
{
    public required MigrationStrategy Strategy { get; init; }
    public required IReadOnlyList<double> DowntimeMs { get; init; }
    public required IReadOnlyList<double> MigrationTimeMs { get; init; }
    /// <summary>Iterations the IterativePreCopy curve is drawn with (0 for the other strategies).</summary>
    public required int Iterations { get; init; }
}

/// <summary>IterativePreCopy with I dump rounds at one bandwidth.</summary>
public sealed record IterationPointViewModel(int Iterations, double DowntimeMs, double MigrationTimeMs, bool Feasible);

/// <summary>
/// What the feasibility map draws: every applicable strategy's downtime and migration time against bandwidth
/// (as configured for minimum downtime: all the bandwidth, IterativePreCopy with the chosen rounds), where a
/// plan meeting both targets exists, the targets, the chosen point, and IterativePreCopy against its rounds.
/// </summary>
public sealed record FeasibilityMapViewModel
{
    /// <summary>Points of the bandwidth axis per decade.</summary>
    public const int PointsPerDecade = 16;

    public required IReadOnlyList<double> BandwidthBitsPerSecond { get; init; }
    public required IReadOnlyList<StrategyCurveViewModel> Curves { get; init; }
    /// <summary>Whether the designer finds a plan meeting both targets at each grid bandwidth (with the objective as set).</summary>
    public required IReadOnlyList<bool> FeasibleAt { get; init; }
    public required double AvailableBitsPerSecond { get; init; }
    public required double MaxDowntimeMs { get; init; }
    public required double MaxMigrationTimeMs { get; init; }
    public required MigrationStrategy ChosenStrategy { get; init; }
    public required double ChosenBitsPerSecond { get; init; }
    public required double ChosenDowntimeMs { get; init; }
    public required double ChosenMigrationTimeMs { get; init; }
    public required bool ChosenFeasible { get; init; }
    /// <summary>IterativePreCopy with 0..MaxIterations rounds at <see cref="IterationsBitsPerSecond"/>.</summary>
    public required IReadOnlyList<IterationPointViewModel> IterationPoints { get; init; }
    public required double IterationsBitsPerSecond { get; init; }
    /// <summary>The rounds of the plan when it pre-copies, else null.</summary>
    public required int? ChosenIterations { get; init; }

    /// <summary>The least grid bandwidth at which a plan meets both targets, or null when none does.</summary>
    public double? FeasibleFromBitsPerSecond
    {
        get
        {
            for (var i = 0; i < FeasibleAt.Count; i++)
                if (FeasibleAt[i])
                    return BandwidthBitsPerSecond[i];
            return null;
        }
    }

    /// <summary>The map for <paramref name="input"/>, whose design is <paramref name="design"/>.</summary>
    public static FeasibilityMapViewModel Build(WhatIfInput input, DesignResult design)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(design);
        var plan = design.Plan;
        var grid = Grid(input.BandwidthBitsPerSecond, plan.ReservedBandwidth.BitsPerSecond);

        var iterative = design.Strategies.First(s => s.Strategy == MigrationStrategy.IterativePreCopy);
        var rounds = plan.Strategy == MigrationStrategy.IterativePreCopy ? plan.Iterations : iterative.Iterations;
        // The curves show what bandwidth buys: every strategy with all of it, IterativePreCopy with fixed rounds.
        var physics = input with { Objective = Objective.MinDowntime, Iterations = rounds };
        var applicable = design.Strategies.Where(s => s.Applicable).Select(s => s.Strategy).ToList();
        var down = applicable.ToDictionary(s => s, _ => new double[grid.Length]);
        var total = applicable.ToDictionary(s => s, _ => new double[grid.Length]);
        var feasible = new bool[grid.Length];
        for (var i = 0; i < grid.Length; i++)
        {
            foreach (var evaluation in WhatIf.Compare(physics.AtBandwidth(grid[i])))
            {
                if (!down.TryGetValue(evaluation.Strategy, out var d))
                    continue;
                d[i] = Finite(evaluation.PredictedDowntimeMs);
                total[evaluation.Strategy][i] = Finite(evaluation.PredictedMigrationTimeMs);
            }
            feasible[i] = WhatIf.Design(input.AtBandwidth(grid[i])).Feasible;
        }

        var iterationsAt = plan.Strategy is MigrationStrategy.IterativePreCopy or MigrationStrategy.PreCopy
            ? plan.ReservedBandwidth.BitsPerSecond
            : input.BandwidthBitsPerSecond;
        var maxRounds = WhatIf.Parameters(input).MaxIterations;
        var iterationPoints = new IterationPointViewModel[maxRounds + 1];
        for (var n = 0; n <= maxRounds; n++)
        {
            var at = WhatIf.Compare(input with { Objective = Objective.MinDowntime, Iterations = n, BandwidthBitsPerSecond = iterationsAt })
                .First(s => s.Strategy == MigrationStrategy.IterativePreCopy);
            iterationPoints[n] = new IterationPointViewModel(n, Finite(at.PredictedDowntimeMs), Finite(at.PredictedMigrationTimeMs), at.Feasible);
        }

        return new FeasibilityMapViewModel
        {
            BandwidthBitsPerSecond = grid,
            Curves = applicable.Select(s => new StrategyCurveViewModel
            {
                Strategy = s,
                DowntimeMs = down[s],
                MigrationTimeMs = total[s],
                Iterations = s == MigrationStrategy.IterativePreCopy ? rounds : 0,
            }).ToList(),
            FeasibleAt = feasible,
            AvailableBitsPerSecond = input.BandwidthBitsPerSecond,
            MaxDowntimeMs = input.MaxDowntimeMs,
            MaxMigrationTimeMs = input.MaxMigrationTimeMs,
            ChosenStrategy = plan.Strategy,
            ChosenBitsPerSecond = plan.ReservedBandwidth.BitsPerSecond,
            ChosenDowntimeMs = plan.PredictedDowntimeMs,
            ChosenMigrationTimeMs = plan.PredictedMigrationTimeMs,
            ChosenFeasible = plan.Feasible,
            IterationPoints = iterationPoints,
            IterationsBitsPerSecond = iterationsAt,
            ChosenIterations = plan.Strategy switch
            {
                MigrationStrategy.IterativePreCopy => plan.Iterations,
                MigrationStrategy.PreCopy => 0,
                _ => null,
            },
        };
    }

    /// <summary>Log-spaced bandwidths from 10 Mbit/s to 10 Gbit/s, widened by whole decades to take in the given ones.</summary>
    public static double[] Grid(params double[] mustInclude)
    {
        var lo = 7.0;
        var hi = 10.0;
        foreach (var bps in mustInclude)
        {
            if (!(bps > 0) || !double.IsFinite(bps))
                continue;
            lo = Math.Min(lo, Math.Floor(Math.Log10(bps)));
            hi = Math.Max(hi, Math.Ceiling(Math.Log10(bps)));
        }
        var count = (int)Math.Round((hi - lo) * PointsPerDecade) + 1;
        var grid = new double[count];
        for (var i = 0; i < count; i++)
            grid[i] = Math.Pow(10, lo + (hi - lo) * i / (count - 1));
        return grid;
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : double.NaN;
}
