using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Capacity;

/// <summary>
/// Plans one migration on the residual bandwidth of the <see cref="LinkLedger"/>. When what is left on the best
/// destination's path cannot meet the targets, it weighs three choices and says which it took and when the migration
/// is predicted to start:
/// <list type="bullet">
/// <item>wait for capacity: the earliest moment migrations in flight release enough on the path that the rest of
/// θ_mig (after the wait) is still met;</item>
/// <item>another destination: the next one in the placement order whose path has the bandwidth now;</item>
/// <item>reserve less: start now on what is left, and predict longer (the targets are missed, said as such).</item>
/// </list>
/// Of the choices that meet the targets it takes the one predicted to finish first (the best destination on a tie);
/// when none does, it reserves less, or waits for the first release when nothing at all is left on the path.
/// θ_mig counts from acceptance: a migration that waits has that much less time to run.
/// </summary>
public sealed class CapacityPlanner(MigrationPlanner planner, LinkLedger ledger)
{
    /// <summary>How many releases on a path a plan that cannot meet its targets weighs waiting for.</summary>
    private const int MaxReleasesTried = 16;

    /// <summary>At how many destinations (the best first) waiting for a release is weighed.</summary>
    private const int MaxDestinationsWaitedFor = 4;

    public LinkLedger Ledger => ledger;

    public PlanningResult Plan(ServiceInstance service, Tenant tenant, PlanningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        options ??= new PlanningOptions();
        var targets = options.Targets ?? service.Targets;
        var theta = targets.MaxMigrationTimeMs;
        var now = planner.Plan(service, tenant, options with { ResidualBandwidth = (s, d) => ledger.Residual(s, d, 0, theta) });
        if (now.Design is null || now.Plan is not { } nowPlan)
            return now;
        var top = options.Destination ?? now.Placement.Candidates[0].Node;
        var source = service.NodeId;
        if (nowPlan.Feasible && nowPlan.Destination == top)
            return Note(now, CapacityChoice.None, 0, ResidualNote(source, top, nowPlan));

        var atTop = nowPlan.Destination == top ? now
            : planner.Plan(service, tenant, options with { Destination = top, ResidualBandwidth = (s, d) => ledger.Residual(s, d, 0, theta) });
        // Another destination must still serve the users within the latency target (when any candidate does): a node the
        // path is free to but far from the users would meet the migration's targets and miss the reason to migrate.
        var nearUsers = now.Placement.Candidates.Where(c => c.UserLatencyMs <= targets.MaxUserLatencyMs).Select(c => c.Node).ToHashSet();
        bool Serves(NodeId node) => node == top || nearUsers.Count == 0 || nearUsers.Contains(node);
        var other = nowPlan.Feasible && Serves(nowPlan.Destination) ? now : null;
        // Waiting is weighed at the best destination and, unless the request names one, at the next ones of the placement order.
        var waitable = options.Destination is not null ? [top]
            : now.Placement.Candidates.Select(c => c.Node).Prepend(top).Distinct().Where(Serves).Take(MaxDestinationsWaitedFor).ToList();
        var wait = WaitAt(service, tenant, options, targets, waitable);

        PlanningResult chosen;
        CapacityChoice choice;
        double start = 0;
        if (wait is { } w && (other is null || w.Start + w.Result.Plan!.PredictedMigrationTimeMs <= other.Plan!.PredictedMigrationTimeMs))
            (chosen, choice, start) = (w.Result, CapacityChoice.Wait, w.Start);
        else if (other is not null)
            (chosen, choice) = (other, CapacityChoice.OtherDestination);
        else
        {
            // Nothing meets the targets: start now on what is left, or wait for the first release if that ends sooner
            // (always when nothing at all is left on the path).
            (chosen, choice) = (atTop, CapacityChoice.ReserveLess);
            // The release to wait for is the one after which the migration ends soonest (a few are tried, earliest first).
            var empty = ledger.Residual(source, top).BitsPerSecond <= LinkLedger.FullPathBitsPerSecond;
            var soonest = empty || atTop.Plan is not { } reserveLess ? double.PositiveInfinity : reserveLess.PredictedMigrationTimeMs;
            var releases = ledger.ReleasesOn(source, top);
            // The first few releases, and the last one, after which the path is free.
            foreach (var release in releases.Take(MaxReleasesTried).Concat(releases.Skip(MaxReleasesTried).TakeLast(1)))
            {
                // Nothing left on the path from that release on: a plan there would crawl at the floor rate.
                if (ledger.Residual(source, top, release, release + theta).BitsPerSecond <= LinkLedger.FullPathBitsPerSecond)
                    continue;
                var late = planner.Plan(service, tenant, options with
                {
                    Destination = top,
                    ResidualBandwidth = (s, d) => ledger.Residual(s, d, release, release + theta),
                });
                if (late.Design is not { } d || release + d.Plan.PredictedMigrationTimeMs >= soonest)
                    continue;
                soonest = release + d.Plan.PredictedMigrationTimeMs;
                // θ_mig counts from acceptance: what waits past it misses it, whatever the migration takes once started.
                if (soonest > theta)
                    late = late with { Design = d with { Plan = d.Plan with { Feasible = false, BindingConstraint = PlanConstraints.MigrationTime } } };
                (chosen, choice, start) = (late, CapacityChoice.Wait, release);
            }
        }

        var plan = chosen.Plan!;
        var full = planner.Topology.PathBandwidth(source, top).BitsPerSecond;
        var reserved = ledger.ReservedOnPath(source, top);
        var topName = planner.Topology.Node(top).Name;
        var why = $"Migrations in flight reserve {PlanText.Rate(reserved)} of {PlanText.Rate(full)} on the path to {topName}, too little left to meet the targets now";
        var sentence = choice switch
        {
            CapacityChoice.Wait when plan.Feasible => $"{why}: it waits {PlanText.Duration(start)} for bandwidth to be released{(plan.Destination == top ? "" : $" on the path to {planner.Topology.Node(plan.Destination).Name}, which ends soonest")}, then meets them (predicted start in {PlanText.Duration(start)}, completion in {PlanText.Duration(start + plan.PredictedMigrationTimeMs)}).",
            CapacityChoice.Wait => $"{why}, and neither waiting nor another destination meets them: it waits {PlanText.Duration(start)} for bandwidth to be released, which ends sooner than starting on what is left (predicted start in {PlanText.Duration(start)}), and still misses them.",
            CapacityChoice.OtherDestination => $"{why}: it goes to {planner.Topology.Node(plan.Destination).Name} instead, whose path has the bandwidth now (predicted start now, completion in {PlanText.Duration(plan.PredictedMigrationTimeMs)}{(wait is { } ww ? $"; waiting for {topName} would finish in {PlanText.Duration(ww.Start + ww.Result.Plan!.PredictedMigrationTimeMs)}" : "")}).",
            _ => $"{why}, and neither waiting nor another destination meets them: it reserves the {PlanText.Rate(plan.ReservedBandwidth.BitsPerSecond)} left and predicts longer (predicted start now).",
        };
        return Note(chosen, choice, start, sentence);
    }

