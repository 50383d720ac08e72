using System.Diagnostics;
using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using Google.OrTools.Sat;

namespace EdgePortal.Core.Capacity;

/// <summary>How a batch is planned jointly: the solver's time limit and the largest batch it is given (bound to <c>EdgePortal:Planning</c>).</summary>
public sealed class BurstPlanningOptions
{
    public const string Section = "EdgePortal:Planning";

    /// <summary>How long CP-SAT may search a batch's schedule (building the model comes before); when it has found none by then, the greedy heuristic plans the batch. Zero or less: never the solver.</summary>
    public TimeSpan SolverTimeLimit { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Batches with more migrations than this go to the greedy heuristic straight away (the model grows with the batch).</summary>
    public int SolverMaxBatch { get; set; } = 40;

    /// <summary>How many of the designer's destinations (the best first) the solver chooses among for each migration.</summary>
    public int SolverDestinations { get; set; } = 3;

    /// <summary>The engine's slots the schedule respects: at most this many of the batch at once per cluster (0: not counted). The coordinator sets it from <c>EdgePortal:Engine:MaxConcurrentPerCluster</c>.</summary>
    public int SlotsPerCluster { get; set; }

    /// <summary>At most this many of the batch leaving one node at once (0: not counted). The coordinator sets it from <c>EdgePortal:Engine:MaxOutboundPerNode</c>.</summary>
    public int SlotsPerNode { get; set; }
}

/// <summary>Each message names the key, so a misconfiguration is fixed at the first read.</summary>
public sealed class BurstPlanningOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<BurstPlanningOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, BurstPlanningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SolverTimeLimit < TimeSpan.Zero || options.SolverTimeLimit > TimeSpan.FromMinutes(1))
            failures.Add($"{BurstPlanningOptions.Section}:SolverTimeLimit must be between 0 (never the solver) and 1 minute (was {options.SolverTimeLimit:g}).");
        if (options.SolverMaxBatch < 0)
            failures.Add($"{BurstPlanningOptions.Section}:SolverMaxBatch must be ≥ 0 (was {options.SolverMaxBatch}).");
        if (options.SolverDestinations < 1)
            failures.Add($"{BurstPlanningOptions.Section}:SolverDestinations must be ≥ 1 (was {options.SolverDestinations}).");
        return failures.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>What CP-SAT made of a batch: its status, how long building and searching took, and its schedule (null when it found none).</summary>
public sealed record BurstSolution(string Status, TimeSpan WallTime, IReadOnlyList<BurstRequest>? Order,
    IReadOnlyDictionary<BurstRequest, NodeId>? Destinations, IReadOnlyDictionary<BurstRequest, double>? StartsMs)
{
    public bool Found => Order is not null;

    /// <summary>How long building the model took (the designer's plans for every option), before the search and its limit.</summary>
    public double ModelMs { get; init; }
}

/// <summary>
/// The CP-SAT model of a batch (OR-Tools). Each migration has a start and one option: a destination among the designer's
/// first few candidates (only those that serve the users within the latency target, as <see cref="CapacityPlanner"/> keeps
/// them) and a plan for it, the designer's or the shortest one (no optional dump rounds), each with its time profile at
/// the path's rate. An option's sending windows (<see cref="LinkLedger.SendingWindows"/>) are optional intervals that
/// demand its rate on every link of its path: one cumulative constraint per link, its capacity less what the ledger
/// already holds there over time. Its whole run is an interval on the engine's slots (per cluster and per source node)
/// when those are counted. A migration meets its targets when its option meets θ_down and its end from acceptance is
/// within θ_mig. Objective, lexicographic by weights: urgent ones meeting their targets, then all, then the makespan.
/// </summary>
/// <remarks>Times are integers of <c>unit</c> ms (at least 1), chosen so that the horizon stays near 100,000 units; rates in kbit/s.</remarks>
public sealed class BurstSolver(MigrationPlanner planner, LinkLedger ledger, BurstPlanningOptions options)
{
    private const double TargetUnits = 100_000;

