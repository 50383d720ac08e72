using System.Globalization;
using System.Text;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// Configures a migration to meet its KPI targets ([PAM] eqs. 33–34, [MOSE] Fig. 5, [MS2M]): it evaluates
/// every strategy at a destination, keeps those that meet θ_down and θ_mig within the bandwidth available,
/// picks one by the objective, and lays out the plan's steps with their predicted times. When nothing is
/// feasible it returns the nearest configuration and says what would make it feasible.
/// </summary>
/// <remarks>
/// <para>How each strategy is configured: under MinDowntime (MD) it gets all the bandwidth available and
/// IterativePreCopy the most rounds that fit θ_mig ([PAM] eq. 34, capped at <see cref="PamParameters.MaxIterations"/>);
/// under MinResources (MR) it reserves the least bandwidth that meets both targets ([PAM] eq. 33 and its θ_mig
/// counterpart), rounded up to <see cref="PamParameters.BandwidthGranularityBitsPerSecond"/>, and IterativePreCopy
/// runs one round (every round costs bandwidth and CPU).</para>
/// <para>The choice: MD takes the lowest downtime, then more pre-copy rounds (as [MOSE]'s MD does: the
/// worst-case model gives every round the same downtime, while real rounds shrink the dirty set), then the
/// shorter total; MR takes the least reserved bandwidth, then the shorter total. Note that ranking MR by
/// reserved bandwidth can prefer PreCopy to [MOSE]'s Cold when θ_mig is loose (a longer migration needs a
/// smaller rate); <see cref="MoseAlgorithm"/> gives [MOSE]'s own answer.</para>
/// <para>Steps and T_add: Restore carries T_r plus the part of T_add that prepares the target
/// (T_add − <see cref="PamParameters.SwitchMs"/>), SwitchTraffic carries <see cref="PamParameters.SwitchMs"/>. The
/// downtime steps add up to the predicted downtime, and all steps except Profile and CleanUp (constants of the
/// parameter set, outside T_mig as in [PAM]) to the predicted migration time.</para>
/// </remarks>
public sealed class MigrationDesigner
{
    private static readonly MigrationStrategy[] AllStrategies =
    [
        MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy,
        MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff,
    ];

    /// <summary>Designs the migration: the best destination (in the order user latency, bandwidth, load) with a feasible plan, or the nearest plan.</summary>
    public DesignResult Design(DesignRequest request)
    {
        Validate(request);
        var destinations = request.Destinations;
        var order = new int[destinations.Count];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        if (order.Length > 1)
            Array.Sort(order, (a, b) => CompareDestinations(destinations[a], destinations[b], a, b));
        return DesignInOrder(request, order);
    }

    /// <summary>Designs over destinations already ranked best first (the planner's path; no re-sorting).</summary>
    internal DesignResult DesignRanked(DesignRequest request)
    {
        Validate(request);
        var order = new int[request.Destinations.Count];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        return DesignInOrder(request, order);
    }

    /// <summary>Evaluates every strategy for one destination and returns the comparison without choosing.</summary>
    public IReadOnlyList<StrategyEvaluation> Compare(DesignRequest request, DestinationCandidate destination)
    {
        Validate(request);
        ArgumentNullException.ThrowIfNull(destination);
        var inputs = new Inputs(request);
        inputs.At(destination, request.BandwidthCap);
        var evaluations = new StrategyEvaluation[AllStrategies.Length];
        for (var i = 0; i < AllStrategies.Length; i++)
            evaluations[i] = ToEvaluation(inputs, Assess(inputs, AllStrategies[i]));
        return evaluations;
    }

