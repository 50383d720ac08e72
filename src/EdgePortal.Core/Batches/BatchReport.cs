using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Batches;

/// <summary>The target a migration of a batch misses.</summary>
public enum BatchTarget
{
    /// <summary>The most its users may go without it (<see cref="KpiTargets.MaxDowntimeMs"/>).</summary>
    Downtime,
    /// <summary>θ_mig, counted from acceptance as the planner counts it: the wait for a slot and for bandwidth is part of it.</summary>
    MigrationTime,
}

/// <summary>Why a migration of a batch misses a target.</summary>
public enum MissReason
{
    /// <summary>No plan met the target on what the links and slots left; it was accepted as a miss (a drain must empty its node).</summary>
    PlannedToMiss,
    /// <summary>It waited for migrations ahead of it to release bandwidth on its path (<see cref="CapacityChoice.Wait"/>).</summary>
    WaitedForBandwidth,
    /// <summary>It waited for one of the engine's slots (per cluster, leaving a node).</summary>
    QueuedForSlot,
    /// <summary>It started on what was left of its path and reserved less than it needed (<see cref="CapacityChoice.ReserveLess"/>).</summary>
    ReservedLess,
    /// <summary>It went to another destination than the best one, whose path had the bandwidth (<see cref="CapacityChoice.OtherDestination"/>).</summary>
    OtherDestination,
    /// <summary>It started later than its plan predicted.</summary>
    StartedLate,
    /// <summary>It ran longer (or was down longer) than its plan predicted.</summary>
    RanLonger,
    /// <summary>It ended without completing (rolled back, cancelled or failed).</summary>
    DidNotComplete,
}

/// <summary>One target a migration misses: the target, the value that misses it (measured when it has one), and why.</summary>
public sealed record BatchMiss(BatchTarget Target, double TargetMs, double ValueMs, bool Measured, IReadOnlyList<MissReason> Reasons, string Explanation);

/// <summary>
/// One migration of a batch: its predicted window (acceptance plus the predicted wait, then its predicted run) beside the
/// actual one, the capacity choice its plan took, and the targets it misses and why.
/// </summary>
public sealed record BatchMigration
{
    public required MigrationId MigrationId { get; init; }
    public required ServiceId ServiceId { get; init; }
    public required string ServiceName { get; init; }
    public required MigrationState State { get; init; }
    public required MigrationStrategy Strategy { get; init; }
    public required NodeId Source { get; init; }
    public required string SourceName { get; init; }
    public required NodeId Destination { get; init; }
    public required string DestinationName { get; init; }
    public required CapacityChoice Capacity { get; init; }
    public required double ReservedBitsPerSecond { get; init; }
    public required KpiTargets Targets { get; init; }
    public required DateTimeOffset AcceptedAt { get; init; }
    public required DateTimeOffset PredictedStart { get; init; }
    public required DateTimeOffset PredictedEnd { get; init; }
    public DateTimeOffset? ActualStart { get; init; }
    public DateTimeOffset? ActualEnd { get; init; }
    public required double PredictedDowntimeMs { get; init; }
    public double? MeasuredDowntimeMs { get; init; }
    public required IReadOnlyList<BatchMiss> Misses { get; init; }
    public bool MeetsTargets => Misses.Count == 0;
}

/// <summary>From <see cref="At"/> on (until the next point), the batch's plans reserve <see cref="ReservedBitsPerSecond"/> on the link.</summary>
public sealed record LinkLoadPoint(DateTimeOffset At, double ReservedBitsPerSecond);

/// <summary>One link the batch's migrations cross: its capacity and what their plans reserve on it over time (a step function).</summary>
public sealed record BatchLinkLoad(LinkId LinkId, string Name, double CapacityBitsPerSecond, IReadOnlyList<LinkLoadPoint> Load)
{
    public double PeakBitsPerSecond => Load.Count == 0 ? 0 : Load.Max(p => p.ReservedBitsPerSecond);
    /// <summary>Whether the plans reserve more than the link carries at some moment.</summary>
    public bool Overbooked => PeakBitsPerSecond > CapacityBitsPerSecond * (1 + 1e-9);
}

