using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Web.UseCases.Migrations;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Kubernetes;

/// <summary>
/// Watches the EdgeMigration resources of each managed cluster (<see cref="EdgeMigrationOptions"/>) and reconciles each one:
/// adds the finalizer, starts the migration through <see cref="StartMigration"/> (the use case of <c>POST /api/v1/migrations</c>)
/// under the tenant its namespace maps to, writes the migration's progress to the status subresource whenever the migration
/// changes, cancels it through <see cref="CancelMigration"/> when the resource is deleted, and removes the finalizer once the
/// status holds the migration's end. A resource is reconciled on every watch event, on every event of its migration, and
/// every <see cref="EdgeMigrationOptions.ResyncInterval"/>. Nothing a resource holds stops the controller: a bad spec
/// becomes a condition naming the field.
/// </summary>
public sealed partial class EdgeMigrationController(IKubernetesClients clients, IOptions<KubernetesEdgeOptions> kubernetes,
    IOptions<EdgeMigrationOptions> options, EdgeMigrationReconciler reconciler, IMigrationEventStream events, TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ConcurrentDictionary<string, ClusterController> _clusters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The watch of a cluster's resources (for tests and diagnostics); null when it is not watched.</summary>
    public EdgeMigrationWatch? WatchOf(string cluster) => _clusters.TryGetValue(cluster, out var c) ? c.Watch : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var names = options.Value.Clusters.Count > 0 ? options.Value.Clusters : [.. kubernetes.Value.Clusters.Keys];
        var loops = new List<Task>();
        foreach (var name in names)
        {
            if (clients.For(name) is not { } cluster)
                continue;
            var controller = new ClusterController(cluster, options.Value, reconciler, time, loggers.CreateLogger<EdgeMigrationController>());
            _clusters[name] = controller;
            loops.Add(controller.RunAsync(stoppingToken));
        }
        loops.Add(FollowMigrationsAsync(stoppingToken));
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Every event of a migration a resource started reconciles that resource (on whichever replica drives the migration).</summary>
    private async Task FollowMigrationsAsync(CancellationToken cancellationToken)
    {
        await foreach (var batch in events.Subscribe(null, null, TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false))
            foreach (var id in batch.Select(e => e.MigrationId).Distinct())
                foreach (var cluster in _clusters.Values)
                    cluster.MigrationChanged(id);
    }

    /// <summary>The controller of one cluster: its cache of resources, its queue of keys to reconcile, its watch.</summary>
    private sealed partial class ClusterController
    {
        private readonly KubernetesCluster _cluster;
        private readonly EdgeMigrationOptions _options;
        private readonly EdgeMigrationReconciler _reconciler;
        private readonly TimeProvider _time;
        private readonly ILogger _logger;
        private readonly ConcurrentDictionary<string, EdgeMigration> _cache = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<MigrationId, string> _byMigration = new();
        private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
        private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

        public ClusterController(KubernetesCluster cluster, EdgeMigrationOptions options, EdgeMigrationReconciler reconciler, TimeProvider time, ILogger logger)
        {
            _cluster = cluster;
            _options = options;
            _reconciler = reconciler;
            _time = time;
            _logger = logger;
            Watch = new EdgeMigrationWatch(cluster.Client, logger, time) { WatchTimeoutSeconds = options.WatchTimeoutSeconds };
        }

        public EdgeMigrationWatch Watch { get; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var watch = KeepAsync("watch", () => Watch.RunAsync(Listed, Changed, cancellationToken), cancellationToken);
            var work = KeepAsync("work queue", () => WorkAsync(cancellationToken), cancellationToken);
            var resync = ResyncAsync(cancellationToken);
            await Task.WhenAll(watch, work, resync).ConfigureAwait(false);
        }

        /// <summary>Runs <paramref name="loop"/> again after a failure nobody foresaw: the portal never stops for its EdgeMigrations.</summary>
        private async Task KeepAsync(string what, Func<Task> loop, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await loop().ConfigureAwait(false);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogLoopFailed(e, _cluster.Name, what);
                    await Task.Delay(TimeSpan.FromSeconds(5), _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public void MigrationChanged(MigrationId id)
        {
            if (_byMigration.TryGetValue(id, out var key))
                Enqueue(key);
        }

        private Task Listed(IReadOnlyList<EdgeMigration> items)
        {
            var keys = items.Select(Key).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _cache.Keys.Where(k => !keys.Contains(k)))
                Forget(gone);
            foreach (var item in items)
                Remember(item);
            return Task.CompletedTask;
        }

        private Task Changed(WatchEventType type, EdgeMigration resource)
        {
            if (type == WatchEventType.Deleted)
                Forget(Key(resource));
            else
                Remember(resource);
            return Task.CompletedTask;
        }

        private void Remember(EdgeMigration resource)
        {
            var key = Key(resource);
            // An older copy (an event that arrives after this controller's own write) never replaces a newer one.
            _cache.AddOrUpdate(key, resource, (_, current) => Newer(resource, current) ? resource : current);
            if (Guid.TryParse(resource.Status?.MigrationId, out var id))
                _byMigration[MigrationId.From(id)] = key;
            Enqueue(key);
        }

        private void Forget(string key)
        {
            if (_cache.TryRemove(key, out var gone) && Guid.TryParse(gone.Status?.MigrationId, out var id))
                _byMigration.TryRemove(MigrationId.From(id), out _);
        }

        private static bool Newer(EdgeMigration candidate, EdgeMigration current) =>
            !long.TryParse(candidate.ResourceVersion(), out var a) || !long.TryParse(current.ResourceVersion(), out var b) || a >= b;

        private void Enqueue(string key)
        {
            if (_queued.TryAdd(key, 0))
                _queue.Writer.TryWrite(key);
        }

        private async Task ResyncAsync(CancellationToken cancellationToken)
        {
            using var timer = new PeriodicTimer(_options.ResyncInterval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                foreach (var key in _cache.Keys)
                    Enqueue(key);
        }

        private async Task WorkAsync(CancellationToken cancellationToken)
        {
            await foreach (var key in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                _queued.TryRemove(key, out _);
                if (!_cache.TryGetValue(key, out var resource))
                    continue;
                try
                {
                    if (await _reconciler.ReconcileAsync(_cluster, resource, cancellationToken).ConfigureAwait(false) is { } updated)
                        Remember(updated);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
                {
                    // Someone wrote the resource since it was read: read it again and reconcile that.
                    LogConflict(key);
                    if (await EdgeMigrationReconciler.Reread(_cluster, resource, cancellationToken).ConfigureAwait(false) is { } fresh)
                        Remember(fresh);
                    else
                        Forget(key);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // One resource's trouble (the API server down, a bug) never stops the others: it is tried again at the resync.
                    LogFailed(e, key);
                }
            }
        }

        private static string Key(EdgeMigration resource) => $"{resource.Namespace()}/{resource.Name()}";

        [LoggerMessage(Level = LogLevel.Error, Message = "The EdgeMigration {What} of cluster {Cluster} failed; starting it again in 5 s")]
        private partial void LogLoopFailed(Exception e, string cluster, string what);

        [LoggerMessage(Level = LogLevel.Information, Message = "EdgeMigration {Key} changed while it was reconciled: reading it again")]
        private partial void LogConflict(string key);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling EdgeMigration {Key} failed; it is tried again at the next resync")]
        private partial void LogFailed(Exception e, string key);
    }
}