    private static DesignResult DesignInOrder(DesignRequest request, int[] order)
    {
        // Only numbers are computed per destination; steps, evaluations and text only for the answer.
        var considered = new List<DestinationAssessment>(Math.Min(order.Length, 4));
        var inputs = new Inputs(request);
        var current = new Assessment[AllStrategies.Length];
        var nearest = new Assessment[AllStrategies.Length];
        int nearestIndex = -1, nearestChoice = -1;
        var nearestScore = double.PositiveInfinity;
        foreach (var index in order)
        {
            var candidate = request.Destinations[index];
            inputs.At(candidate, request.BandwidthCap);
            for (var i = 0; i < AllStrategies.Length; i++)
                current[i] = Assess(inputs, AllStrategies[i]);
            var (chosen, feasibleCount) = Choose(current, request.StrategyOverride, inputs.Objective);
            var best = current[chosen];
            considered.Add(new DestinationAssessment(candidate, best.Strategy, best.Feasible, best.Binding, best.DowntimeMs, best.MigrationTimeMs));
            if (best.Feasible)
                return Build(request, inputs, candidate, current, chosen, feasibleCount, considered);
            var score = best.Applicable ? best.Score : double.PositiveInfinity;
            if (nearestIndex < 0 || score < nearestScore)
            {
                (current, nearest) = (nearest, current);
                nearestIndex = index;
                nearestChoice = chosen;
                nearestScore = score;
            }
        }
        var destination = request.Destinations[nearestIndex];
        inputs.At(destination, request.BandwidthCap);
        var (_, feasibleThere) = Choose(nearest, request.StrategyOverride, inputs.Objective);
        return Build(request, inputs, destination, nearest, nearestChoice, feasibleThere, considered);
    }

    /// <summary>The index of the strategy to plan, and how many were feasible.</summary>
    private static (int Chosen, int FeasibleCount) Choose(Assessment[] assessments, MigrationStrategy? forced, Objective objective)
    {
        var chosen = -1;
        var feasibleCount = 0;
        for (var i = 0; i < assessments.Length; i++)
        {
            if (!assessments[i].Feasible)
                continue;
            feasibleCount++;
            if (chosen < 0 || Better(assessments[i], assessments[chosen], objective))
                chosen = i;
        }
        if (forced is { } strategy)
            return (Array.IndexOf(AllStrategies, strategy), feasibleCount);
        if (chosen >= 0)
            return (chosen, feasibleCount);
        for (var i = 0; i < assessments.Length; i++)
        {
            if (!assessments[i].Applicable)
                continue;
            if (chosen < 0 || assessments[i].Score < assessments[chosen].Score
                || (assessments[i].Score == assessments[chosen].Score && Better(assessments[i], assessments[chosen], objective)))
                chosen = i;
        }
        return (chosen, 0);
    }

    private static DesignResult Build(DesignRequest request, Inputs inputs, DestinationCandidate candidate, Assessment[] assessments,
        int chosen, int feasibleCount, List<DestinationAssessment> considered)
    {
        var best = assessments[chosen];
        var evaluations = new StrategyEvaluation[assessments.Length];
        for (var i = 0; i < assessments.Length; i++)
            evaluations[i] = ToEvaluation(inputs, assessments[i]);
        var steps = Steps(best, inputs.Parameters);
        double downtime = 0, total = 0;
        foreach (var step in steps)
        {
            if (step.IsDowntime)
                downtime += step.PredictedMs;
            if (step.Kind is not (StepKind.Profile or StepKind.CleanUp))
                total += step.PredictedMs;
        }
        var rationale = Rationale(inputs, candidate, assessments, chosen, feasibleCount, request.StrategyOverride is not null);
        var plan = new MigrationPlan(best.Strategy, request.Source, candidate.Node, Bandwidth.FromBytesPerMillisecond(best.BandwidthBytesPerMs),
            best.Iterations, best.CutoffMs, downtime, total, steps, best.Feasible, best.Binding, rationale);
        return new DesignResult(plan, candidate, evaluations, considered);
    }

    // ---- evaluation of one strategy ----