/// <summary>
/// A batch's plan on one page: every migration's predicted and actual window, the load the plans put on each link they
/// cross (from their sending profiles, <see cref="LinkLedger.SendingWindows"/>, laid out from their predicted starts),
/// and who misses which target and why. Built from the stored migrations alone, so it reads the same after a restart and
/// on every replica.
/// </summary>
public sealed record BatchReport
{
    public required BatchId Id { get; init; }
    /// <summary>When the first migration of the batch was accepted: time zero of its charts.</summary>
    public required DateTimeOffset AcceptedAt { get; init; }
    public required DateTimeOffset PredictedEnd { get; init; }
    /// <summary>When the last migration ended, once every one has.</summary>
    public DateTimeOffset? ActualEnd { get; init; }
    public required IReadOnlyList<BatchMigration> Migrations { get; init; }
    public required IReadOnlyList<BatchLinkLoad> Links { get; init; }
    public int MeetingTargets => Migrations.Count(m => m.MeetsTargets);
    public int Finished => Migrations.Count(m => m.ActualEnd is not null);

    /// <summary>A start or a run later or longer than predicted by more than this share (and <see cref="SlackMs"/>) is named as a reason.</summary>
    public const double Tolerance = 0.1;

    /// <summary>Differences below this are noise (timers, a step's bookkeeping), never a reason.</summary>
    public const double SlackMs = 50;

    /// <summary>The report of the migrations given (those of one batch that the reader may see), or null when there are none.</summary>
    public static BatchReport? Of(BatchId id, IReadOnlyCollection<Migration> migrations, EdgeTopology topology, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(topology);
        if (migrations.Count == 0)
            return null;
        var ordered = migrations.OrderBy(m => m.CreatedAt + TimeSpan.FromMilliseconds(Finite(m.Plan.PredictedStartMs))).ThenBy(m => m.ServiceName, StringComparer.Ordinal).ToList();
        var origin = ordered.Min(m => m.CreatedAt);
        var entries = ordered.Select(m => Entry(m, topology, now)).ToList();
        return new BatchReport
        {
            Id = id,
            AcceptedAt = origin,
            PredictedEnd = entries.Max(e => e.PredictedEnd),
            ActualEnd = entries.All(e => e.ActualEnd is not null) ? entries.Max(e => e.ActualEnd) : null,
            Migrations = entries,
            Links = Loads(ordered, topology, origin),
        };
    }

    private static double Finite(double ms) => double.IsFinite(ms) ? Math.Max(ms, 0) : 0;

    private static string NameOf(EdgeTopology topology, NodeId node) => topology.Contains(node) ? topology.Node(node).Name : node.ToString();

    private static BatchMigration Entry(Migration m, EdgeTopology topology, DateTimeOffset now)
    {
        var plan = m.Plan;
        var predictedStart = m.CreatedAt + TimeSpan.FromMilliseconds(Finite(plan.PredictedStartMs));
        var predictedEnd = predictedStart + TimeSpan.FromMilliseconds(Finite(plan.PredictedRunMs));
        return new BatchMigration
        {
            MigrationId = m.Id,
            ServiceId = m.ServiceId,
            ServiceName = m.ServiceName,
            State = m.State,
            Strategy = m.Strategy,
            Source = m.Source,
            SourceName = NameOf(topology, m.Source),
            Destination = m.Destination,
            DestinationName = NameOf(topology, m.Destination),
            Capacity = plan.Capacity,
            ReservedBitsPerSecond = plan.ReservedBandwidth.BitsPerSecond,
            Targets = m.Targets,
            AcceptedAt = m.CreatedAt,
            PredictedStart = predictedStart,
            PredictedEnd = predictedEnd,
            ActualStart = m.StartedAt,
            ActualEnd = m.FinishedAt,
            PredictedDowntimeMs = plan.PredictedDowntimeMs,
            MeasuredDowntimeMs = m.MeasuredDowntimeMs,
            Misses = Misses(m, predictedStart, now),
        };
    }

