using System.Globalization;
using System.Text;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>Explanation: the plain-English reason of each strategy's verdict and the plan's rationale, with the numbers.</summary>
internal static class PlanExplanation
{
    internal static string Reason(DesignInputs x, in StrategyAssessment a)
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

    internal static string FeasibleReason(DesignInputs x, in StrategyAssessment a, IterationBudget budget)
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
        if (a.Strategy == MigrationStrategy.PostCopy)
            text.Append(CultureInfo.InvariantCulture,
                $", then a degradation window of {PlanText.Duration(a.PostCopy.DegradationWindowMs)} while {ByteSize.Format((long)a.PostCopy.PageBytes)} of pages follow");
        if (x.Objective == Objective.MinResources)
            text.Append(CultureInfo.InvariantCulture, $" (needs ≥ {PlanText.RateAtLeast(a.Requirement.BitsPerSecond)})");
        return text.ToString();
    }

    internal static string InfeasibleReason(DesignInputs x, in StrategyAssessment a, double downRatio, double migRatio)
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

    internal static StrategyEvaluation ToEvaluation(DesignInputs x, in StrategyAssessment a) => new(
        a.Strategy, a.DowntimeMs, a.MigrationTimeMs, a.Iterations,
        a.Feasible ? a.Requirement.BitsPerSecond : null,
        a.Feasible, Reason(x, a), a.BandwidthBytesPerMs * 8_000d, a.CutoffMs, a.Binding, a.Applicable,
        a.RuledOutByCapability ? a.NotApplicable : null);

    internal static string Rationale(DesignInputs x, DestinationCandidate candidate, StrategyAssessment[] all, int chosen, int feasibleCount, bool overridden)
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
            if (a.Strategy == MigrationStrategy.PostCopy)
                text.Append(CultureInfo.InvariantCulture, $", then a degradation window of {PlanText.Duration(a.PostCopy.DegradationWindowMs)} while the pages follow");
            text.Append(". ");
            if (overridden)
                text.Append("Strategy as requested. ");
            else
            {
                var runnerUp = RunnerUp(all, chosen, x.Objective);
                if (x.Objective == Objective.MinDowntime)
                {
                    text.Append(CultureInfo.InvariantCulture, $"Lowest predicted downtime of {feasibleCount} feasible strateg{(feasibleCount == 1 ? "y" : "ies")}");
                    if (runnerUp >= 0 && MigrationDesigner.Compare(all[runnerUp].DowntimeMs, a.DowntimeMs) == 0)
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
        else if (a.RuledOutByCapability)
            // Nothing the pair can run (or the strategy asked for is one it cannot): the capabilities say why, below.
            text.Append(overridden
                ? $"{a.Strategy}, as requested, cannot run at {candidate.DisplayName}: {Reason(x, a)}. "
                : $"No strategy can run at {candidate.DisplayName}. ");
        else
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{(overridden ? $"{a.Strategy}, as requested, cannot" : "No strategy can")} meet {targets} at {candidate.DisplayName} with {PlanText.RateOfBytesPerMs(x.AvailableBytesPerMs)} available. ");
            text.Append(CultureInfo.InvariantCulture, $"{(overridden ? "" : $"Nearest: {a.Strategy}, ")}{Reason(x, a)}. ");
        }

        AppendPostCopyRisk(text, x, all, chosen, overridden);
        AppendRuledOut(text, x, all, overridden ? chosen : -1);
        var first = true;
        for (var i = 0; i < all.Length; i++)
        {
            if (i == chosen || all[i].Feasible || all[i].RuledOutByCapability || all[i].Binding == PlanConstraints.PostCopyNotAllowed)
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

    /// <summary>
    /// Post-copy's risk in words: when it is planned, what a source failure during its page-in means; when it would have been
    /// better but was not planned, why (allowPostCopy is off, or its gain does not outweigh the risk).
    /// </summary>
    private static void AppendPostCopyRisk(StringBuilder text, DesignInputs x, StrategyAssessment[] all, int chosen, bool overridden)
    {
        var index = Array.FindIndex(all, a => a.Strategy == MigrationStrategy.PostCopy);
        if (index < 0)
            return;
        var post = all[index];
        if (index == chosen)
        {
            if (!post.Applicable)
                return;
            text.Append(CultureInfo.InvariantCulture,
                $"Risk: the service runs at {PlanText.Duration(post.DowntimeMs)} but its memory follows for {PlanText.Duration(post.PostCopy.DegradationWindowMs)}; until the last page arrives it depends on the source, each first touch of a missing page waits a round trip to it, and a failure of the source or the link in that window loses the service (there is no going back once it runs at the destination). ");
            return;
        }
        var a = all[chosen];
        if (overridden || !a.Feasible || (!post.Applicable && !(post.Binding == PlanConstraints.PostCopyNotAllowed && post.PostCopyRunnable)))
            return;
        var wouldMeet = StrategyAssessor.Meets(post.DowntimeMs, x.MaxDowntimeMs) && StrategyAssessor.Meets(post.MigrationTimeMs, x.MaxMigrationTimeMs)
            && post.Requirement.FitsWithin(x.AvailableBytesPerMs);
        var better = x.Objective == Objective.MinDowntime
            ? MigrationDesigner.Compare(post.DowntimeMs, a.DowntimeMs) < 0
            : MigrationDesigner.Compare(post.BandwidthBytesPerMs, a.BandwidthBytesPerMs) < 0;
        if (!wouldMeet || !better)
            return;
        var gain = x.Objective == Objective.MinDowntime ? $"downtime {PlanText.Duration(post.DowntimeMs)}" : $"reserving {PlanText.RateOfBytesPerMs(post.BandwidthBytesPerMs)}";
        text.Append(post.Applicable
            ? $"PostCopy would predict {gain}, but by less than the {MigrationDesigner.PostCopyRiskMargin * 100:0}% its risk requires: until its last page arrives the service depends on the source, and a source failure then loses it. "
            : $"PostCopy would predict {gain}, but {post.NotApplicable}. ");
    }

    /// <summary>
    /// "Ruled out: PreCopy, IterativePreCopy (Kubernetes cluster edge-1: no pre-dump); …": each strategy the node pair's
    /// runtime cannot run, grouped by the capability that is missing (<paramref name="skip"/>: one already explained).
    /// </summary>
    private static void AppendRuledOut(StringBuilder text, DesignInputs x, StrategyAssessment[] all, int skip)
    {
        var groups = new List<(string Reason, List<MigrationStrategy> Strategies)>();
        for (var i = 0; i < all.Length; i++)
        {
            if (i == skip || !all[i].RuledOutByCapability)
                continue;
            var reason = Reason(x, all[i]);
            var group = groups.FindIndex(g => g.Reason == reason);
            if (group < 0)
                groups.Add((reason, [all[i].Strategy]));
            else
                groups[group].Strategies.Add(all[i].Strategy);
        }
        if (groups.Count == 0)
            return;
        text.Append("Ruled out: ");
        text.AppendJoin("; ", groups.Select(g => $"{string.Join(", ", g.Strategies)} ({g.Reason})"));
        text.Append(". ");
    }

    internal static int RunnerUp(StrategyAssessment[] all, int chosen, Objective objective)
    {
        var best = -1;
        for (var i = 0; i < all.Length; i++)
        {
            if (i == chosen || !all[i].Feasible)
                continue;
            if (best < 0 || MigrationDesigner.Better(all[i], all[best], objective))
                best = i;
        }
        return best;
    }

    internal static bool IsPreCopy(MigrationStrategy strategy) => strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy;
}