    private sealed class Inputs
    {
        public Inputs(DesignRequest request)
        {
            var profile = request.Profile;
            Parameters = request.Parameters;
            StateBytes = profile.StateSizeBytes;
            R = Parameters.NormalisedDirtyRate(profile);
            Lambda = profile.MessageArrivalRate;
            Mu = profile.MessageProcessingRate;
            ConsumesMessages = profile.ConsumesMessages;
            MaxDowntimeMs = request.Targets.MaxDowntimeMs;
            MaxMigrationTimeMs = request.Targets.MaxMigrationTimeMs;
            MaxUserLatencyMs = request.Targets.MaxUserLatencyMs;
            Objective = request.Objective;
            ForcedIterations = request.ForcedIterations;
            DirtyTracking = request.DirtyTrackingSupported;
        }

        /// <summary>Points the inputs at a destination: what its path offers, within the cap.</summary>
        public void At(DestinationCandidate candidate, Bandwidth? cap)
        {
            var available = candidate.PathBandwidth.BytesPerMillisecond;
            if (cap is { } limit && limit.BytesPerMillisecond < available)
                available = limit.BytesPerMillisecond;
            AvailableBytesPerMs = available;
        }

        public PamParameters Parameters { get; }
        public long StateBytes { get; }
        public double R { get; }
        public double Lambda { get; }
        public double Mu { get; }
        public bool ConsumesMessages { get; }
        public double MaxDowntimeMs { get; }
        public double MaxMigrationTimeMs { get; }
        public double MaxUserLatencyMs { get; }
        public Objective Objective { get; }
        public int? ForcedIterations { get; }
        public bool DirtyTracking { get; }
        public double AvailableBytesPerMs { get; private set; }
    }

    private struct Assessment
    {
        public MigrationStrategy Strategy;
        public bool Applicable;
        public bool Feasible;
        public double BandwidthBytesPerMs;
        public int Iterations;
        public double DowntimeMs;
        public double MigrationTimeMs;
        public double? CutoffMs;
        public BandwidthRequirement Requirement;
        public string? Binding;
        public string? NotApplicable;
        public IterationProblem IterationProblem;
        public IterationBudget Budget;
        public double DownRatio;
        public double MigRatio;
        public double Score;
        public PamPrediction Pam;
        public ReplayPrediction Replay;
    }

    private enum IterationProblem
    {
        None,
        /// <summary>Even I = 0 misses θ_mig.</summary>
        NoPreCopyFits,
        /// <summary>I = 0 fits, so there is no room for a dump round.</summary>
        NoRoundFits,
    }

    private static Assessment Assess(Inputs x, MigrationStrategy strategy)
    {
        var p = x.Parameters;
        var a = new Assessment { Strategy = strategy, Applicable = true };
        var isPreCopy = strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy;
        var isReplay = strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff;
        if (isPreCopy && !x.DirtyTracking)
        {
            a.NotApplicable = "pre-copy needs dirty-page tracking, which the source host does not support";
            a.Binding = PlanConstraints.DirtyPageTracking;
        }
        else if (isReplay && !x.ConsumesMessages)
        {
            a.NotApplicable = "the service consumes no message stream, so there is nothing to replay";
            a.Binding = PlanConstraints.MessageStream;
        }
        a.Applicable = a.NotApplicable is null;

        // Iterations: forced, else the most that fit θ_mig at full bandwidth (MD), else one round (MR).
        if (strategy == MigrationStrategy.IterativePreCopy)
        {
            if (x.ForcedIterations is { } forced)
                a.Iterations = forced;
            else if (x.Objective == Objective.MinResources)
                a.Iterations = 1;
            else
            {
                a.Budget = PamConfiguration.MaxIterations(x.StateBytes, x.R, x.AvailableBytesPerMs, x.MaxMigrationTimeMs, p);
                a.Iterations = a.Budget.Iterations is int n && n > 0 ? n : 1;
                a.IterationProblem = a.Budget.Iterations switch
                {
                    null => IterationProblem.NoPreCopyFits,
                    0 => IterationProblem.NoRoundFits,
                    _ => IterationProblem.None,
                };
            }
        }

        a.Requirement = Requirement(x, strategy, a.Iterations);
        var fits = a.Requirement.FitsWithin(x.AvailableBytesPerMs);
        a.BandwidthBytesPerMs = x.Objective == Objective.MinResources && fits && a.IterationProblem == IterationProblem.None
            ? PamConfiguration.Reserve(a.Requirement, x.AvailableBytesPerMs, p)
            : x.AvailableBytesPerMs;
        Predict(x, ref a);

        var meets = Meets(a.DowntimeMs, x.MaxDowntimeMs) && Meets(a.MigrationTimeMs, x.MaxMigrationTimeMs);
        a.Feasible = a.Applicable && a.IterationProblem == IterationProblem.None && fits && meets;
        a.DownRatio = a.DowntimeMs / x.MaxDowntimeMs;
        a.MigRatio = a.MigrationTimeMs / x.MaxMigrationTimeMs;
        a.Score = a.Applicable && !double.IsNaN(a.DownRatio) && !double.IsNaN(a.MigRatio) ? Math.Max(a.DownRatio, a.MigRatio) : double.PositiveInfinity;

        if (!a.Applicable)
            return a;
        if (a.Feasible)
            a.Binding = FeasibleBinding(x, a, a.Budget);
        else if (x.AvailableBytesPerMs <= 0)
            a.Binding = PlanConstraints.Bandwidth;
        else if (strategy == MigrationStrategy.MessageReplay && !a.Replay.Converges)
            a.Binding = PlanConstraints.ReplayDivergence;
        else if (a.IterationProblem != IterationProblem.None)
            a.Binding = PlanConstraints.MigrationTime;
        else
            a.Binding = a.DownRatio >= a.MigRatio ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
        return a;
    }