    /// <summary>Which targets the migration misses (measured once it has the value, predicted before) and why.</summary>
    public static IReadOnlyList<BatchMiss> Misses(Migration migration, DateTimeOffset predictedStart, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(migration);
        var plan = migration.Plan;
        var targets = migration.Targets;
        var misses = new List<BatchMiss>();
        var failed = migration.IsTerminal && migration.State != MigrationState.Completed;
        var startedLate = migration.StartedAt is { } started && Late((started - migration.CreatedAt).TotalMilliseconds, Finite(plan.PredictedStartMs));

        // Downtime: what the users went without once it completed; the plan's prediction before.
        var downtime = migration.MeasuredDowntimeMs ?? plan.PredictedDowntimeMs;
        if (!failed && downtime > targets.MaxDowntimeMs)
        {
            var reasons = new List<MissReason>();
            if (!plan.Feasible && plan.PredictedDowntimeMs > targets.MaxDowntimeMs)
                reasons.Add(MissReason.PlannedToMiss);
            if (plan.Capacity == CapacityChoice.ReserveLess)
                reasons.Add(MissReason.ReservedLess);
            if (plan.Capacity == CapacityChoice.OtherDestination)
                reasons.Add(MissReason.OtherDestination);
            if (migration.MeasuredDowntimeMs is { } measured && Late(measured, plan.PredictedDowntimeMs))
                reasons.Add(MissReason.RanLonger);
            misses.Add(new BatchMiss(BatchTarget.Downtime, targets.MaxDowntimeMs, downtime, migration.MeasuredDowntimeMs is not null, reasons,
                Explain(BatchTarget.Downtime, targets.MaxDowntimeMs, downtime, migration.MeasuredDowntimeMs is not null, reasons, plan)));
        }

        // θ_mig from acceptance: measured at its end, the time so far when it is already past it, the prediction otherwise.
        var predictedTotal = Finite(plan.PredictedStartMs) + plan.PredictedMigrationTimeMs;
        var (total, measuredTotal) = migration.FinishedAt is { } finished ? ((finished - migration.CreatedAt).TotalMilliseconds, true)
            : (now - migration.CreatedAt).TotalMilliseconds > targets.MaxMigrationTimeMs && !migration.IsTerminal
                ? ((now - migration.CreatedAt).TotalMilliseconds, true)
                : (predictedTotal, false);
        if (failed || total > targets.MaxMigrationTimeMs)
        {
            var reasons = new List<MissReason>();
            if (failed)
                reasons.Add(MissReason.DidNotComplete);
            if (!plan.Feasible && predictedTotal > targets.MaxMigrationTimeMs)
                reasons.Add(MissReason.PlannedToMiss);
            if (plan.Capacity == CapacityChoice.Wait && plan.PredictedStartMs > 0)
                reasons.Add(MissReason.WaitedForBandwidth);
            else if (plan.PredictedStartMs > SlackMs)
                reasons.Add(MissReason.QueuedForSlot);
            if (plan.Capacity == CapacityChoice.ReserveLess)
                reasons.Add(MissReason.ReservedLess);
            if (plan.Capacity == CapacityChoice.OtherDestination)
                reasons.Add(MissReason.OtherDestination);
            if (startedLate || (migration.StartedAt is null && !migration.IsTerminal && now > predictedStart + TimeSpan.FromMilliseconds(SlackMs)))
                reasons.Add(MissReason.StartedLate);
            if (migration.StartedAt is { } s && migration.FinishedAt is { } f && Late((f - s).TotalMilliseconds, plan.PredictedRunMs))
                reasons.Add(MissReason.RanLonger);
            misses.Add(new BatchMiss(BatchTarget.MigrationTime, targets.MaxMigrationTimeMs, total, measuredTotal, reasons,
                Explain(BatchTarget.MigrationTime, targets.MaxMigrationTimeMs, total, measuredTotal, reasons, plan)));
        }
        return misses;
    }

    private static bool Late(double actualMs, double predictedMs) => actualMs > predictedMs * (1 + Tolerance) + SlackMs;

