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
/// Every plan is made on its own time profile (<see cref="PlanAt"/>): it may reserve what the ledger leaves on its path
/// while it sends (<see cref="LinkLedger.SendingWindows"/>), not over its whole run, so plans whose rounds send while
/// another's do dump work share a link. The moments worth waiting for are the releases on the path, less the time the
/// plan takes before it first sends (its profile).
/// </summary>
public sealed class CapacityPlanner(MigrationPlanner planner, LinkLedger ledger)
{
    /// <summary>How many releases on a path a plan that cannot meet its targets weighs waiting for.</summary>
    private const int MaxReleasesTried = 16;

    /// <summary>At how many destinations (the best first) waiting for a release is weighed.</summary>
    private const int MaxDestinationsWaitedFor = 4;

    /// <summary>How many times a plan's rate is lowered to what is left during its own sending windows before it falls back to the rest of its run.</summary>
    private const int MaxFitRounds = 6;

    /// <summary>How many moments to start at a destination waiting weighs.</summary>
    private const int MaxStartsTried = 32;

    public LinkLedger Ledger => ledger;

    /// <param name="notBeforeMs">The earliest it can start (the wait for one of the engine's slots): every choice starts then or later.</param>
    public PlanningResult Plan(ServiceInstance service, Tenant tenant, PlanningOptions? options = null, double notBeforeMs = 0)
    {
        ArgumentNullException.ThrowIfNull(service);
        options ??= new PlanningOptions();
        var targets = options.Targets ?? service.Targets;
        var theta = targets.MaxMigrationTimeMs;
        var earliest = Math.Max(0, notBeforeMs);
        var now = PlanAt(service, tenant, options, earliest);
        if (now.Design is null || now.Plan is not { } nowPlan)
            return now;
        var top = options.Destination ?? now.Placement.Candidates[0].Node;
        var source = service.NodeId;
        if (nowPlan.Feasible && nowPlan.Destination == top)
            return Note(now, CapacityChoice.None, earliest, ResidualNote(source, top, nowPlan));

        var atTop = nowPlan.Destination == top ? now : PlanAt(service, tenant, options with { Destination = top }, earliest);
        var lead = Lead(nowPlan);
        // Another destination must still serve the users within the latency target (when any candidate does): a node the
        // path is free to but far from the users would meet the migration's targets and miss the reason to migrate.
        var nearUsers = now.Placement.Candidates.Where(c => c.UserLatencyMs <= targets.MaxUserLatencyMs).Select(c => c.Node).ToHashSet();
        bool Serves(NodeId node) => node == top || nearUsers.Count == 0 || nearUsers.Contains(node);
        var other = nowPlan.Feasible && Serves(nowPlan.Destination) ? now : null;
        // Waiting is weighed at the best destination and, unless the request names one, at the next ones of the placement order.
        var waitable = options.Destination is not null ? [top]
            : now.Placement.Candidates.Select(c => c.Node).Prepend(top).Distinct().Where(Serves).Take(MaxDestinationsWaitedFor).ToList();
        var wait = WaitAt(service, tenant, options, targets, waitable, earliest, lead);

        PlanningResult chosen;
        CapacityChoice choice;
        double start = earliest;
        if (wait is { } w && (other is null || w.Start + w.Result.Plan!.PredictedMigrationTimeMs <= earliest + other.Plan!.PredictedMigrationTimeMs))
            (chosen, choice, start) = (w.Result, CapacityChoice.Wait, w.Start);
        else if (other is not null)
            (chosen, choice) = (other, CapacityChoice.OtherDestination);
        else
        {
            // Nothing meets the targets: start now on what is left, or wait for the first release if that ends sooner
            // (always when nothing at all is left on the path).
            (chosen, choice) = (atTop, CapacityChoice.ReserveLess);
            // The release to wait for is the one after which the migration ends soonest (a few are tried, earliest first).
            var empty = atTop.Plan is not { } reserveLess || Crawls(reserveLess);
            var soonest = empty ? double.PositiveInfinity : earliest + atTop.Plan!.PredictedMigrationTimeMs;
            var releases = Starts(source, top, earliest, lead);
            // The first few releases, and the last one, after which the path is free.
            foreach (var release in releases.Take(MaxReleasesTried).Concat(releases.Skip(MaxReleasesTried).TakeLast(1)))
            {
                var late = PlanAt(service, tenant, options with { Destination = top }, release);
                // Nothing left on the path from that release on: a plan there would crawl at the floor rate.
                if (late.Design is not { } d || Crawls(d.Plan) || release + d.Plan.PredictedMigrationTimeMs >= soonest)
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
        IReadOnlyList<NodeId> destinations, double earliest, double lead)
    {
        (double Start, PlanningResult Result)? best = null;
        foreach (var destination in destinations)
        {
            foreach (var release in Starts(service.NodeId, destination, earliest, lead).Take(MaxStartsTried))
            {
                var left = targets.MaxMigrationTimeMs - release;
                if (left <= 0 || best is { } b && release >= b.Start + b.Result.Plan!.PredictedMigrationTimeMs)
                    break;
                var later = PlanAt(service, tenant, options with
                {
                    Destination = destination,
                    Targets = new KpiTargets(targets.MaxDowntimeMs, left, targets.MaxUserLatencyMs),
                }, release);
                // Nothing left on the path from that release on: no plan there meets anything.
                if (!later.Feasible || Crawls(later.Plan!))
                    continue;
                if (best is not { } current || release + later.Plan!.PredictedMigrationTimeMs < current.Start + current.Result.Plan!.PredictedMigrationTimeMs)
                    best = (release, later);
                break;
            }
        }
        return best;
    }

    /// <summary>
    /// The plan from <paramref name="startMs"/> on the rate the ledger leaves on its path while it sends: planned first on
    /// the whole path, then, while its sending windows overlap holdings that leave less, planned again on what
    /// is left during them (a lower rate stretches the windows, so a few rounds); if it still does not fit, on what is left
    /// over the rest of its run from its start.
    /// </summary>
    private PlanningResult PlanAt(ServiceInstance service, Tenant tenant, PlanningOptions options, double startMs)
    {
        var caps = new Dictionary<NodeId, double>();
        Bandwidth Left(NodeId s, NodeId d)
            => caps.TryGetValue(d, out var cap) ? new Bandwidth(cap) : planner.Topology.PathBandwidth(s, d);
        var fitting = options with { ResidualBandwidth = Left };
        var result = planner.Plan(service, tenant, fitting);
        for (var round = 0; round < MaxFitRounds && result.Plan is { } plan; round++)
        {
            var left = ledger.Residual(plan.Source, plan.Destination, LinkLedger.SendingWindows(plan, startMs)).BitsPerSecond;
            if (left >= plan.ReservedBandwidth.BitsPerSecond * (1 - 1e-9))
                return result;
            caps[plan.Destination] = Math.Min(left, caps.GetValueOrDefault(plan.Destination, double.PositiveInfinity));
            result = planner.Plan(service, tenant, fitting);
        }
        if (result.Plan is null)
            return result;
        return planner.Plan(service, tenant, options with { ResidualBandwidth = (s, d) => ledger.Residual(s, d, startMs, double.PositiveInfinity) });
    }

    /// <summary>
    /// How long after its start a plan does nothing on the path whatever its strategy (its profile): a release is worth
    /// starting that much before. Not the plan's own first window: a plan made on a full path may be another strategy.
    /// </summary>
    private static double Lead(MigrationPlan plan) => plan.Steps.TakeWhile(s => s.Kind == StepKind.Profile).Sum(s => s.PredictedMs);

    /// <summary>The moments worth starting at on the path, after <paramref name="earliest"/>: each release less the lead, earliest first.</summary>
    private List<double> Starts(NodeId source, NodeId destination, double earliest, double lead)
    {
        var starts = new SortedSet<double>();
        foreach (var release in ledger.ReleasesOn(source, destination))
            if (release - lead > earliest + 1e-6)
                starts.Add(release - lead);
        return [.. starts];
    }

    /// <summary>A plan on the floor rate: nothing left on its path.</summary>
    private static bool Crawls(MigrationPlan plan) => plan.ReservedBandwidth.BitsPerSecond <= LinkLedger.FullPathBitsPerSecond * (1 + 1e-9);

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