    private sealed record Option(BurstRequest Request, NodeId Destination, MigrationPlan Plan, bool Shortest)
    {
        public IReadOnlyList<LinkId> Links { get; init; } = [];
    }

    /// <summary>The batch's schedule; migrations the planner finds no plan for at all are left out of the model and go last.</summary>
    public BurstSolution Solve(IReadOnlyList<BurstRequest> requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        var watch = Stopwatch.StartNew();
        var all = requested.Select(r => (Request: r, Options: OptionsOf(r))).ToList();
        var unplannable = all.Where(a => a.Options.Count == 0).Select(a => a.Request).ToList();
        var batch = all.Where(a => a.Options.Count > 0).Select(a => a.Request).ToList();
        var perRequest = all.Where(a => a.Options.Count > 0).Select(a => a.Options).ToList();
        if (batch.Count == 0)
            return new BurstSolution("no plan for any migration", watch.Elapsed, null, null, null);

        // Horizon: every migration one after the other on its longest option, after the last release of the ledger.
        var lastRelease = perRequest.SelectMany(o => o).SelectMany(o => o.Links).Distinct()
            .SelectMany(l => ledger.On(l)).Select(h => h.UntilMs).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var horizonMs = Math.Max(1, lastRelease) + perRequest.Sum(o => o.Max(x => x.Plan.PredictedRunMs)) + 1;
        var unit = Math.Max(1, Math.Ceiling(horizonMs / TargetUnits));
        long Units(double ms) => (long)Math.Ceiling(ms / unit - 1e-9);
        var horizon = Units(horizonMs);

        var model = new CpModel();
        var starts = new IntVar[batch.Count];
        var chosen = new List<(Option Option, BoolVar Literal)>[batch.Count];
        var meets = new BoolVar[batch.Count];
        var runEnds = new IntVar[batch.Count];
        var linkDemands = new Dictionary<LinkId, List<(IntervalVar Interval, long Kbps)>>();
        var slotIntervals = new List<(Option Option, IntervalVar Interval)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch[i];
            starts[i] = model.NewIntVar(0, horizon, $"start{i}");
            runEnds[i] = model.NewIntVar(0, 2 * horizon, $"end{i}");
            meets[i] = model.NewBoolVar($"meets{i}");
            chosen[i] = [];
            var meetable = new List<ILiteral>();
            var theta = Units(Math.Floor((request.Options.Targets ?? request.Service.Targets).MaxMigrationTimeMs / unit) * unit);
            for (var k = 0; k < perRequest[i].Count; k++)
            {
                var option = perRequest[i][k];
                var x = model.NewBoolVar($"x{i}_{k}");
                chosen[i].Add((option, x));
                var run = Math.Max(1, Units(option.Plan.PredictedRunMs));
                model.Add(runEnds[i] == starts[i] + run).OnlyEnforceIf(x);
                if (option.Plan.Feasible)
                {
                    // Its end from acceptance within θ_mig when it counts as meeting its targets.
                    var y = model.NewBoolVar($"meets{i}_{k}");
                    model.AddImplication(y, x);
                    model.Add(starts[i] + Units(option.Plan.PredictedMigrationTimeMs) <= theta).OnlyEnforceIf(y);
                    meetable.Add(y);
                }
                foreach (var (from, until) in LinkLedger.SendingWindows(option.Plan, 0))
                {
                    var offset = (long)Math.Floor(from / unit);
                    var length = Math.Max(1, Units(until) - offset);
                    var window = model.NewOptionalFixedSizeIntervalVar(starts[i] + offset, length, x, $"send{i}_{k}_{offset}");
                    var kbps = (long)Math.Ceiling(option.Plan.ReservedBandwidth.BitsPerSecond / 1e3);
                    foreach (var link in option.Links)
                    {
                        if (!linkDemands.TryGetValue(link, out var list))
                            linkDemands[link] = list = [];
                        list.Add((window, kbps));
                    }
                }
                if (options.SlotsPerCluster > 0 || options.SlotsPerNode > 0)
                    slotIntervals.Add((option, model.NewOptionalFixedSizeIntervalVar(starts[i], run, x, $"run{i}_{k}")));
            }
            model.AddExactlyOne(chosen[i].Select(c => (ILiteral)c.Literal));
            if (meetable.Count == 0)
                model.Add(meets[i] == 0);
            else
                model.AddBoolOr(meetable).OnlyEnforceIf(meets[i]);
        }