    /// <summary>Why the strategy is or is not feasible, in plain English (built only for the answer).</summary>
    private static string Reason(Inputs x, in Assessment a)
    {
        if (a.NotApplicable is { } notApplicable)
            return notApplicable;
        if (a.Feasible)
            return FeasibleReason(x, a, a.Budget);
        var at = PlanText.RateOfBytesPerMs(x.AvailableBytesPerMs);
        if (x.AvailableBytesPerMs <= 0)
            return "no bandwidth is available on the path to the destination";
        if (a.Strategy == MigrationStrategy.MessageReplay && !a.Replay.Converges)
            return $"the replay never catches up: μ = {PlanText.MessageRate(x.Mu)} ≤ λ = {PlanText.MessageRate(x.Lambda)} (ReplayWithCutoff bounds it)";
        return a.IterationProblem switch
        {
            IterationProblem.NoPreCopyFits =>
                $"even one pre-dump and the stop-and-copy miss θ_mig: migration time ≥ {PlanText.DurationAtLeast(PamModel.PreCopy(x.StateBytes, x.R, x.AvailableBytesPerMs, 0, x.Parameters).MigrationTimeMs)} needed at {at}",
            IterationProblem.NoRoundFits => $"θ_mig leaves no time for a dump round at {at} (PreCopy, I = 0, is the configuration that fits)",
            _ => InfeasibleReason(x, a, a.DownRatio, a.MigRatio),
        };
    }

