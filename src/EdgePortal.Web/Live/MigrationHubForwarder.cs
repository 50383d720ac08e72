using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.AspNetCore.SignalR;

namespace EdgePortal.Web.Live;

/// <summary>
/// Subscribes to the live stream for all tenants and pushes each batch to the hub's groups: the
/// tenant's and the migration's. A short batch interval keeps step-to-client latency low. It forwards only this
/// replica's own events: with several replicas, the SignalR Redis backplane carries each send to the clients of
/// every replica, so forwarding another replica's events too would deliver them twice. Each pushed batch records its events'
/// ages in <see cref="MigrationMetrics.EventsDelivered"/> (the dashboard's event delivery latency).
/// </summary>
public sealed class MigrationHubForwarder(IMigrationEventStream stream, IHubContext<MigrationHub, IMigrationHubClient> hub,
    MigrationMetrics metrics, TimeProvider clock, ILogger<MigrationHubForwarder> logger) : BackgroundService
{
    public static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var batch in stream.SubscribeThisReplica(BatchInterval, stoppingToken))
            {
                try
                {
                    await Task.WhenAll(batch.GroupBy(e => e.TenantId)
                        .Select(g => hub.Clients.Group(MigrationHub.TenantGroup(g.Key)).MigrationEvents(g.ToArray()))
                        .Concat(batch.GroupBy(e => e.MigrationId)
                            .Select(g => hub.Clients.Group(MigrationHub.MigrationGroup(g.Key)).MigrationEvents(g.ToArray()))));
                    metrics.EventsDelivered(batch, clock.GetUtcNow());
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Pushing {Count} migration events to hub clients failed", batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
