using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// Cancels across replicas through Redis pub/sub: a cancel asked of a replica that does not drive the migration is
/// published with the lease owner's name, and the replica whose engine is that owner rolls it back. Nothing is lost
/// when no replica hears it: <see cref="Forward"/> says so and the caller answers that nothing was cancelled.
/// </summary>
public sealed partial class RedisCancelRelay(RedisConnection redis, IServiceProvider services, ILogger<RedisCancelRelay> logger)
    : IMigrationCancelForwarder, IHostedService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("edgeportal:migration-cancels");

    private ChannelMessageQueue? _queue;

    public bool Forward(MigrationId id, string owner, string reason)
    {
        try
        {
            var message = JsonSerializer.Serialize(new CancelRequest(id.Value, owner, reason), DomainJson.Options);
            // The number of replicas subscribed that received it; the owner is among them when it is alive.
            return redis.Multiplexer.GetSubscriber().Publish(Channel, message) > 0;
        }
        catch (RedisException e)
        {
            LogForwardFailed(e, id.Value, owner);
            return false;
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
        CancelRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<CancelRequest>((string)message.Message!, DomainJson.Options);
        }
        catch (JsonException e)
        {
            LogUnreadable(e);
            return;
        }
        // The engine is resolved here, not injected: it takes this relay as its forwarder.
        var engine = services.GetRequiredService<MigrationEngine>();
        if (request is null || request.Owner != engine.Owner)
            return;
        var outcome = engine.Cancel(MigrationId.From(request.MigrationId), request.Reason);
        LogCancelled(request.MigrationId, outcome);
    }

    /// <summary>A cancel for the replica named <see cref="Owner"/>.</summary>
    public sealed record CancelRequest(Guid MigrationId, string Owner, string Reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cancel of migration {MigrationId} could not be sent to {Owner}")]
    private partial void LogForwardFailed(Exception e, Guid migrationId, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A forwarded cancel could not be read")]
    private partial void LogUnreadable(Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel of migration {MigrationId} forwarded by another replica: {Outcome}")]
    private partial void LogCancelled(Guid migrationId, CancelOutcome outcome);
}