    private static BandwidthRequirement Requirement(Inputs x, MigrationStrategy strategy, int iterations) => strategy switch
    {
        MigrationStrategy.MessageReplay => ReplayModel.MinBandwidthForMessageReplay(x.StateBytes, x.Lambda, x.Mu, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
        MigrationStrategy.ReplayWithCutoff => ReplayModel.MinBandwidthForCutoff(x.StateBytes, x.Lambda, x.Mu, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
        _ => PamConfiguration.MinBandwidth(strategy, x.StateBytes, x.R, iterations, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
    };

    private static void Predict(Inputs x, ref Assessment a)
    {
        var p = x.Parameters;
        switch (a.Strategy)
        {
            case MigrationStrategy.MessageReplay:
                a.Replay = ReplayModel.MessageReplay(x.StateBytes, a.BandwidthBytesPerMs, x.Lambda, x.Mu, p);
                a.DowntimeMs = a.Replay.DowntimeMs;
                a.MigrationTimeMs = a.Replay.MigrationTimeMs;
                break;
            case MigrationStrategy.ReplayWithCutoff:
                a.Replay = ReplayModel.WithCutoff(x.StateBytes, a.BandwidthBytesPerMs, x.Lambda, x.Mu, x.MaxMigrationTimeMs, p);
                a.DowntimeMs = a.Replay.DowntimeMs;
                a.MigrationTimeMs = a.Replay.MigrationTimeMs;
                a.CutoffMs = a.Replay.CutoffMs;
                break;
            default:
                a.Pam = PamModel.Predict(a.Strategy, x.StateBytes, x.R, a.BandwidthBytesPerMs, a.Iterations, p);
                a.DowntimeMs = a.Pam.DowntimeMs;
                a.MigrationTimeMs = a.Pam.MigrationTimeMs;
                break;
        }
    }

    private static bool Meets(double value, double target) => value <= target * (1 + 1e-9) + 1e-9;

    private static string? FeasibleBinding(Inputs x, in Assessment a, IterationBudget budget)
    {
        if (x.Objective == Objective.MinResources)
            return a.DowntimeMs / x.MaxDowntimeMs >= a.MigrationTimeMs / x.MaxMigrationTimeMs ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
        if (a.Strategy == MigrationStrategy.IterativePreCopy && x.ForcedIterations is null)
            return budget.LimitedByCap ? PlanConstraints.IterationCap : PlanConstraints.MigrationTime;
        if (a.Strategy == MigrationStrategy.ReplayWithCutoff && a.Replay.CutoffTriggers)
            return PlanConstraints.MigrationTime;
        return null;
    }

    private static string FeasibleReason(Inputs x, in Assessment a, IterationBudget budget)
    {
        var text = new StringBuilder(160);
        text.Append(CultureInfo.InvariantCulture,
            $"meets both targets at {PlanText.RateOfBytesPerMs(a.BandwidthBytesPerMs)}: downtime {PlanText.Duration(a.DowntimeMs)} ≤ {PlanText.Duration(x.MaxDowntimeMs)}, migration time {PlanText.Duration(a.MigrationTimeMs)} ≤ {PlanText.Duration(x.MaxMigrationTimeMs)}");
        if (a.Strategy == MigrationStrategy.IterativePreCopy)
        {
            text.Append(CultureInfo.InvariantCulture, $", {a.Iterations} dump round{(a.Iterations == 1 ? "" : "s")}");
            text.Append(x.ForcedIterations is not null ? " (as requested)"
                : x.Objective == Objective.MinResources ? " (the fewest that make it iterative)"
                : budget.LimitedByCap ? $" (the cap; θ_mig would allow {budget.Uncapped})"
                : " (the most θ_mig allows)");
        }
        if (a.Strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff)
            text.Append(CultureInfo.InvariantCulture, $", replaying {a.Replay.BacklogMessages:0} queued messages");
        if (a.Strategy == MigrationStrategy.ReplayWithCutoff)
            text.Append(a.Replay.CutoffTriggers
                ? $", source stopped {PlanText.Duration(a.Replay.CutoffMs ?? 0)} after the checkpoint, then {PlanText.Duration(a.Replay.DrainAfterCutoffMs)} to drain"
                : ", the replay catches up before the cutoff");
        if (x.Objective == Objective.MinResources)
            text.Append(CultureInfo.InvariantCulture, $" (needs ≥ {PlanText.RateAtLeast(a.Requirement.BitsPerSecond)})");
        return text.ToString();
    }

    private static string InfeasibleReason(Inputs x, in Assessment a, double downRatio, double migRatio)
    {
        var at = PlanText.RateOfBytesPerMs(a.BandwidthBytesPerMs);
        var misses = (downRatio > 1 + 1e-9, migRatio > 1 + 1e-9) switch
        {
            (true, true) => $"downtime ≥ {PlanText.DurationAtLeast(a.DowntimeMs)} and migration time ≥ {PlanText.DurationAtLeast(a.MigrationTimeMs)} needed at {at}",
            (true, false) => $"downtime ≥ {PlanText.DurationAtLeast(a.DowntimeMs)} needed at {at}",
            (false, true) => $"migration time ≥ {PlanText.DurationAtLeast(a.MigrationTimeMs)} needed at {at}",
            _ => $"the targets are met only with more bandwidth than the {at} available",
        };
        if (a.Requirement.IsAchievable)
            return $"{misses}, or reserve ≥ {PlanText.RateAtLeast(a.Requirement.BitsPerSecond)} ({at} available)";
        return a.Strategy switch
        {
            MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff when x.Parameters.SwitchMs > x.MaxDowntimeMs =>
                $"{misses}; the traffic switch alone takes {PlanText.Duration(x.Parameters.SwitchMs)}",
            _ => $"{misses}; no bandwidth would be enough",
        };
    }

    private static StrategyEvaluation ToEvaluation(Inputs x, in Assessment a) => new(
        a.Strategy, a.DowntimeMs, a.MigrationTimeMs, a.Iterations,
        a.Feasible ? a.Requirement.BitsPerSecond : null,
        a.Feasible, Reason(x, a), a.BandwidthBytesPerMs * 8_000d, a.CutoffMs, a.Binding, a.Applicable);

    // ---- choice ----

    private static bool Better(in Assessment a, in Assessment b, Objective objective)
    {
        int c;
        if (objective == Objective.MinDowntime)
        {
            c = Compare(a.DowntimeMs, b.DowntimeMs);
            if (c == 0)
                c = b.Iterations.CompareTo(a.Iterations);
            if (c == 0)
                c = Compare(a.MigrationTimeMs, b.MigrationTimeMs);
            if (c == 0)
                c = Compare(a.BandwidthBytesPerMs, b.BandwidthBytesPerMs);
        }
        else
        {
            c = Compare(a.BandwidthBytesPerMs, b.BandwidthBytesPerMs);
            if (c == 0)
                c = Compare(a.MigrationTimeMs, b.MigrationTimeMs);
            if (c == 0)
                c = Compare(a.DowntimeMs, b.DowntimeMs);
        }
        return c < 0 || (c == 0 && a.Strategy < b.Strategy);
    }

    /// <summary>Compares with a relative tolerance of 10⁻⁹, so that equal formulas computed apart compare equal.</summary>
    private static int Compare(double a, double b)
    {
        if (a == b || Math.Abs(a - b) <= 1e-9 * Math.Max(Math.Abs(a), Math.Abs(b)))
            return 0;
        return a < b ? -1 : 1;
    }

    private static int CompareDestinations(DestinationCandidate a, DestinationCandidate b, int ia, int ib)
    {
        var c = a.UserLatencyMs.CompareTo(b.UserLatencyMs);
        if (c == 0)
            c = b.PathBandwidth.BitsPerSecond.CompareTo(a.PathBandwidth.BitsPerSecond);
        if (c == 0)
            c = a.Load.CompareTo(b.Load);
        return c != 0 ? c : ia.CompareTo(ib);
    }

    // ---- steps ----

    private static List<PlannedStep> Steps(in Assessment a, PamParameters p)
    {
        var setup = p.RuntimeOverheadMs - p.SwitchMs;
        var steps = new List<PlannedStep>(a.Strategy == MigrationStrategy.IterativePreCopy ? 8 + a.Iterations : 8)
        {
            new(StepKind.Profile, 0, p.ProfileMs, false),
        };
        switch (a.Strategy)
        {
            case MigrationStrategy.Cold:
                steps.Add(new(StepKind.Checkpoint, 0, a.Pam.PreDumpMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Pam.PreDumpTransferMs, true));
                steps.Add(new(StepKind.Restore, 0, a.Pam.RestoreMs + setup, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, p.SwitchMs, true));
                break;
            case MigrationStrategy.PreCopy:
            case MigrationStrategy.IterativePreCopy:
                steps.Add(new(StepKind.PreDump, 0, a.Pam.RoundZeroMs, false));
                for (var round = 1; round <= a.Iterations; round++)
                    steps.Add(new(StepKind.PreDump, round, a.Pam.DumpMs + a.Pam.DumpTransferMs, false));
                steps.Add(new(StepKind.Checkpoint, 0, a.Pam.DumpMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Pam.DumpTransferMs, true));
                steps.Add(new(StepKind.Restore, 0, a.Pam.RestoreMs + setup, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, p.SwitchMs, true));
                break;
            case MigrationStrategy.MessageReplay:
                steps.Add(new(StepKind.Checkpoint, 0, a.Replay.CheckpointMs, false));
                steps.Add(new(StepKind.Transfer, 0, a.Replay.TransferMs, false));
                steps.Add(new(StepKind.Restore, 0, a.Replay.RestoreMs, false));
                steps.Add(new(StepKind.ReplayMessages, 0, a.Replay.CatchUpMs, false));
                steps.Add(new(StepKind.SwitchTraffic, 0, a.Replay.SwitchMs, true));
                break;
            case MigrationStrategy.ReplayWithCutoff:
                steps.Add(new(StepKind.Checkpoint, 0, a.Replay.CheckpointMs, false));
                steps.Add(new(StepKind.Transfer, 0, a.Replay.TransferMs, false));
                steps.Add(new(StepKind.Restore, 0, a.Replay.RestoreMs, false));
                steps.Add(new(StepKind.ReplayMessages, 0, a.Replay.CatchUpMs, false));
                steps.Add(new(StepKind.ReplayMessages, 1, a.Replay.DrainAfterCutoffMs, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, a.Replay.SwitchMs, true));
                break;
        }
        steps.Add(new(StepKind.CleanUp, 0, p.CleanUpMs, false));
        return steps;
    }

    // ---- rationale ----

    private static string Rationale(Inputs x, DestinationCandidate candidate, Assessment[] all, int chosen, int feasibleCount, bool overridden)
    {
        var a = all[chosen];
        var text = new StringBuilder(400);
        var targets = $"θ_down {PlanText.Duration(x.MaxDowntimeMs)}, θ_mig {PlanText.Duration(x.MaxMigrationTimeMs)}";
        if (a.Feasible)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{a.Strategy} to {candidate.DisplayName}: predicted downtime {PlanText.Duration(a.DowntimeMs)} and migration time {PlanText.Duration(a.MigrationTimeMs)} ({targets}), reserving {PlanText.RateOfBytesPerMs(a.BandwidthBytesPerMs)}");
            if (a.Strategy == MigrationStrategy.IterativePreCopy)
                text.Append(CultureInfo.InvariantCulture, $" with {a.Iterations} dump round{(a.Iterations == 1 ? "" : "s")}");
            if (a.Strategy == MigrationStrategy.ReplayWithCutoff && a.CutoffMs is { } cutoff)
                text.Append(CultureInfo.InvariantCulture, $" and a cutoff {PlanText.Duration(cutoff)} after the checkpoint");
            text.Append(". ");
            if (overridden)
                text.Append("Strategy as requested. ");
            else
            {
                var runnerUp = RunnerUp(all, chosen, x.Objective);
                if (x.Objective == Objective.MinDowntime)
                {
                    text.Append(CultureInfo.InvariantCulture, $"Lowest predicted downtime of {feasibleCount} feasible strateg{(feasibleCount == 1 ? "y" : "ies")}");
                    if (runnerUp >= 0 && Compare(all[runnerUp].DowntimeMs, a.DowntimeMs) == 0)
                    {
                        if (IsPreCopy(a.Strategy) && IsPreCopy(all[runnerUp].Strategy))
                            text.Append(CultureInfo.InvariantCulture, $" ({all[runnerUp].Strategy} predicts the same worst case; more pre-copy rounds are preferred, as [MOSE] MD does, since real rounds shrink the dirty set)");
                        else
                            text.Append(CultureInfo.InvariantCulture, $" ({all[runnerUp].Strategy} predicts the same downtime; {a.Strategy} has the shorter or equal total time)");
                    }
                    else if (runnerUp >= 0)
                        text.Append(CultureInfo.InvariantCulture, $" (next: {all[runnerUp].Strategy}, {PlanText.Duration(all[runnerUp].DowntimeMs)})");
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $"Least reserved bandwidth of {feasibleCount} feasible strateg{(feasibleCount == 1 ? "y" : "ies")}");
                    if (runnerUp >= 0)
                        text.Append(CultureInfo.InvariantCulture, $" (next: {all[runnerUp].Strategy}, {PlanText.RateOfBytesPerMs(all[runnerUp].BandwidthBytesPerMs)})");
                }
                text.Append(". ");
            }
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{(overridden ? $"{a.Strategy}, as requested, cannot" : "No strategy can")} meet {targets} at {candidate.DisplayName} with {PlanText.RateOfBytesPerMs(x.AvailableBytesPerMs)} available. ");
            text.Append(CultureInfo.InvariantCulture, $"{(overridden ? "" : $"Nearest: {a.Strategy}, ")}{Reason(x, a)}. ");
        }

        var first = true;
        for (var i = 0; i < all.Length; i++)
        {
            if (i == chosen || all[i].Feasible)
                continue;
            text.Append(first ? "Not feasible: " : "; ");
            text.Append(CultureInfo.InvariantCulture, $"{all[i].Strategy} ({Reason(x, all[i])})");
            first = false;
        }
        if (!first)
            text.Append(". ");

        text.Append(CultureInfo.InvariantCulture, $"Users would see {candidate.UserLatencyMs:0.0} ms there");
        text.Append(candidate.UserLatencyMs <= x.MaxUserLatencyMs
            ? string.Create(CultureInfo.InvariantCulture, $" (target {x.MaxUserLatencyMs:0.#} ms).")
            : string.Create(CultureInfo.InvariantCulture, $", above the {x.MaxUserLatencyMs:0.#} ms target."));
        return text.ToString();
    }

    private static int RunnerUp(Assessment[] all, int chosen, Objective objective)
    {
        var best = -1;
        for (var i = 0; i < all.Length; i++)
        {
            if (i == chosen || !all[i].Feasible)
                continue;
            if (best < 0 || Better(all[i], all[best], objective))
                best = i;
        }
        return best;
    }

    // ---- validation ----

    private static void Validate(DesignRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Profile, nameof(DesignRequest.Profile));
        ArgumentNullException.ThrowIfNull(request.Targets, nameof(DesignRequest.Targets));
        ArgumentNullException.ThrowIfNull(request.Parameters, nameof(DesignRequest.Parameters));
        ArgumentNullException.ThrowIfNull(request.Destinations, nameof(DesignRequest.Destinations));
        if (request.Destinations.Count == 0)
            throw new ArgumentException("At least one destination is needed.", nameof(DesignRequest.Destinations));
        foreach (var destination in request.Destinations)
        {
            if (destination is null)
                throw new ArgumentException("A destination is null.", nameof(DesignRequest.Destinations));
            if (destination.Node == request.Source)
                throw new ArgumentException($"Destination {destination.DisplayName} is the source node.", nameof(DesignRequest.Destinations));
            if (double.IsNaN(destination.UserLatencyMs) || destination.UserLatencyMs < 0)
                throw new ArgumentException($"Destination {destination.DisplayName} has an invalid user latency.", nameof(DesignRequest.Destinations));
            if (!double.IsFinite(destination.Load) || destination.Load < 0)
                throw new ArgumentException($"Destination {destination.DisplayName} has an invalid load.", nameof(DesignRequest.Destinations));
        }
        if (request.ForcedIterations is < 0)
            throw new ArgumentOutOfRangeException(nameof(DesignRequest.ForcedIterations), request.ForcedIterations, "ForcedIterations must be ≥ 0.");
        if (request.StrategyOverride is { } strategy && !Enum.IsDefined(strategy))
            throw new ArgumentOutOfRangeException(nameof(DesignRequest.StrategyOverride), strategy, "Unknown strategy.");
        request.Parameters.EnsureValid();
    }

    private static bool IsPreCopy(MigrationStrategy strategy) => strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy;
}
