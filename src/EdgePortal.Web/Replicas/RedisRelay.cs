using System.Text.Json;
using EdgePortal.Core.Domain;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// One Redis pub/sub channel between replicas carrying <typeparamref name="TMessage"/> as JSON: subscribed for the
/// host's lifetime, read from an ordered queue (one publisher's messages keep their order), and a message that cannot
/// be read is logged and skipped rather than stopping the subscription.
/// </summary>
public abstract partial class RedisRelay<TMessage>(RedisConnection redis, RedisChannel channel, ILogger logger) : IHostedService
    where TMessage : class
{
    private ChannelMessageQueue? _queue;

    protected ISubscriber Subscriber => redis.Multiplexer.GetSubscriber();

    protected RedisChannel Channel => channel;

    protected static string Serialize(TMessage message) => JsonSerializer.Serialize(message, DomainJson.Options);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _queue = await Subscriber.SubscribeAsync(channel).ConfigureAwait(false);
        _queue.OnMessage(Receive);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_queue is not null)
            await _queue.UnsubscribeAsync().ConfigureAwait(false);
    }

    /// <summary>A message another replica (or this one) published.</summary>
    protected abstract void OnMessage(TMessage message);

    private void Receive(ChannelMessage message)
    {
        TMessage? read;
        try
        {
            read = JsonSerializer.Deserialize<TMessage>((string)message.Message!, DomainJson.Options);
        }
        catch (JsonException e)
        {
            LogUnreadable(logger, e, channel.ToString());
            return;
        }
        if (read is not null)
            OnMessage(read);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message relayed on {Channel} could not be read")]
    private static partial void LogUnreadable(ILogger logger, Exception e, string channel);
}
