using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Capacity;

/// <summary>
/// The bandwidth reserved on every link, over time, by the migrations that hold reservations (accepted and not yet
/// ended, <see cref="Migration.HoldsReservations"/>). It is rebuilt from the stored migrations, so it survives a restart
/// and is the same on every replica; nothing else has to remember it, and a migration that ends releases its share
/// by ending. Times are milliseconds from <see cref="Now"/>.
/// </summary>
/// <remarks>
/// A migration holds its reserved rate only while it sends (its time profile, <see cref="SendingWindows"/>): the network
/// part of each pre-dump round, transfer and page-in of its plan (<see cref="PlannedStep.SendingMs"/>), laid out from its
/// (predicted) start step by step. A queued one starts at its creation plus its plan's predicted start; a running one
/// from the start of its current step, the steps after it as predicted (an overdue step is expected to end at once). The
/// profile is stored with the migration, in its plan. A plan stored before profiles existed (no step with
/// <see cref="PlannedStep.SendingMs"/>) holds its rate from its start for its whole predicted migration time, as before.
/// </remarks>
public sealed class LinkLedger
{
    /// <summary>One migration's share of one link: bits/s from <see cref="FromMs"/> until <see cref="UntilMs"/>.</summary>
    public readonly record struct Holding(MigrationId Migration, double BitsPerSecond, double FromMs, double UntilMs)
    {
        public bool Covers(double atMs) => FromMs <= atMs && atMs < UntilMs;
    }

    /// <summary>A bandwidth floor handed to the designer when a path is full: its model needs a rate, and a plan on it misses every target.</summary>
    public const double FullPathBitsPerSecond = 1_000;

    private readonly EdgeTopology _topology;
    private readonly Dictionary<LinkId, List<Holding>> _holdings;

    private LinkLedger(EdgeTopology topology, Dictionary<LinkId, List<Holding>> holdings, DateTimeOffset now)
    {
        _topology = topology;
        _holdings = holdings;
        Now = now;
    }

    public DateTimeOffset Now { get; }

    /// <summary>How many migrations hold bandwidth somewhere.</summary>
    public int Holders { get; private init; }

    /// <summary>The ledger of the migrations given (only those that hold reservations count) at <paramref name="now"/>.</summary>
    public static LinkLedger Of(EdgeTopology topology, IEnumerable<Migration> migrations, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(migrations);
        var holdings = new Dictionary<LinkId, List<Holding>>();
        var holders = 0;
        foreach (var migration in migrations)
        {
            if (!migration.HoldsReservations || migration.Reservations.Count == 0)
                continue;
            holders++;
            var windows = Windows(migration, now);
            foreach (var reservation in migration.Reservations)
            {
                if (!holdings.TryGetValue(reservation.Link, out var list))
                    holdings[reservation.Link] = list = [];
                foreach (var (from, until) in windows)
                    list.Add(new Holding(migration.Id, reservation.Bandwidth.BitsPerSecond, from, until));
            }
        }
        return new LinkLedger(topology, holdings, now) { Holders = holders };
    }

    /// <summary>When a migration holds its reservations, in ms from <paramref name="now"/>: from its (predicted) start for its whole predicted migration time (the coarse window of plans without a time profile).</summary>
    public static (double FromMs, double UntilMs) Window(Migration migration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(migration);
        // In ms rather than ticks, so that a holding planned to start at another's release does not overlap it by rounding.
        var start = migration.StartedAt is { } started ? (started - now).TotalMilliseconds
            : (migration.CreatedAt - now).TotalMilliseconds + migration.Plan.PredictedStartMs;
        var from = Math.Max(0, start);
        var until = start + migration.Plan.PredictedMigrationTimeMs;
        return (from, Math.Max(until, from + 1));
    }

    /// <summary>Whether the plan says when it sends (<see cref="PlannedStep.SendingMs"/> on its steps).</summary>
    public static bool HasProfile(MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return plan.Steps.Any(s => s.SendingMs is not null);
    }

