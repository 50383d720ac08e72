using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// Carries the live event stream across replicas through Redis pub/sub: what this replica's engine publishes goes to
/// its own subscribers at once and to one Redis channel; what arrives on the channel from another replica is handed to
/// this replica's <see cref="MigrationEventBroadcaster"/> as theirs, so Blazor pages here see migrations another
/// replica runs. Messages of one migration come from the one replica that runs it, on one connection, and are read
/// from an ordered queue, so they keep their order.
/// </summary>
public sealed partial class RedisMigrationEventRelay(MigrationEventBroadcaster broadcaster, RedisConnection redis, ReplicaIdentity replica,
    ILogger<RedisMigrationEventRelay> logger) : IMigrationEventPublisher, IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("edgeportal:migration-events");

    private ChannelMessageQueue? _queue;

    public void Publish(IReadOnlyList<MigrationEvent> events)
    {
        if (events.Count == 0)
            return;
        broadcaster.Publish(events);
        try
        {
            var message = JsonSerializer.Serialize(new RelayedEvents(replica.Name, events), DomainJson.Options);
            redis.Multiplexer.GetSubscriber().Publish(Channel, message, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // The events are persisted and delivered here; other replicas' pages catch up from the store on their next read.
            LogPublishFailed(e, events.Count);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _queue = await redis.Multiplexer.GetSubscriber().SubscribeAsync(Channel).ConfigureAwait(false);
        _queue.OnMessage(Receive);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null)
            await _queue.UnsubscribeAsync().ConfigureAwait(false);
    }

    private void Receive(ChannelMessage message)
    {
        try
        {
            var relayed = JsonSerializer.Deserialize<RelayedEvents>((string)message.Message!, DomainJson.Options);
            if (relayed is null || relayed.Origin == replica.Name)
                return;
            broadcaster.PublishFromReplica(relayed.Events);
        }
        catch (JsonException e)
        {
            LogUnreadable(e);
        }
    }

    /// <summary>One publish of one replica.</summary>
    public sealed record RelayedEvents(string Origin, IReadOnlyList<MigrationEvent> Events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} migration events could not be published to the other replicas")]
    private partial void LogPublishFailed(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A relayed migration event could not be read")]
    private partial void LogUnreadable(Exception e);
}