    /// <summary>
    /// At each destination (the best first), the earliest release on its path after which the rest of θ_mig is met; of
    /// those, the one that completes first (the earlier destination on a tie). Null when waiting meets the targets nowhere.
    /// </summary>
    private (double Start, PlanningResult Result)? WaitAt(ServiceInstance service, Tenant tenant, PlanningOptions options, KpiTargets targets,
        IReadOnlyList<NodeId> destinations)
    {
        (double Start, PlanningResult Result)? best = null;
        foreach (var destination in destinations)
        {
            foreach (var release in ledger.ReleasesOn(service.NodeId, destination))
            {
                var left = targets.MaxMigrationTimeMs - release;
                if (left <= 0 || best is { } b && release >= b.Start + b.Result.Plan!.PredictedMigrationTimeMs)
                    break;
                // Nothing left on the path from that release on: no plan there meets anything.
                if (ledger.Residual(service.NodeId, destination, release, release + left).BitsPerSecond <= LinkLedger.FullPathBitsPerSecond)
                    continue;
                var later = planner.Plan(service, tenant, options with
                {
                    Destination = destination,
                    Targets = new KpiTargets(targets.MaxDowntimeMs, left, targets.MaxUserLatencyMs),
                    ResidualBandwidth = (s, d) => ledger.Residual(s, d, release, release + left),
                });
                if (!later.Feasible)
                    continue;
                if (best is not { } current || release + later.Plan!.PredictedMigrationTimeMs < current.Start + current.Result.Plan!.PredictedMigrationTimeMs)
                    best = (release, later);
                break;
            }
        }
        return best;
    }

    private string? ResidualNote(NodeId source, NodeId destination, MigrationPlan plan)
    {
        var reserved = ledger.ReservedOnPath(source, destination);
        return reserved <= 0 ? null
            : $"Planned on the residual bandwidth: migrations in flight reserve {PlanText.Rate(reserved)} of {PlanText.Rate(planner.Topology.PathBandwidth(source, destination).BitsPerSecond)} on the path, this one reserves {PlanText.Rate(plan.ReservedBandwidth.BitsPerSecond)}.";
    }

    private static PlanningResult Note(PlanningResult result, CapacityChoice choice, double startMs, string? sentence)
    {
        if (result.Design is not { } design)
            return result;
        var plan = design.Plan with
        {
            PredictedStartMs = startMs,
            Capacity = choice,
            Rationale = sentence is null ? design.Plan.Rationale : $"{design.Plan.Rationale} {sentence}",
        };
        var summary = choice switch
        {
            CapacityChoice.None => result.Summary,
            CapacityChoice.Wait => $"{result.Summary.TrimEnd('.')}; predicted start in {PlanText.Duration(startMs)} (waits for bandwidth).",
            CapacityChoice.OtherDestination => $"{result.Summary.TrimEnd('.')}; another destination, the best one's path is reserved.",
            _ => $"{result.Summary.TrimEnd('.')}; reserves less, the path is shared.",
        };
        return result with { Design = design with { Plan = plan }, Summary = summary };
    }
}