    /// <summary>
    /// When a migration holds its reservations, in ms from <paramref name="now"/>: its sending windows from its predicted
    /// start (queued) or from the start of its current step (running), none in the past; its coarse
    /// <see cref="Window"/> when its plan has no time profile.
    /// </summary>
    public static IReadOnlyList<(double FromMs, double UntilMs)> Windows(Migration migration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(migration);
        var plan = migration.Plan;
        if (!HasProfile(plan))
            return [Window(migration, now)];
        if (migration.StartedAt is not { } started)
            return Future(SendingWindows(plan, (migration.CreatedAt - now).TotalMilliseconds + plan.PredictedStartMs));
        // Running: from the start of the step it is in, the rest as predicted.
        var steps = migration.Steps;
        var current = -1;
        for (var i = 0; i < steps.Count; i++)
            if (steps[i].StartedAt is not null)
                current = i;
        if (current < 0 || steps.Count != plan.Steps.Count)
            return Future(SendingWindows(plan, (started - now).TotalMilliseconds));
        var windows = new List<(double, double)>();
        var at = (steps[current].StartedAt!.Value - now).TotalMilliseconds;
        for (var i = current; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            var sending = SendingMsOf(step);
            if (sending > 0)
                Add(windows, at, at + sending);
            // A step still running past its prediction is expected to end at once.
            at = i == current && steps[i].FinishedAt is null ? Math.Max(at + step.PredictedMs, 0) : at + step.PredictedMs;
        }
        return Future(Held(windows));
    }

