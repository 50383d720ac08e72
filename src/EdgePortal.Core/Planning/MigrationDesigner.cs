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
        MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff, MigrationStrategy.PostCopy,
    ];

    /// <summary>
    /// How much better PostCopy must be than the best strategy without its risk (lower downtime under MD, less reserved
    /// bandwidth under MR, as a fraction of the other's) to be planned: until its last page arrives the service depends on
    /// the source, and a source failure then loses it, while every other strategy can still fall back to the source.
    /// </summary>
    public const double PostCopyRiskMargin = 0.25;

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
        var inputs = new DesignInputs(request);
        inputs.At(destination, request.BandwidthCap);
        var evaluations = new StrategyEvaluation[AllStrategies.Length];
        for (var i = 0; i < AllStrategies.Length; i++)
            evaluations[i] = PlanExplanation.ToEvaluation(inputs, StrategyAssessor.Assess(inputs, AllStrategies[i]));
        return evaluations;
    }

    private static DesignResult DesignInOrder(DesignRequest request, int[] order)
    {
        // Only numbers are computed per destination; steps, evaluations and text only for the answer.
        var considered = new List<DestinationAssessment>(Math.Min(order.Length, 4));
        var inputs = new DesignInputs(request);
        var current = new StrategyAssessment[AllStrategies.Length];
        var nearest = new StrategyAssessment[AllStrategies.Length];
        int nearestIndex = -1, nearestChoice = -1;
        var nearestScore = double.PositiveInfinity;
        foreach (var index in order)
        {
            var candidate = request.Destinations[index];
            inputs.At(candidate, request.BandwidthCap);
            for (var i = 0; i < AllStrategies.Length; i++)
                current[i] = StrategyAssessor.Assess(inputs, AllStrategies[i]);
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
    private static (int Chosen, int FeasibleCount) Choose(StrategyAssessment[] assessments, MigrationStrategy? forced, Objective objective)
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
        if (chosen >= 0 && assessments[chosen].Strategy == MigrationStrategy.PostCopy
            && SafeAlternative(assessments, objective) is var safe and >= 0 && !OutweighsRisk(assessments[chosen], assessments[safe], objective))
            chosen = safe;
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
        // Nothing applies (the node pair's runtime can run none of them): the first strategy stands for the answer, not applicable.
        return (Math.Max(chosen, 0), 0);
    }

    private static DesignResult Build(DesignRequest request, DesignInputs inputs, DestinationCandidate candidate, StrategyAssessment[] assessments,
        int chosen, int feasibleCount, List<DestinationAssessment> considered)
    {
        var best = assessments[chosen];
        var evaluations = new StrategyEvaluation[assessments.Length];
        for (var i = 0; i < assessments.Length; i++)
            evaluations[i] = PlanExplanation.ToEvaluation(inputs, assessments[i]);
        var steps = PlanStepLayout.Steps(best, inputs.Parameters);
        double downtime = 0, total = 0;
        foreach (var step in steps)
        {
            if (step.IsDowntime)
                downtime += step.PredictedMs;
            if (step.Kind is not (StepKind.Profile or StepKind.CleanUp))
                total += step.PredictedMs;
        }
        var rationale = PlanExplanation.Rationale(inputs, candidate, assessments, chosen, feasibleCount, request.StrategyOverride is not null);
        var plan = new MigrationPlan(best.Strategy, request.Source, candidate.Node, Bandwidth.FromBytesPerMillisecond(best.BandwidthBytesPerMs),
            best.Iterations, best.CutoffMs, downtime, total, steps, best.Feasible, best.Binding, rationale);
        return new DesignResult(plan, candidate, evaluations, considered);
    }

    // ---- choice (the explanation names the runner-up by the same order) ----

    internal static bool Better(in StrategyAssessment a, in StrategyAssessment b, Objective objective)
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

    /// <summary>The best feasible strategy that keeps the source to fall back to (all but PostCopy), or −1.</summary>
    internal static int SafeAlternative(StrategyAssessment[] assessments, Objective objective)
    {
        var best = -1;
        for (var i = 0; i < assessments.Length; i++)
            if (assessments[i].Feasible && assessments[i].Strategy != MigrationStrategy.PostCopy
                && (best < 0 || Better(assessments[i], assessments[best], objective)))
                best = i;
        return best;
    }

    /// <summary>Whether PostCopy's gain over <paramref name="safe"/> on the objective's measure is at least <see cref="PostCopyRiskMargin"/>.</summary>
    internal static bool OutweighsRisk(in StrategyAssessment postCopy, in StrategyAssessment safe, Objective objective) => objective == Objective.MinDowntime
        ? postCopy.DowntimeMs <= (1 - PostCopyRiskMargin) * safe.DowntimeMs
        : postCopy.BandwidthBytesPerMs <= (1 - PostCopyRiskMargin) * safe.BandwidthBytesPerMs;

    /// <summary>Compares with a relative tolerance of 10⁻⁹, so that equal formulas computed apart compare equal.</summary>
    internal static int Compare(double a, double b)
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
}
