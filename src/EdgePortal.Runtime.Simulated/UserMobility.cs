using EdgePortal.Core.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

/// <summary>A user group's journey: the sites it passes, back and forth.</summary>
public sealed record MobilityRoute(UserGroupId Group, IReadOnlyList<NodeId> Sites);

/// <summary>One scripted move: at step <see cref="Step"/>, the group attaches at <see cref="Site"/>.</summary>
public sealed record MobilityMove(int Step, UserGroupId Group, NodeId Site);

/// <summary>
/// The mobility model of the simulated edge: each user group travels along a route of neighbouring sites (a
/// walk over the links from where it starts, generated from the seed), back and forth, passing
/// <see cref="MobilityOptions.SitesPerMinute"/> sites a minute at its own pace (0.5–1.5× the speed, from the seed).
/// Moving a group means saving it attached at its new site, so the KPI monitor sees its service's latency
/// change. Deterministic: the same inventory, seed and number of steps give the same positions. Tests drive
/// <see cref="Step"/> themselves, or replay a scripted trace with <see cref="Apply"/>. Sites are the topology's nodes: a
/// group whose route reaches a node retired since stays where it is until the route leads on.
/// </summary>
public sealed class UserMobility
{
    private readonly IInventoryRepository _inventory;
    private readonly Lock _gate = new();
    private readonly Dictionary<UserGroupId, Traveller> _travellers = [];
    private readonly MobilityOptions _options;

    public UserMobility(IInventoryRepository inventory, IOptions<MobilityOptions> options)
    {
        _inventory = inventory;
        _options = options.Value;
    }

    /// <summary>Steps taken so far.</summary>
    public int Steps { get; private set; }

    /// <summary>The routes, generated on first use from the inventory and the seed.</summary>
    public IReadOnlyList<MobilityRoute> Routes
    {
        get
        {
            lock (_gate)
            {
                EnsureRoutes();
                return [.. _travellers.Values.Select(t => t.Route)];
            }
        }
    }

    /// <summary>Advances every group by one tick of <paramref name="tick"/>; returns the groups that changed site.</summary>
    public IReadOnlyList<UserGroup> Step(TimeSpan tick)
    {
        lock (_gate)
        {
            EnsureRoutes();
            Steps++;
            var moved = new List<UserGroup>();
            var groups = _inventory.UserGroups().ToDictionary(g => g.Id);
            var edge = _inventory.Topology();
            foreach (var traveller in _travellers.Values)
            {
                traveller.Progress += _options.SitesPerMinute / 60 * tick.TotalSeconds * traveller.Pace;
                if (traveller.Progress < 1)
                    continue;
                traveller.Progress -= Math.Floor(traveller.Progress);
                traveller.Advance();
                if (groups.TryGetValue(traveller.Route.Group, out var group) && group.AttachedTo != traveller.Site && edge.Contains(traveller.Site))
                {
                    var at = group.AttachedAt(traveller.Site);
                    _inventory.Save(at);
                    moved.Add(at);
                }
            }
            return moved;
        }
    }

    /// <summary>Applies the moves of a scripted trace that fall on <paramref name="step"/>; returns the groups moved.</summary>
    public IReadOnlyList<UserGroup> Apply(IEnumerable<MobilityMove> trace, int step)
    {
        lock (_gate)
        {
            var groups = _inventory.UserGroups().ToDictionary(g => g.Id);
            var edge = _inventory.Topology();
            var moved = new List<UserGroup>();
            foreach (var move in trace.Where(m => m.Step == step))
            {
                if (!groups.TryGetValue(move.Group, out var group) || group.AttachedTo == move.Site || !edge.Contains(move.Site))
                    continue;
                var at = group.AttachedAt(move.Site);
                _inventory.Save(at);
                groups[at.Id] = at;
                moved.Add(at);
            }
            return moved;
        }
    }

    private void EnsureRoutes()
    {
        if (_travellers.Count > 0)
            return;
        var random = new Random(_options.Seed);
        var links = _inventory.Topology().Links;
        var neighbours = links.SelectMany(l => new[] { (l.NodeA, l.NodeB), (l.NodeB, l.NodeA) })
            .GroupBy(p => p.Item1).ToDictionary(g => g.Key, g => g.Select(p => p.Item2).OrderBy(n => n.Value).ToArray());
        foreach (var group in _inventory.UserGroups().OrderBy(g => g.Id.Value))
        {
            var sites = new List<NodeId> { group.AttachedTo };
            while (sites.Count < _options.RouteLength && neighbours.TryGetValue(sites[^1], out var next))
            {
                var options = next.Where(n => !sites.Contains(n)).ToArray();
                if (options.Length == 0)
                    break;
                sites.Add(options[random.Next(options.Length)]);
            }
            _travellers[group.Id] = new Traveller(new MobilityRoute(group.Id, sites), 0.5 + random.NextDouble(), random.NextDouble());
        }
    }

    private sealed class Traveller(MobilityRoute route, double pace, double progress)
    {
        private int _index;
        private int _direction = 1;

        public MobilityRoute Route { get; } = route;
        public double Pace { get; } = pace;
        public double Progress { get; set; } = progress;
        public NodeId Site => Route.Sites[_index];

        public void Advance()
        {
            if (Route.Sites.Count < 2)
                return;
            if (_index + _direction is var next && (next < 0 || next >= Route.Sites.Count))
                _direction = -_direction;
            _index += _direction;
        }
    }
}

/// <summary>Moves the simulated users on a timer when <see cref="MobilityOptions.Enabled"/> is on.</summary>
public sealed class UserMobilityDriver(UserMobility mobility, IOptions<MobilityOptions> options, TimeProvider clock, ILogger<UserMobilityDriver> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return;
        logger.LogInformation("Simulated users travel: {Speed} sites a minute, seed {Seed}", settings.SitesPerMinute, settings.Seed);
        using var timer = new PeriodicTimer(settings.TickInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    foreach (var group in mobility.Step(settings.TickInterval))
                        logger.LogDebug("User group {Group} moved to {Site}", group.Name, group.AttachedTo);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "The mobility model could not move the users this tick");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