        var bandwidthOf = planner.Topology.Links.ToDictionary(l => l.Id, l => l.Bandwidth.BitsPerSecond);
        foreach (var (link, demands) in linkDemands)
        {
            var capacity = (long)Math.Floor(bandwidthOf[link] / 1e3);
            var cumulative = model.AddCumulative(capacity);
            foreach (var (interval, kbps) in demands)
                cumulative.AddDemand(interval, Math.Min(kbps, capacity));
            // What the ledger holds there already, as a step profile clipped to the link: fixed intervals.
            foreach (var (from, until, kbps) in HeldProfile(link, capacity))
            {
                // Both ends rounded the same way, so that consecutive steps never overlap (two steps near the link's
                // capacity sharing a unit would overload it before anything is placed: an infeasible model).
                var a = (long)Math.Floor(from / unit);
                if (a >= 2 * horizon)
                    continue;
                // A holding without an end (a coarse window) is held to the end of the time line.
                var b = double.IsFinite(until) ? Math.Min((long)Math.Floor(until / unit), 4 * horizon) : 4 * horizon;
                if (b <= a)
                    continue;
                cumulative.AddDemand(model.NewFixedSizeIntervalVar(a, b - a, $"held{link}_{a}"), kbps);
            }
        }
        if (options.SlotsPerCluster > 0)
            foreach (var group in slotIntervals.GroupBy(s => planner.Topology.Node(s.Option.Request.Service.NodeId).ClusterId))
            {
                var cumulative = model.AddCumulative(options.SlotsPerCluster);
                foreach (var (_, interval) in group)
                    cumulative.AddDemand(interval, 1);
            }
        if (options.SlotsPerNode > 0)
            foreach (var group in slotIntervals.GroupBy(s => s.Option.Request.Service.NodeId))
            {
                var cumulative = model.AddCumulative(options.SlotsPerNode);
                foreach (var (_, interval) in group)
                    cumulative.AddDemand(interval, 1);
            }

        // A hint the search can start from: each on its first option, one after the other once the ledger is free.
        var at = Units(Math.Max(0, lastRelease));
        for (var i = 0; i < batch.Count; i++)
        {
            var first = chosen[i][0].Option;
            var run = Math.Max(1, Units(first.Plan.PredictedRunMs));
            model.AddHint(starts[i], Math.Min(at, horizon));
            for (var k = 0; k < chosen[i].Count; k++)
                model.AddHint(chosen[i][k].Literal, k == 0);
            at += run;
        }

        var makespan = model.NewIntVar(0, 2 * horizon, "makespan");
        model.AddMaxEquality(makespan, runEnds);
        // Lexicographic by weights: one more migration meeting its targets outweighs any makespan, one more urgent one any number of others.
        var perMeet = 2 * horizon + 1;
        var perUrgent = perMeet * (batch.Count + 1);
        var objective = LinearExpr.Sum(Enumerable.Range(0, batch.Count).Select(i => meets[i] * (batch[i].Urgent ? perUrgent + perMeet : perMeet)));
        model.Maximize(objective - makespan);

        // The limit bounds the search; building the model (the designer's plans for every option) comes before it.
        var built = watch.Elapsed;
        var solver = new CpSolver
        {
            StringParameters = string.Create(CultureInfo.InvariantCulture,
                $"max_time_in_seconds:{options.SolverTimeLimit.TotalSeconds:R} num_workers:{Math.Clamp(Environment.ProcessorCount, 1, 2)} random_seed:21"),
        };
        var status = solver.Solve(model);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
            return new BurstSolution(status.ToString(), watch.Elapsed, null, null, null) { ModelMs = built.TotalMilliseconds };

