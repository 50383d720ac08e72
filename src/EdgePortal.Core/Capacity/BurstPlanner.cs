using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Capacity;

/// <summary>One migration of a batch: the service, its tenant, what it asks for, and whether it is urgent (planned first).</summary>
public sealed record BurstRequest(ServiceInstance Service, Tenant Tenant, PlanningOptions Options, bool Urgent = false);

/// <summary>One migration as the batch's schedule has it: its plan (destination, bandwidth, predicted start) and whether it meets its targets.</summary>
public sealed record BurstEntry(BurstRequest Request, PlanningResult Planning)
{
    /// <summary>The destination CP-SAT chose for it, when its schedule was laid out on those (the request named none).</summary>
    public NodeId? SolverDestination { get; init; }

    public bool MeetsTargets => Planning.Feasible;
    public double StartMs => Planning.Plan?.PredictedStartMs ?? 0;
    public double EndMs => Planning.Plan?.PredictedCompletionMs ?? double.PositiveInfinity;
    /// <summary>Which target it misses and why (the binding constraint), or null.</summary>
    public string? Miss => MeetsTargets ? null : Planning.Plan is { } plan ? $"{plan.BindingConstraint ?? "targets"} missed" : Planning.Summary;
}

/// <summary>A batch's schedule: the order the planner used, every entry's plan, and its figures.</summary>
/// <param name="Planner">Who decided the order: <c>CP-SAT</c>, <c>greedy</c>, or <c>exact</c>/<c>independent</c>/<c>in order</c> for the references.</param>
/// <param name="SolverStatus">CP-SAT's status (Optimal, Feasible, Unknown, …) when it was asked; null when it was not.</param>
public sealed record BurstSchedule(IReadOnlyList<BurstEntry> Entries, string Method, string Planner = "greedy", string? SolverStatus = null)
{
    /// <summary>How the batch was planned, for the rationale ("planned by CP-SAT (Optimal in 40 ms, …)"); null for the references.</summary>
    public string? Decision { get; init; }

    /// <summary>The sentence each plan's rationale ends with: how the batch was planned and where this one is in its order.</summary>
    public string? NoteFor(int position) => Decision is null ? null : $"One of a batch of {Entries.Count}, {Decision}; it is number {position + 1} in that order.";

    public int MeetingTargets => Entries.Count(e => e.MeetsTargets);
    public int UrgentMeetingTargets => Entries.Count(e => e.MeetsTargets && e.Request.Urgent);
    /// <summary>From acceptance until the last migration of the batch is predicted to end.</summary>
    public double MakespanMs => Entries.Count == 0 ? 0 : Entries.Max(e => e.EndMs);

    /// <summary>Better: more urgent ones meet their targets, then more in all, then an earlier end.</summary>
    public bool BetterThan(BurstSchedule other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (UrgentMeetingTargets != other.UrgentMeetingTargets)
            return UrgentMeetingTargets > other.UrgentMeetingTargets;
        if (MeetingTargets != other.MeetingTargets)
            return MeetingTargets > other.MeetingTargets;
        return MakespanMs < other.MakespanMs - 1e-6;
    }
}

/// <summary>
/// Plans the migrations that arrive together (a drain, a schedule's firing, one evaluation of the KPI monitor, a batch
/// call) as one: an order in which each is planned on what those before it left (<see cref="CapacityPlanner"/> on the
/// ledger plus their holdings, so each gets its destination, bandwidth and predicted start), chosen so that the most
/// urgent ones, then the most in all, meet their targets, then the batch ends soonest.
/// </summary>
/// <remarks>
/// <para>The heuristic (<see cref="Plan"/>): urgent ones first; within each group Moore–Hodgson's rule (earliest θ_mig
/// first, and whenever one would end late the longest so far is moved to the back), which maximises the number on time
/// when the migrations share one bottleneck; then adjacent swaps while they improve the schedule, within a time limit. This follows the work on ordering live migrations over shared links
/// (migrations that cannot wait go first, a link is given to few transfers at full rate rather than many at a crawl).</para>
/// <para><see cref="Exact"/> tries every order of a small batch: the reference the tests measure the heuristic's gap against.</para>
/// </remarks>
public sealed class BurstPlanner(MigrationPlanner planner, LinkLedger ledger)
{
    /// <summary>Plans the batch in the given order, each on the ledger plus the holdings of those before it.</summary>
    public BurstSchedule InOrder(IReadOnlyList<BurstRequest> order, string method = "in order")
    {
        ArgumentNullException.ThrowIfNull(order);
        var current = ledger;
        var entries = new List<BurstEntry>(order.Count);
        foreach (var request in order)
        {
            var planning = new CapacityPlanner(planner, current).Plan(request.Service, request.Tenant, request.Options);
            entries.Add(new BurstEntry(request, planning));
            if (planning.Plan is { } plan)
                current = current.With(MigrationId.New(), LinkLedger.ReservationsOf(planner.Topology, plan), plan);
        }
        return new BurstSchedule(entries, method);
    }

