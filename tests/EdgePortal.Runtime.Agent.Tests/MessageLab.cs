using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using EdgePortal.Runtime.Replay;
using EdgePortal.Testing.Lab;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// A TCP port on 127.0.0.1 (the test's own network namespace) whose connections are carried into a lab namespace: each
/// outgoing socket is created on a thread that entered that namespace (setns), so the lab stays unreachable otherwise.
/// It is how the portal, the publisher and the observer of a test reach the lab's broker.
/// </summary>
internal sealed partial class NamespaceForwarder : IAsyncDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;

    public NamespaceForwarder(string networkNamespace, IPEndPoint target)
    {
        _listener.Start();
        _accepting = AcceptAsync(networkNamespace, target);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var s in _sockets)
            s.Dispose();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync(string networkNamespace, IPEndPoint target)
    {
        while (!_stop.IsCancellationRequested)
        {
            var inbound = await _listener.AcceptSocketAsync(_stop.Token);
            var outbound = SocketIn(networkNamespace);
            // Small AMQP frames one by one, as the client meant them: Nagle would batch the publisher's messages.
            inbound.NoDelay = outbound.NoDelay = true;
            _sockets.Add(inbound);
            _sockets.Add(outbound);
            try
            {
                await outbound.ConnectAsync(target, _stop.Token);
            }
            catch (SocketException)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }
            _ = PumpAsync(inbound, outbound);
            _ = PumpAsync(outbound, inbound);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0)
                    break;
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    /// <summary>A TCP socket of <paramref name="networkNamespace"/>: created on a thread of its own that entered it.</summary>
    private static Socket SocketIn(string networkNamespace)
    {
        Socket? socket = null;
        string? error = null;
        var thread = new Thread(() =>
        {
            var self = Open("/proc/thread-self/ns/net");
            var target = Open(networkNamespace);
            try
            {
                if (SetNamespace(target, CloneNewNet) != 0)
                {
                    error = $"setns({networkNamespace}) failed: errno {Marshal.GetLastPInvokeError()}";
                    return;
                }
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                // Back home; the thread ends here anyway.
                _ = SetNamespace(self, CloneNewNet);
            }
            finally
            {
                _ = Close(self);
                _ = Close(target);
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new InvalidOperationException(error ?? "no socket");
    }

    private static int Open(string path)
    {
        var fd = OpenFile(path, 0);
        return fd >= 0 ? fd : throw new IOException($"open {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

/// <summary>One line of the service's report stream: sequence number, when (µs, CLOCK_REALTIME), by which host, applied or duplicate.</summary>
internal sealed record Report(ulong Seq, long TimeUs, string Host, char Kind);

/// <summary>
/// The test's side of the broker: a publisher sending consecutive sequence numbers to the service's fan-out exchange on a
/// thread of its own at a steady interval, and an observer of the service's report exchange.
/// </summary>
internal sealed class MessageTraffic : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _publish;
    private readonly IChannel _observe;
    private readonly ConcurrentQueue<Report> _reports = new();
    private readonly List<long> _sentUs = [];
    private Thread? _publisher;
    private volatile bool _stopping;
    private Exception? _publishError;

    private MessageTraffic(IConnection connection, IChannel publish, IChannel observe)
    {
        _connection = connection;
        _publish = publish;
        _observe = observe;
    }

    public IReadOnlyCollection<Report> Reports => _reports;

    /// <summary>How many messages were published (numbers 1..Published).</summary>
    public ulong Published { get; private set; }

    /// <summary>When number <paramref name="seq"/> was published (µs since the Unix epoch, the clock of the service's reports).</summary>
    public long SentUs(ulong seq)
    {
        lock (_sentUs)
            return _sentUs[(int)seq - 1];
    }

    /// <summary>The longest time (µs) between two publications from number <paramref name="from"/> on: what the publisher itself contributes to any gap.</summary>
    public long LongestPublishGapUs(ulong from)
    {
        lock (_sentUs)
        {
            var sent = _sentUs.Skip((int)Math.Max(0, (long)from - 1)).ToList();
            return sent.Zip(sent.Skip(1), (a, b) => b - a).DefaultIfEmpty(0).Max();
        }
    }

    public static async Task<MessageTraffic> StartAsync(Uri broker, string reportExchange)
    {
        var connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "lab-traffic" }.CreateConnectionAsync();
        var publish = await connection.CreateChannelAsync();
        var observe = await connection.CreateChannelAsync();
        var traffic = new MessageTraffic(connection, publish, observe);
        await observe.ExchangeDeclareAsync(reportExchange, ExchangeType.Fanout, durable: false, autoDelete: false);
        var queue = await observe.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await observe.QueueBindAsync(queue.QueueName, reportExchange, "");
        var consumer = new AsyncEventingBasicConsumer(observe);
        consumer.ReceivedAsync += (_, d) =>
        {
            var f = Encoding.ASCII.GetString(d.Body.Span).Split(' ');
            traffic._reports.Enqueue(new Report(ulong.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3][0]));
            return Task.CompletedTask;
        };
        await observe.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return traffic;
    }

    /// <summary>Publishes 1, 2, 3, ... to <paramref name="exchange"/>, one every <paramref name="intervalMs"/> ms, until stopped.</summary>
    public void StartPublishing(string exchange, int intervalMs)
    {
        _publisher = new Thread(() =>
        {
            try
            {
                for (ulong seq = 1; !_stopping; seq++)
                {
                    _publish.BasicPublishAsync(exchange, "", Encoding.ASCII.GetBytes(seq.ToString(CultureInfo.InvariantCulture))).AsTask().GetAwaiter().GetResult();
                    Published = seq;
                    // CLOCK_REALTIME in µs, as the service stamps its reports.
                    lock (_sentUs)
                        _sentUs.Add((DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10);
                    Thread.Sleep(intervalMs);
                }
            }
            catch (Exception e)
            {
                _publishError = e;
            }
        }) { IsBackground = true, Name = "lab publisher" };
        _publisher.Start();
    }

    public void StopPublishing()
    {
        _stopping = true;
        _publisher?.Join();
        if (_publishError is not null)
            throw new InvalidOperationException($"The publisher failed after #{Published}: {_publishError.Message}", _publishError);
    }

    /// <summary>Waits (polling the collected reports, bounded) until <paramref name="condition"/> holds.</summary>
    public async Task WaitForAsync(Func<IReadOnlyCollection<Report>, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(_reports))
        {
            if (_publishError is not null)
                throw new InvalidOperationException($"The publisher failed after #{Published}: {_publishError.Message}");
            if (clock.Elapsed > timeout)
            {
                var last = _reports.TakeLast(5).Select(r => $"{r.Seq}@{r.Host}{r.Kind}");
                throw new TimeoutException($"Not within {timeout.TotalSeconds} s: {what}. Published #{Published}, {_reports.Count} reports, last: {string.Join(", ", last)}");
            }
            await Task.Delay(20);
        }
    }

    /// <summary>Asks whoever consumes <paramref name="queue"/> for its state (the checksum recomputed over its memory included).</summary>
    public async Task<ServiceAnswer> StatusAsync(string queue)
    {
        var reply = await _observe.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(_observe);
        consumer.ReceivedAsync += (_, d) =>
        {
            answer.TrySetResult(Encoding.UTF8.GetString(d.Body.Span));
            return Task.CompletedTask;
        };
        await _observe.BasicConsumeAsync(reply.QueueName, autoAck: true, consumer);
        await _observe.BasicPublishAsync("", queue, false, new BasicProperties { Type = "edgeportal.status", ReplyTo = reply.QueueName, CorrelationId = "status" }, ReadOnlyMemory<byte>.Empty);
        return ServiceAnswer.Parse(await answer.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _publisher?.Join();
        await _publish.DisposeAsync();
        await _observe.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

/// <summary>
/// The message service's memory as a pure function of the messages applied (the same arithmetic as msgservice.c): what
/// the checksum must be after applying 1..N exactly once. Applying one twice, or skipping one, gives another checksum.
/// </summary>
internal sealed class MessageStateModel
{
    private readonly ulong[] _words;

    public MessageStateModel(long bytes)
    {
        _words = new ulong[bytes / 8];
        for (var i = 0; i < _words.Length; i++)
            Checksum += _words[i] = Mix((ulong)i);
    }

    public ulong Checksum { get; private set; }

    public void Apply(ulong seq)
    {
        var i = Mix(seq) % (ulong)_words.Length;
        var old = _words[i];
        var value = Mix(old ^ seq);
        _words[i] = value;
        Checksum += value - old;
    }

    private static ulong Mix(ulong x)
    {
        var z = x + 0x9E3779B97F4A7C15ul;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }
}