    private static string Explain(BatchTarget target, double targetMs, double valueMs, bool measured, IReadOnlyList<MissReason> reasons, MigrationPlan plan)
    {
        var what = target == BatchTarget.Downtime ? "downtime" : "migration time (from acceptance)";
        var head = $"{(measured ? "Measured" : "Predicted")} {what} {Planning.PlanText.Duration(valueMs)} is over the target of {Planning.PlanText.Duration(targetMs)}";
        if (reasons.Count == 0)
            return head + ".";
        var why = reasons.Select(r => r switch
        {
            MissReason.PlannedToMiss => $"no plan could meet it ({plan.BindingConstraint ?? "targets"} bound the plan)",
            MissReason.WaitedForBandwidth => $"it waited {Planning.PlanText.Duration(plan.PredictedStartMs)} for bandwidth on its path",
            MissReason.QueuedForSlot => $"it was queued {Planning.PlanText.Duration(plan.PredictedStartMs)} for one of the engine's slots",
            MissReason.ReservedLess => $"it reserved less than it needed ({plan.ReservedBandwidth.BitsPerSecond / 1e6:0.#} Mbit/s, what its path had left)",
            MissReason.OtherDestination => "it went to another destination than the best one",
            MissReason.StartedLate => "it started later than predicted",
            MissReason.RanLonger => "it ran longer than predicted",
            MissReason.DidNotComplete => "it did not complete",
            _ => r.ToString(),
        });
        return $"{head}: {string.Join("; ", why)}.";
    }

    /// <summary>What the batch's plans reserve on every link they cross, over time, from their predicted starts.</summary>
    private static IReadOnlyList<BatchLinkLoad> Loads(IReadOnlyList<Migration> migrations, EdgeTopology topology, DateTimeOffset origin)
    {
        var changes = new Dictionary<LinkId, List<(double AtMs, double Delta)>>();
        foreach (var migration in migrations)
        {
            var plan = migration.Plan;
            var reservations = migration.Reservations.Count > 0 ? migration.Reservations
                : topology.Contains(plan.Source) && topology.Contains(plan.Destination) ? LinkLedger.ReservationsOf(topology, plan) : [];
            if (reservations.Count == 0)
                continue;
            var startMs = (migration.CreatedAt - origin).TotalMilliseconds + Finite(plan.PredictedStartMs);
            var windows = LinkLedger.SendingWindows(plan, startMs);
            foreach (var reservation in reservations)
            {
                if (!changes.TryGetValue(reservation.Link, out var list))
                    changes[reservation.Link] = list = [];
                foreach (var (from, until) in windows)
                {
                    list.Add((from, reservation.Bandwidth.BitsPerSecond));
                    list.Add((Math.Max(until, from + 1), -reservation.Bandwidth.BitsPerSecond));
                }
            }
        }
        var links = topology.Links.ToDictionary(l => l.Id);
        var loads = new List<BatchLinkLoad>(changes.Count);
        foreach (var (id, list) in changes)
        {
            var points = new List<LinkLoadPoint> { new(origin, 0) };
            double level = 0;
            foreach (var group in list.GroupBy(c => c.AtMs).OrderBy(g => g.Key))
            {
                level = Math.Max(0, level + group.Sum(c => c.Delta));
                if (level < 1e-6)
                    level = 0;
                var at = origin + TimeSpan.FromMilliseconds(group.Key);
                if (points[^1].At == at)
                    points[^1] = new LinkLoadPoint(at, level);
                else if (Math.Abs(points[^1].ReservedBitsPerSecond - level) > 1e-6)
                    points.Add(new LinkLoadPoint(at, level));
            }
            var link = links.GetValueOrDefault(id);
            var name = link is null ? id.ToString() : $"{NameOf(topology, link.NodeA)} – {NameOf(topology, link.NodeB)}";
            loads.Add(new BatchLinkLoad(id, name, link?.Bandwidth.BitsPerSecond ?? 0, points));
        }
        return [.. loads.OrderByDescending(l => l.CapacityBitsPerSecond > 0 ? l.PeakBitsPerSecond / l.CapacityBitsPerSecond : 0).ThenBy(l => l.Name, StringComparer.Ordinal)];
    }
}