    /// <summary>Each planned alone on the ledger as it is, as if the others did not exist: today's independent planning.</summary>
    public BurstSchedule Independent(IReadOnlyList<BurstRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new BurstSchedule([.. batch.Select(r => new BurstEntry(r, new CapacityPlanner(planner, ledger).Plan(r.Service, r.Tenant, r.Options)))], "independent");
    }

    /// <summary>The heuristic: urgent first, Moore–Hodgson within each group, then adjacent swaps that improve it, within <paramref name="timeLimit"/>.</summary>
    public BurstSchedule Plan(IReadOnlyList<BurstRequest> batch, TimeSpan? timeLimit = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var deadline = DateTime.UtcNow + (timeLimit ?? TimeSpan.FromSeconds(1));
        // Moore–Hodgson within each group (urgent, then the rest): earliest θ_mig first; whenever the one just added
        // would end late, the longest so far goes to the back. On one shared link this maximises the migrations on time.
        var alone = new Dictionary<BurstRequest, double>();
        foreach (var request in batch)
            // The shortest it can take (no optional dump rounds): a migration that waits gives up rounds, not its deadline.
            alone[request] = planner.Plan(request.Service, request.Tenant, request.Options with { ForcedIterations = request.Options.ForcedIterations ?? 0 })
                .Plan?.PredictedMigrationTimeMs ?? double.PositiveInfinity;
        double Deadline(BurstRequest r) => (r.Options.Targets ?? r.Service.Targets).MaxMigrationTimeMs;
        var order = new List<BurstRequest>(batch.Count);
        foreach (var group in new[] { batch.Where(r => r.Urgent), batch.Where(r => !r.Urgent) })
        {
            var onTime = new List<BurstRequest>();
            var late = new List<BurstRequest>();
            var end = order.Sum(r => alone[r]);
            foreach (var request in group.OrderBy(Deadline).ThenBy(r => alone[r]))
            {
                onTime.Add(request);
                end += alone[request];
                if (end > Deadline(request))
                {
                    var longest = onTime.MaxBy(r => alone[r])!;
                    onTime.Remove(longest);
                    late.Add(longest);
                    end -= alone[longest];
                }
            }
            order.AddRange(onTime);
            order.AddRange(late.OrderBy(Deadline));
        }
        var best = InOrder(order, "joint");
        var improved = true;
        while (improved && DateTime.UtcNow < deadline)
        {
            improved = false;
            for (var i = 0; i + 1 < order.Count && DateTime.UtcNow < deadline; i++)
            {
                // Urgent ones stay ahead of the others: swaps only reorder within each group.
                if (order[i].Urgent != order[i + 1].Urgent)
                    continue;
                (order[i], order[i + 1]) = (order[i + 1], order[i]);
                var candidate = InOrder(order, "joint");
                if (candidate.BetterThan(best))
                {
                    best = candidate;
                    improved = true;
                }
                else
                    (order[i], order[i + 1]) = (order[i + 1], order[i]);
            }
        }
        return best;
    }