    /// <summary>
    /// When a plan started at <paramref name="startMs"/> sends over its path: the network part of each sending step, from
    /// the step's start (the twin sends a step's bytes first, then does its dump or restore work), touching windows merged.
    /// </summary>
    public static IReadOnlyList<(double FromMs, double UntilMs)> SendingWindows(MigrationPlan plan, double startMs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!HasProfile(plan))
            return [(startMs, startMs + Math.Max(plan.PredictedMigrationTimeMs, 1))];
        var windows = new List<(double, double)>();
        var at = startMs;
        foreach (var step in plan.Steps)
        {
            var sending = SendingMsOf(step);
            if (sending > 0)
                Add(windows, at, at + sending);
            at += step.PredictedMs;
        }
        return Held(windows);
    }

    /// <summary>
    /// A window shorter than this is not held: shared with another transfer it is delayed by at most its own length (a
    /// dump round of a service that dirties little sends for a millisecond or two), and holding it would keep every other
    /// plan off the link around it.
    /// </summary>
    public const double NegligibleSendingMs = 10;

    private static List<(double, double)> Held(List<(double From, double Until)> windows)
    {
        windows.RemoveAll(w => w.Until - w.From < NegligibleSendingMs);
        return windows;
    }

    /// <summary>How long a step sends: its network part, or all of it for a sending step of a plan without one.</summary>
    private static double SendingMsOf(PlannedStep step)
        => !double.IsFinite(step.PredictedMs) ? 0 : Math.Min(step.SendingMs ?? (PlannedStep.Sends(step.Kind) ? step.PredictedMs : 0), step.PredictedMs);

    private static void Add(List<(double From, double Until)> windows, double from, double until)
    {
        if (windows.Count > 0 && windows[^1].Until >= from - 1e-6)
            windows[^1] = (windows[^1].From, Math.Max(windows[^1].Until, until));
        else
            windows.Add((from, until));
    }

    /// <summary>The windows from now on (those past dropped, the current one clipped at now), each at least 1 ms.</summary>
    private static List<(double, double)> Future(IReadOnlyList<(double FromMs, double UntilMs)> windows)
    {
        var future = new List<(double, double)>(windows.Count);
        foreach (var (from, until) in windows)
            if (until > 0)
                future.Add((Math.Max(from, 0), Math.Max(until, Math.Max(from, 0) + 1)));
        return future;
    }

    /// <summary>The holdings of one link.</summary>
    public IReadOnlyList<Holding> On(LinkId link) => _holdings.TryGetValue(link, out var list) ? list : [];

    /// <summary>Bits/s reserved on a link at <paramref name="atMs"/>.</summary>
    public double ReservedAt(LinkId link, double atMs = 0)
    {
        double sum = 0;
        foreach (var holding in On(link))
            if (holding.Covers(atMs))
                sum += holding.BitsPerSecond;
        return sum;
    }

    /// <summary>The most reserved on a link at any time in [<paramref name="fromMs"/>, <paramref name="untilMs"/>).</summary>
    public double PeakReserved(LinkId link, double fromMs, double untilMs)
    {
        var list = On(link);
        var peak = ReservedAt(link, fromMs);
        foreach (var holding in list)
            if (holding.FromMs > fromMs && holding.FromMs < untilMs)
                peak = Math.Max(peak, ReservedAt(link, holding.FromMs));
        return peak;
    }

    /// <summary>
    /// What a transfer from <paramref name="from"/> to <paramref name="to"/> can reserve throughout
    /// [<paramref name="fromMs"/>, <paramref name="untilMs"/>): the narrowest residual along the path, never below
    /// <see cref="FullPathBitsPerSecond"/>.
    /// </summary>
    public Bandwidth Residual(NodeId from, NodeId to, double fromMs = 0, double untilMs = double.PositiveInfinity)
    {
        var path = _topology.PathLinks(from, to);
        if (path.Count == 0)
            return _topology.PathBandwidth(from, to);
        var residual = double.PositiveInfinity;
        foreach (var link in path)
            residual = Math.Min(residual, link.Bandwidth.BitsPerSecond - PeakReserved(link.Id, fromMs, untilMs));
        return new Bandwidth(Math.Max(residual, FullPathBitsPerSecond));
    }

    /// <summary>
    /// What a transfer from <paramref name="from"/> to <paramref name="to"/> can reserve during every one of
    /// <paramref name="windows"/> (when it sends): the narrowest residual along the path over them, never below
    /// <see cref="FullPathBitsPerSecond"/>; the path's bandwidth when it sends nothing.
    /// </summary>
    public Bandwidth Residual(NodeId from, NodeId to, IReadOnlyList<(double FromMs, double UntilMs)> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var path = _topology.PathLinks(from, to);
        if (path.Count == 0 || windows.Count == 0)
            return _topology.PathBandwidth(from, to);
        var residual = double.PositiveInfinity;
        foreach (var link in path)
            foreach (var (f, u) in windows)
                residual = Math.Min(residual, link.Bandwidth.BitsPerSecond - PeakReserved(link.Id, f, u));
        return new Bandwidth(Math.Max(residual, FullPathBitsPerSecond));
    }

    /// <summary>Whether the plan's rate fits what is left on every link of its path whenever it sends, from its predicted start.</summary>
    public bool Fits(MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Residual(plan.Source, plan.Destination, SendingWindows(plan, plan.PredictedStartMs)).BitsPerSecond
            >= plan.ReservedBandwidth.BitsPerSecond * (1 - 1e-9);
    }

    /// <summary>Bits/s reserved now on the path's most loaded link, for the rationale.</summary>
    public double ReservedOnPath(NodeId from, NodeId to)
    {
        double most = 0;
        foreach (var link in _topology.PathLinks(from, to))
            most = Math.Max(most, ReservedAt(link.Id));
        return most;
    }

    /// <summary>When holdings on the path end, after now, earliest first: the moments worth waiting for.</summary>
    public IReadOnlyList<double> ReleasesOn(NodeId from, NodeId to)
    {
        var times = new SortedSet<double>();
        foreach (var link in _topology.PathLinks(from, to))
            foreach (var holding in On(link.Id))
                if (holding.UntilMs > 0)
                    times.Add(holding.UntilMs);
        return [.. times];
    }

    /// <summary>The reservations a plan takes: its bandwidth on every link of its path.</summary>
    public static IReadOnlyList<LinkReservation> ReservationsOf(EdgeTopology topology, MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(plan);
        var path = topology.PathLinks(plan.Source, plan.Destination);
        var reservations = new LinkReservation[path.Count];
        for (var i = 0; i < path.Count; i++)
            reservations[i] = new LinkReservation(path[i].Id, plan.ReservedBandwidth);
        return reservations;
    }

    /// <summary>This ledger with one more holding (a plan accepted in the same batch), from <paramref name="fromMs"/> for its predicted time.</summary>
    public LinkLedger With(MigrationId migration, IReadOnlyList<LinkReservation> reservations, double fromMs, double durationMs)
        => With(migration, reservations, [(fromMs, fromMs + Math.Max(durationMs, 1))]);

    /// <summary>This ledger with a plan accepted in the same batch, holding its reservations while it sends (<see cref="SendingWindows"/> from its predicted start).</summary>
    public LinkLedger With(MigrationId migration, IReadOnlyList<LinkReservation> reservations, MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return With(migration, reservations, SendingWindows(plan, plan.PredictedStartMs));
    }

    /// <summary>This ledger with one more holding over <paramref name="windows"/>.</summary>
    public LinkLedger With(MigrationId migration, IReadOnlyList<LinkReservation> reservations, IReadOnlyList<(double FromMs, double UntilMs)> windows)
    {
        ArgumentNullException.ThrowIfNull(reservations);
        ArgumentNullException.ThrowIfNull(windows);
        var copy = new Dictionary<LinkId, List<Holding>>(_holdings.Count + reservations.Count);
        foreach (var (link, list) in _holdings)
            copy[link] = [.. list];
        foreach (var reservation in reservations)
        {
            if (!copy.TryGetValue(reservation.Link, out var list))
                copy[reservation.Link] = list = [];
            foreach (var (from, until) in windows)
                list.Add(new Holding(migration, reservation.Bandwidth.BitsPerSecond, from, Math.Max(until, from + 1)));
        }
        return new LinkLedger(_topology, copy, Now) { Holders = Holders + 1 };
    }
}
