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
    ILogger<RedisMigrationEventRelay> logger) : RedisRelay<RedisMigrationEventRelay.RelayedEvents>(redis, EventsChannel, logger), IMigrationEventPublisher
{
    public static readonly RedisChannel EventsChannel = RedisChannel.Literal("edgeportal:migration-events");

    public void Publish(IReadOnlyList<MigrationEvent> events)
    {
        if (events.Count == 0)
            return;
        broadcaster.Publish(events);
        try
        {
            Subscriber.Publish(Channel, Serialize(new RelayedEvents(replica.Name, events)), CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            // The events are persisted and delivered here; other replicas' pages catch up from the store on their next read.
            LogPublishFailed(e, events.Count);
        }
    }

    protected override void OnMessage(RelayedEvents message)
    {
        if (message.Origin != replica.Name)
            broadcaster.PublishFromReplica(message.Events);
    }

    /// <summary>One publish of one replica.</summary>
    public sealed record RelayedEvents(string Origin, IReadOnlyList<MigrationEvent> Events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} migration events could not be published to the other replicas")]
    private partial void LogPublishFailed(Exception e, int count);
}