    /// <summary>
    /// The batch planned jointly: by CP-SAT (<see cref="BurstSolver"/>) within <see cref="BurstPlanningOptions.SolverTimeLimit"/>,
    /// its order (and destinations) then laid on the ledger as <see cref="InOrder"/> does; by the greedy heuristic
    /// (<see cref="Plan"/>) when the batch is larger than <see cref="BurstPlanningOptions.SolverMaxBatch"/>, the limit is
    /// zero, or the solver found no schedule in time. Every plan's rationale says which planner decided and the solver's status.
    /// </summary>
    public BurstSchedule Joint(IReadOnlyList<BurstRequest> batch, BurstPlanningOptions? planning = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        planning ??= new BurstPlanningOptions();
        var greedyLimit = planning.SolverTimeLimit > TimeSpan.Zero ? planning.SolverTimeLimit : TimeSpan.FromSeconds(1);
        if (batch.Count > planning.SolverMaxBatch)
            return Decided(Plan(batch, greedyLimit) with { Planner = "greedy" },
                $"planned by the greedy heuristic (urgent first, Moore–Hodgson, improving swaps): {batch.Count} migrations are more than the solver is given ({planning.SolverMaxBatch}, EdgePortal:Planning:SolverMaxBatch)");
        if (planning.SolverTimeLimit <= TimeSpan.Zero)
            return Decided(Plan(batch, greedyLimit) with { Planner = "greedy" },
                "planned by the greedy heuristic (urgent first, Moore–Hodgson, improving swaps): the solver's time limit is zero (EdgePortal:Planning:SolverTimeLimit)");
        var solution = new BurstSolver(planner, ledger, planning).Solve(batch);
        if (solution is not { Order: { } order, Destinations: { } destinations })
            return Decided(Plan(batch, greedyLimit) with { Planner = "greedy", SolverStatus = solution.Status },
                $"planned by the greedy heuristic (urgent first, Moore–Hodgson, improving swaps): CP-SAT found no schedule within {PlanText.Duration(planning.SolverTimeLimit.TotalMilliseconds)} (status {solution.Status}), the fallback");
        // The solver's order with its destinations, and the same order left to the capacity planner's own choices: the better one.
        var pinned = InOrder([.. order.Select(r => r.Options.Destination is null && destinations.ContainsKey(r) ? r with { Options = r.Options with { Destination = destinations[r] } } : r)], "joint");
        pinned = pinned with
        {
            Entries = [.. pinned.Entries.Select((e, k) => e with { Request = order[k], SolverDestination = order[k].Options.Destination is null && destinations.TryGetValue(order[k], out var d) ? d : null })],
        };
        var free = InOrder(order, "joint");
        var best = free.BetterThan(pinned) ? free : pinned;
        return Decided(best with { Method = "joint", Planner = "CP-SAT", SolverStatus = solution.Status },
            $"planned by CP-SAT ({solution.Status} in {PlanText.Duration(solution.WallTime.TotalMilliseconds - solution.ModelMs)}, limit {PlanText.Duration(planning.SolverTimeLimit.TotalMilliseconds)}, model built in {PlanText.Duration(solution.ModelMs)}): an order, destinations and starts that let the most meet their targets, urgent ones first, then end soonest");
    }

    /// <summary>Every plan's rationale ends by saying how the batch was planned (<see cref="BurstSchedule.NoteFor"/>).</summary>
    private static BurstSchedule Decided(BurstSchedule schedule, string how)
    {
        schedule = schedule with { Decision = how };
        return schedule with
        {
            Entries = [.. schedule.Entries.Select((e, k) => e.Planning.Design is { } design
                ? e with { Planning = e.Planning with { Design = design with { Plan = design.Plan with { Rationale = $"{design.Plan.Rationale} {schedule.NoteFor(k)}" } } } }
                : e)],
        };
    }

    /// <summary>The best of every order (n! of them): only for small batches, as the reference for the heuristic.</summary>
    public BurstSchedule Exact(IReadOnlyList<BurstRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count > 8)
            throw new ArgumentException($"Exact planning tries every order; {batch.Count} migrations are too many (at most 8).", nameof(batch));
        BurstSchedule? best = null;
        var order = batch.ToArray();
        Permute(0);
        return best! with { Method = "exact", Planner = "exact" };

        void Permute(int k)
        {
            if (k == order.Length)
            {
                var schedule = InOrder(order, "exact");
                if (best is null || schedule.BetterThan(best))
                    best = schedule;
                return;
            }
            for (var i = k; i < order.Length; i++)
            {
                (order[k], order[i]) = (order[i], order[k]);
                Permute(k + 1);
                (order[k], order[i]) = (order[i], order[k]);
            }
        }
    }
}
