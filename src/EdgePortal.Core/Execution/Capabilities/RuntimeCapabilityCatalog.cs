using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>
/// What every cluster's runtime last said it can do, with the time of the probe, so that planning never waits on the edge:
/// the planner reads it (<see cref="For"/>), the Clusters page and <c>GET /api/v1/capabilities</c> show it with its age.
/// Probes go through the runtime of the cluster's kind (<see cref="IEdgeRuntime.ProbeAsync"/>), one at a time per cluster;
/// <see cref="RuntimeCapabilityRefresher"/> refreshes them in the background, and an answer older than
/// <see cref="CapabilityOptions.MaxAge"/> is refreshed when it is read.
/// </summary>
public sealed partial class RuntimeCapabilityCatalog
{
    private readonly IInventoryRepository _inventory;
    private readonly IReadOnlyDictionary<ClusterKind, IEdgeRuntime> _runtimes;
    private readonly IOptionsMonitor<CapabilityOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<RuntimeCapabilityCatalog> _logger;
    private readonly ConcurrentDictionary<ClusterId, ClusterCapabilities> _entries = new();
    private readonly ConcurrentDictionary<ClusterId, Lazy<Task<ClusterCapabilities>>> _probing = new();

    public RuntimeCapabilityCatalog(IInventoryRepository inventory, IEnumerable<IEdgeRuntime> runtimes, IOptionsMonitor<CapabilityOptions> options,
        TimeProvider clock, ILogger<RuntimeCapabilityCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(runtimes);
        _inventory = inventory ?? throw new ArgumentNullException(nameof(inventory));
        _runtimes = runtimes.ToDictionary(r => r.Kind);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Raised after every probe with its answer (on the thread that probed).</summary>
    public event Action<ClusterCapabilities>? Changed;

    /// <summary>Every cluster's last answer, by cluster name.</summary>
    public IReadOnlyList<ClusterCapabilities> Snapshot() => [.. _entries.Values.OrderBy(e => e.Cluster, StringComparer.Ordinal)];

    /// <summary>The cluster's last answer, or null when it was never probed.</summary>
    public ClusterCapabilities? Find(ClusterId cluster) => _entries.GetValueOrDefault(cluster);

    /// <summary>How old an answer is now.</summary>
    public TimeSpan AgeOf(ClusterCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var age = _clock.GetUtcNow() - capabilities.ProbedAt;
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    /// <summary>Whether an answer is older than <see cref="CapabilityOptions.MaxAge"/>.</summary>
    public bool IsStale(ClusterCapabilities capabilities) => AgeOf(capabilities) > _options.CurrentValue.MaxAge;

    /// <summary>
    /// What <paramref name="node"/> can do, for the planner: the cached answer (refreshed in the background once stale). A
    /// cluster never probed is probed now, waiting at most <see cref="CapabilityOptions.PlanningWait"/>; without an answer by
    /// then nothing is planned there ("not probed yet") until the probe answers.
    /// </summary>
    public NodeCapabilities For(EdgeCluster cluster, EdgeNode node)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(node);
        var entry = Find(cluster.Id);
        if (entry is null)
        {
            // Off the caller's synchronization context (a Blazor circuit's): the probe completes on the thread pool.
            var probe = Task.Run(() => RefreshAsync(cluster));
            if (probe.Wait(_options.CurrentValue.PlanningWait))
                entry = probe.Result;
        }
        else if (IsStale(entry))
            _ = Task.Run(() => RefreshAsync(cluster));
        return entry is null
            ? NodeCapabilities.Of(cluster.Kind, cluster.Name, node.Name, RuntimeCapabilities.None("not probed yet (the probe is under way)"), null)
            : NodeCapabilities.Of(cluster.Kind, cluster.Name, node.Name, entry.Capabilities, entry.Of(node.Name));
    }

    /// <summary>Probes every registered cluster and forgets the clusters no longer registered.</summary>
    public async Task RefreshAllAsync(CancellationToken cancellationToken = default)
    {
        var clusters = _inventory.Clusters();
        foreach (var gone in _entries.Keys.Except(clusters.Select(c => c.Id)).ToList())
            _entries.TryRemove(gone, out _);
        await Task.WhenAll(clusters.Select(c => RefreshAsync(c, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Probes the cluster now (joining a probe already under way) and caches the answer.</summary>
    public Task<ClusterCapabilities> RefreshAsync(EdgeCluster cluster, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var probe = _probing.GetOrAdd(cluster.Id, _ => new Lazy<Task<ClusterCapabilities>>(() => ProbeAndStoreAsync(cluster)));
        return probe.Value.WaitAsync(cancellationToken);
    }

    private async Task<ClusterCapabilities> ProbeAndStoreAsync(EdgeCluster cluster)
    {
        try
        {
            var entry = await ProbeAsync(cluster).ConfigureAwait(false);
            _entries[cluster.Id] = entry;
            LogProbed(cluster.Name, entry.Reachable, entry.Summary);
            Changed?.Invoke(entry);
            return entry;
        }
        finally
        {
            _probing.TryRemove(cluster.Id, out _);
        }
    }

    private async Task<ClusterCapabilities> ProbeAsync(EdgeCluster cluster)
    {
        RuntimeProbe answer;
        if (!_runtimes.TryGetValue(cluster.Kind, out var runtime))
        {
            var none = $"no runtime drives {cluster.Kind} clusters in this EdgePortal";
            answer = new RuntimeProbe(false, none, RuntimeCapabilities.None(none));
        }
        else
        {
            var timeout = _options.CurrentValue.ProbeTimeout;
            using var bound = new CancellationTokenSource(timeout, _clock);
            try
            {
                answer = await runtime.ProbeAsync(cluster, bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (bound.IsCancellationRequested)
            {
                var silent = $"no answer within {timeout.TotalSeconds:0.#} s";
                answer = new RuntimeProbe(false, silent, RuntimeCapabilities.None(silent));
            }
#pragma warning disable CA1031 // A runtime's probe that throws is a cluster that does not answer, said in its words; planning goes on elsewhere.
            catch (Exception e)
#pragma warning restore CA1031
            {
                var failed = $"the probe failed: {e.GetType().Name}: {e.Message}";
                answer = new RuntimeProbe(false, failed, RuntimeCapabilities.None(failed));
            }
        }
        return new ClusterCapabilities
        {
            ClusterId = cluster.Id,
            Cluster = cluster.Name,
            Kind = cluster.Kind,
            Reachable = answer.Reachable,
            Summary = answer.Summary,
            Capabilities = answer.Capabilities,
            Nodes = answer.Nodes ?? [],
            ProbedAt = _clock.GetUtcNow(),
        };
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Probed cluster {Cluster}: reachable {Reachable}; {Summary}")]
    private partial void LogProbed(string cluster, bool reachable, string summary);
}
