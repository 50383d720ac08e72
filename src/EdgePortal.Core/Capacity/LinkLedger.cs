using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Capacity;

/// <summary>
/// The bandwidth reserved on every link, over time, by the migrations that hold reservations (accepted and not yet
/// ended, <see cref="Migration.HoldsReservations"/>). It is rebuilt from the stored migrations, so it survives a restart
/// and is the same on every replica; nothing else has to remember it, and a migration that ends releases its share
/// by ending. Times are milliseconds from <see cref="Now"/>.
/// </summary>
/// <remarks>
/// A holding lasts from the migration's (predicted) start to its predicted end: a running one from now to its start plus
/// its predicted migration time, a queued one from its creation plus its plan's predicted start. One that runs past its
/// prediction is expected to end at once (1 ms), as the model's times are upper bounds.
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
            var (from, until) = Window(migration, now);
            foreach (var reservation in migration.Reservations)
            {
                if (!holdings.TryGetValue(reservation.Link, out var list))
                    holdings[reservation.Link] = list = [];
                list.Add(new Holding(migration.Id, reservation.Bandwidth.BitsPerSecond, from, until));
            }
        }
        return new LinkLedger(topology, holdings, now) { Holders = holders };
    }

    /// <summary>When a migration holds its reservations, in ms from <paramref name="now"/>.</summary>
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
    {
        var copy = new Dictionary<LinkId, List<Holding>>(_holdings.Count + reservations.Count);
        foreach (var (link, list) in _holdings)
            copy[link] = [.. list];
        foreach (var reservation in reservations)
        {
            if (!copy.TryGetValue(reservation.Link, out var list))
                copy[reservation.Link] = list = [];
            list.Add(new Holding(migration, reservation.Bandwidth.BitsPerSecond, fromMs, fromMs + Math.Max(durationMs, 1)));
        }
        return new LinkLedger(_topology, copy, Now) { Holders = Holders + 1 };
    }
}
