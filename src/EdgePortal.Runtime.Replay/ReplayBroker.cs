using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EdgePortal.Runtime.Replay;

/// <summary>A message-consuming service's answer to a control message (its words: <c>what=... last=... counter=...</c>).</summary>
/// <param name="Last">The sequence number of the last message it applied.</param>
/// <param name="Memory">The checksum recomputed over its whole state (only in answers to a status request).</param>
public sealed record ServiceAnswer(string What, ulong Last, ulong Counter, ulong Sum, ulong Duplicates, ulong Lost, string Queue, string Host, ulong? Memory)
{
    public static ServiceAnswer Parse(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        ulong Number(string key) => fields.TryGetValue(key, out var v) && ulong.TryParse(v, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"the service's answer has no {key}=: '{text}'");
        return new ServiceAnswer(fields.GetValueOrDefault("what", "?"), Number("last"), Number("counter"), Number("sum"), Number("dups"), Number("lost"),
            fields.GetValueOrDefault("queue", "?"), fields.GetValueOrDefault("host", "?"),
            fields.ContainsKey("memory") ? Number("memory") : null);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"last applied #{Last}, {Counter} applied, {Duplicates} duplicates skipped, {Lost} lost, consuming {Queue} from {Host}");
}

/// <summary>
/// One step's connection to a service's RabbitMQ broker (RabbitMQ.Client): declares and deletes the replay queues, reads
/// queue depths, and sends the service control messages whose answers come back on an exclusive reply queue of this
/// connection, matched by correlation id. Every failure is a <see cref="AgentCallException"/> naming the broker (never its
/// password) and the operation.
/// </summary>
public sealed class ReplayBroker : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _replyQueue;
    private readonly string _where;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _pending = new(StringComparer.Ordinal);

    /// <summary>The priority of control messages that must overtake the data in a replay queue (its x-max-priority).</summary>
    public const byte ControlPriority = 9;

    private int _disposed;

    private ReplayBroker(IConnection connection, IChannel channel, string replyQueue, string where)
    {
        _connection = connection;
        _channel = channel;
        _replyQueue = replyQueue;
        _where = where;
    }

    public static async Task<ReplayBroker> ConnectAsync(ReplayBrokerOptions options, CancellationToken ct)
    {
        var uri = new Uri(options.Uri!);
        var where = $"the broker at {uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port).ToString(CultureInfo.InvariantCulture)}";
        var factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = "edgeportal-replay",
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = options.ReplyTimeout,
        };
        IConnection? connection = null;
        try
        {
            connection = await factory.CreateConnectionAsync(ct).ConfigureAwait(false);
            var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
            var reply = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct).ConfigureAwait(false);
            var broker = new ReplayBroker(connection, channel, reply.QueueName, where);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                if (delivery.BasicProperties.CorrelationId is { } id && broker._pending.TryRemove(id, out var waiter))
                    waiter.TrySetResult(Encoding.UTF8.GetString(delivery.Body.Span));
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(reply.QueueName, autoAck: true, consumer, ct).ConfigureAwait(false);
            return broker;
        }
        catch (Exception e) when (IsBrokerError(e))
        {
            if (connection is not null)
                await connection.DisposeAsync().ConfigureAwait(false);
            throw new AgentCallException($"{where} is unreachable or refused the portal: {e.Message}", unreachable: true);
        }
    }

    /// <summary>Whether the connection and its channel are still up.</summary>
    public bool IsOpen => _connection.IsOpen && _channel.IsOpen;

    /// <summary>
    /// Declares <paramref name="queue"/> (durable, like the service's own) and binds it to the fan-out <paramref name="exchange"/>;
    /// with <paramref name="priorities"/> it is a priority queue, where a control message sent with a priority overtakes the backlog.
    /// </summary>
    public Task DeclareBoundQueueAsync(string queue, string? exchange, CancellationToken ct, bool priorities = false) => Do($"declare {queue}", async () =>
    {
        var arguments = priorities ? new Dictionary<string, object?> { ["x-max-priority"] = (int)ControlPriority } : null;
        await _channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: ct).ConfigureAwait(false);
        if (exchange is not null)
            await _channel.QueueBindAsync(queue, exchange, "", cancellationToken: ct).ConfigureAwait(false);
        return true;
    });

    /// <summary>Ready messages and consumers of <paramref name="queue"/>; null when it does not exist.</summary>
    public Task<(uint Messages, uint Consumers)?> QueueAsync(string queue, CancellationToken ct) => Do($"look at {queue}", async () =>
    {
        // A passive declare of a missing queue closes its channel: use one of its own.
        await using var probe = await _connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        try
        {
            var ok = await probe.QueueDeclarePassiveAsync(queue, ct).ConfigureAwait(false);
            return ((uint, uint)?)(ok.MessageCount, ok.ConsumerCount);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    });

    /// <summary>Deletes <paramref name="queue"/>; false when there was none.</summary>
    public async Task<bool> DeleteQueueAsync(string queue, CancellationToken ct)
    {
        if (await QueueAsync(queue, ct).ConfigureAwait(false) is null)
            return false;
        return await Do($"delete {queue}", async () =>
        {
            await _channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes a control message (<paramref name="exchange"/> "" with the queue's name as <paramref name="routingKey"/>: to
    /// that queue only) and waits for the service's answer; <paramref name="purpose"/> says in a timeout what was waited for.
    /// <paramref name="overtake"/> sends it with <see cref="ControlPriority"/>, ahead of the data waiting in a priority queue.
    /// </summary>
    public async Task<ServiceAnswer> AskAsync(string exchange, string routingKey, string type, string body, TimeSpan timeout, string purpose, CancellationToken ct,
        bool overtake = false)
    {
        var id = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await Do($"send {type} to {(exchange.Length == 0 ? routingKey : exchange)}", async () =>
            {
                var properties = new BasicProperties { Type = type, ReplyTo = _replyQueue, CorrelationId = id, Priority = overtake ? ControlPriority : (byte)0 };
                await _channel.BasicPublishAsync(exchange, routingKey, false, properties, Encoding.UTF8.GetBytes(body), ct).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            var text = await answer.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            try
            {
                return ServiceAnswer.Parse(text);
            }
            catch (FormatException e)
            {
                throw new AgentCallException($"{purpose}: {e.Message}");
            }
        }
        catch (TimeoutException)
        {
            throw new AgentCallException(string.Create(CultureInfo.InvariantCulture, $"{purpose}: no answer to {type} within {timeout.TotalSeconds:0.#} s"));
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        try
        {
            await _channel.CloseAsync().ConfigureAwait(false);
            await _connection.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsBrokerError(e))
        {
            // Closing a connection the broker dropped already: nothing left to close.
        }
        await _channel.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<T> Do<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (IsBrokerError(e))
        {
            throw new AgentCallException($"{_where} failed to {what}: {e.Message}", unreachable: e is BrokerUnreachableException or AlreadyClosedException or IOException);
        }
    }

    private static bool IsBrokerError(Exception e) => e is RabbitMQClientException or IOException or System.Net.Sockets.SocketException or TimeoutException;
}
