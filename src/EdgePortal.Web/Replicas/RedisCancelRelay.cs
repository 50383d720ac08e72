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
    : RedisRelay<RedisCancelRelay.CancelRequest>(redis, CancelsChannel, logger), IMigrationCancelForwarder
{
    public static readonly RedisChannel CancelsChannel = RedisChannel.Literal("edgeportal:migration-cancels");

    public bool Forward(MigrationId id, string owner, string reason)
    {
        try
        {
            // The number of replicas subscribed that received it; the owner is among them when it is alive.
            return Subscriber.Publish(Channel, Serialize(new CancelRequest(id.Value, owner, reason))) > 0;
        }
        catch (RedisException e)
        {
            LogForwardFailed(e, id.Value, owner);
            return false;
        }
    }

    protected override void OnMessage(CancelRequest message)
    {
        // The engine is resolved here, not injected: it takes this relay as its forwarder.
        var engine = services.GetRequiredService<MigrationEngine>();
        if (message.Owner != engine.Owner)
            return;
        var outcome = engine.Cancel(MigrationId.From(message.MigrationId), message.Reason);
        LogCancelled(message.MigrationId, outcome);
    }

    /// <summary>A cancel for the replica named <see cref="Owner"/>.</summary>
    public sealed record CancelRequest(Guid MigrationId, string Owner, string Reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cancel of migration {MigrationId} could not be sent to {Owner}")]
    private partial void LogForwardFailed(Exception e, Guid migrationId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel of migration {MigrationId} forwarded by another replica: {Outcome}")]
    private partial void LogCancelled(Guid migrationId, CancelOutcome outcome);
}