        var destinations = new Dictionary<BurstRequest, NodeId>();
        var startsMs = new Dictionary<BurstRequest, double>();
        var keyed = new List<(BurstRequest Request, long Start, long End)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var pick = chosen[i].First(c => solver.BooleanValue(c.Literal)).Option;
            destinations[batch[i]] = pick.Destination;
            startsMs[batch[i]] = solver.Value(starts[i]) * unit;
            keyed.Add((batch[i], solver.Value(starts[i]), solver.Value(runEnds[i])));
        }
        // The order the ledger is filled in: by start, urgent first on a tie, then the one that ends first.
        var order = keyed.OrderBy(k => k.Start).ThenBy(k => k.Request.Urgent ? 0 : 1).ThenBy(k => k.End).Select(k => k.Request).ToList();
        order.AddRange(unplannable);
        return new BurstSolution(status.ToString(), watch.Elapsed, order, destinations, startsMs) { ModelMs = built.TotalMilliseconds };
    }

    /// <summary>A migration's options: the first destinations that serve its users, each with the designer's plan and the shortest one, on the whole path.</summary>
    private List<Option> OptionsOf(BurstRequest request)
    {
        var first = planner.Plan(request.Service, request.Tenant, request.Options);
        var targets = request.Options.Targets ?? request.Service.Targets;
        IEnumerable<NodeId> nodes;
        if (request.Options.Destination is { } named)
            nodes = [named];
        else if (first.Placement.Candidates.Count == 0)
            return [];
        else
        {
            var top = first.Placement.Candidates[0].Node;
            var near = first.Placement.Candidates.Where(c => c.UserLatencyMs <= targets.MaxUserLatencyMs).Select(c => c.Node).ToList();
            nodes = first.Placement.Candidates.Select(c => c.Node).Where(n => n == top || near.Count == 0 || near.Contains(n))
                .Take(Math.Max(1, options.SolverDestinations));
        }
        var result = new List<Option>();
        foreach (var node in nodes)
        {
            var links = planner.Topology.PathLinks(request.Service.NodeId, node).Select(l => l.Id).ToList();
            var designed = planner.Plan(request.Service, request.Tenant, request.Options with { Destination = node }).Plan;
            // A plan without a finite time (a replay that never catches up) cannot be laid on the time line.
            if (designed is null || !Schedulable(designed))
                continue;
            result.Add(new Option(request, node, designed, false) { Links = links });
            var shortest = planner.Plan(request.Service, request.Tenant, request.Options with { Destination = node, ForcedIterations = request.Options.ForcedIterations ?? 0 }).Plan;
            if (shortest is not null && Schedulable(shortest) && shortest.PredictedMigrationTimeMs < designed.PredictedMigrationTimeMs - 1e-6)
                result.Add(new Option(request, node, shortest, true) { Links = links });
        }
        return result;
    }

    private static bool Schedulable(MigrationPlan plan)
        => double.IsFinite(plan.PredictedRunMs) && double.IsFinite(plan.PredictedMigrationTimeMs)
            && LinkLedger.SendingWindows(plan, 0).All(w => double.IsFinite(w.FromMs) && double.IsFinite(w.UntilMs));

    /// <summary>What the ledger holds on a link from now on, as constant steps (from, until, kbit/s), each clipped to the link's capacity.</summary>
    private List<(double From, double Until, long Kbps)> HeldProfile(LinkId link, long capacityKbps)
    {
        var holdings = ledger.On(link).Where(h => h.UntilMs > 0).ToList();
        var points = holdings.SelectMany(h => new[] { Math.Max(0, h.FromMs), h.UntilMs }).Distinct().Order().ToList();
        var steps = new List<(double, double, long)>();
        for (var p = 0; p + 1 < points.Count; p++)
        {
            var kbps = (long)Math.Ceiling(ledger.ReservedAt(link, points[p]) / 1e3);
            if (kbps > 0)
                steps.Add((points[p], points[p + 1], Math.Min(kbps, capacityKbps)));
        }
        return steps;
    }
}
