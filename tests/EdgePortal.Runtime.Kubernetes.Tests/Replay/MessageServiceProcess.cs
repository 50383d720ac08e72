using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EdgePortal.Runtime.Kubernetes.Tests.Replay;

/// <summary>
/// What a message service has applied: the last sequence number, every number it applied in order, the duplicates it
/// skipped and the numbers it never saw; and the replay queue it remembers (set by the marker, forgotten on <c>dumped</c>).
/// Immutable, so that the fake kubelet's checkpoint freezes it by taking the current value.
/// </summary>
internal sealed record MessageServiceState(ulong Last, ImmutableList<ulong> Applied, ulong Duplicates, ulong Lost, string? Replay)
{
    public static MessageServiceState Fresh { get; } = new(0, [], 0, 0, null);
}

/// <summary>
/// The process of the fake cluster's message-consuming pod: a RabbitMQ consumer speaking the control protocol of the lab's
/// message service (tests/EdgePortal.Testing.Lab/Criu/Workload/msgservice.c — the same messages, fields and rules, in C#
/// because the fake kubelet runs no container), so the runtime's replay runs against a real broker. The source pod's
/// process starts fresh on the service's queue P; the restored pod's starts from the state the fake kubelet froze at the
/// checkpoint, on a new connection (the dumped one was closed: <c>tcp-close</c>), and consumes the replay queue it
/// remembers. Data messages carry consecutive sequence numbers; a number at or below the last is a duplicate (skipped),
/// one above last + 1 is applied and the numbers between are lost. All deliveries of a channel are handled one at a time.
/// </summary>
internal sealed class MessageServiceProcess : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly string _host;
    private readonly string _queue;
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private MessageServiceState _state;
    private string _consuming = "";
    private string? _tag;
    private (ulong Until, string ReplyTo, string Correlation)? _reach;
    private (ulong Until, string ReplyTo, string Correlation)? _switch;

    private MessageServiceProcess(string host, string queue, IConnection connection, IChannel channel, MessageServiceState state)
    {
        _host = host;
        _queue = queue;
        _connection = connection;
        _channel = channel;
        _state = state;
    }

    /// <summary>What it has applied, now.</summary>
    public MessageServiceState State
    {
        get
        {
            lock (_gate)
                return _state;
        }
    }

    /// <summary>The queue it consumes now ("" while paused or after exit).</summary>
    public string Consuming
    {
        get
        {
            lock (_gate)
                return _consuming;
        }
    }

    /// <summary>Whether it left on <c>edgeportal.exit</c>.</summary>
    public bool Exited { get; private set; }

    /// <summary>
    /// Starts the service named <paramref name="host"/> from <paramref name="state"/>: it declares its fan-out exchange and
    /// queue, and consumes the replay queue its state remembers, else its queue.
    /// </summary>
    public static async Task<MessageServiceProcess> StartAsync(Uri broker, string exchange, string queue, string host, MessageServiceState state)
    {
        var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = host, AutomaticRecoveryEnabled = false };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, "");
        // One delivery at a time: whatever is in flight when it pauses is at most one message, requeued unapplied.
        await channel.BasicQosAsync(0, 1, false);
        var service = new MessageServiceProcess(host, queue, connection, channel, state);
        await service.ConsumeAsync(state.Replay ?? queue);
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _channel.CloseAsync();
            await _connection.CloseAsync();
        }
        catch (RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
            // Left on exit already.
        }
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private async Task ConsumeAsync(string queue)
    {
        lock (_gate)
            _consuming = queue;
        if (_tag is { } old)
            await _channel.BasicCancelAsync(old);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(queue, delivery);
        _tag = await _channel.BasicConsumeAsync(queue, autoAck: false, consumer);
    }

    private async Task HandleAsync(string from, BasicDeliverEventArgs delivery)
    {
        var type = delivery.BasicProperties.Type;
        var body = Encoding.UTF8.GetString(delivery.Body.Span);
        if (from != Consuming)
        {
            // From a queue it stopped consuming (paused, switched), delivered before the cancel took effect: back to that
            // queue, unapplied, for whoever consumes it next.
            await _channel.BasicNackAsync(delivery.DeliveryTag, false, requeue: true);
            return;
        }
        await _channel.BasicAckAsync(delivery.DeliveryTag, false);
        switch (type)
        {
            case null or "":
                var seq = ulong.Parse(body, CultureInfo.InvariantCulture);
                lock (_gate)
                {
                    var s = _state;
                    _state = seq <= s.Last
                        ? s with { Duplicates = s.Duplicates + 1 }
                        : s with { Last = seq, Applied = s.Applied.Add(seq), Lost = s.Lost + (seq - s.Last - 1) };
                }
                await PendingAsync();
                break;
            case "edgeportal.marker" when from == _queue:
                lock (_gate)
                    _state = _state with { Replay = Field(body, "replay-queue") };
                await AnswerAsync(delivery, "marker");
                break;
            case "edgeportal.marker":
                break; // in the replay queue itself: skipped
            case "edgeportal.dumped":
                lock (_gate)
                    _state = _state with { Replay = null };
                await AnswerAsync(delivery, "dumped");
                break;
            case "edgeportal.pause":
                await AnswerAsync(delivery, "pause");
                await ConsumeAsync(Field(body, "resume-queue"));
                break;
            case "edgeportal.resume":
                await ConsumeAsync(_queue);
                await AnswerAsync(delivery, "resume");
                break;
            case "edgeportal.exit":
                await AnswerAsync(delivery, "exit");
                Exited = true;
                await _channel.BasicCancelAsync(_tag!);
                lock (_gate)
                    _consuming = "";
                break;
            case "edgeportal.reach":
                _reach = (ulong.Parse(Field(body, "until"), CultureInfo.InvariantCulture), delivery.BasicProperties.ReplyTo!, delivery.BasicProperties.CorrelationId!);
                await PendingAsync();
                break;
            case "edgeportal.switch":
                _switch = (ulong.Parse(Field(body, "until"), CultureInfo.InvariantCulture), delivery.BasicProperties.ReplyTo!, delivery.BasicProperties.CorrelationId!);
                await PendingAsync();
                break;
            case "edgeportal.status":
                await AnswerAsync(delivery, "status");
                break;
        }
    }

    /// <summary>Answers a reach or a switch once the service has applied the number it waits for.</summary>
    private async Task PendingAsync()
    {
        var last = State.Last;
        if (_reach is { } r && last >= r.Until)
        {
            _reach = null;
            await ReplyAsync(r.ReplyTo, r.Correlation, "reach");
        }
        if (_switch is { } s && last >= s.Until)
        {
            _switch = null;
            lock (_gate)
                _state = _state with { Replay = null };
            await ConsumeAsync(_queue);
            await ReplyAsync(s.ReplyTo, s.Correlation, "switch");
        }
    }

    private Task AnswerAsync(BasicDeliverEventArgs delivery, string what) =>
        ReplyAsync(delivery.BasicProperties.ReplyTo!, delivery.BasicProperties.CorrelationId!, what);

    private async Task ReplyAsync(string replyTo, string correlation, string what)
    {
        var s = State;
        var sum = s.Applied.Aggregate(0UL, (a, n) => unchecked(a + n));
        var text = string.Create(CultureInfo.InvariantCulture,
            $"what={what} last={s.Last} counter={s.Applied.Count} sum={sum} dups={s.Duplicates} lost={s.Lost} queue={Consuming} host={_host}");
        await _channel.BasicPublishAsync("", replyTo, false, new BasicProperties { CorrelationId = correlation }, Encoding.UTF8.GetBytes(text));
    }

    private static string Field(string body, string key) =>
        body.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0] == key)?[1]
        ?? throw new FormatException($"no {key}= in '{body}'");
}
