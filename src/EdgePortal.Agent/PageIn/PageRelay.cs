using System.Net;
using System.Net.Sockets;
using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Transfer;

namespace EdgePortal.Agent.PageIn;

/// <summary>
/// The destination's end of a post-copy page stream: <c>criu lazy-pages</c> connects to this relay on loopback, and the relay
/// carries its page requests to the source's lazy dump over the host's link (a socket of the host's network namespace) and
/// the pages back through a token bucket at the migration's reserved bandwidth. It counts the pages' bytes and notes when
/// the last of them arrived: the end of the degradation window.
/// </summary>
public sealed class PageRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Socket _source;
    private readonly TokenBucket? _bucket;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<string?> _completed;
    private long _bytes;
    private long _lastByteTicks;

    private PageRelay(Socket listener, Socket source, EndPoint remote, double? limitBitsPerSecond, TimeProvider time)
    {
        _listener = listener;
        _source = source;
        Source = remote.ToString() ?? "";
        LimitBitsPerSecond = limitBitsPerSecond;
        _bucket = limitBitsPerSecond is { } bits ? TokenBucket.ForBits(bits, time) : null;
        _time = time;
        Started = time.GetUtcNow();
        _completed = RunAsync();
    }

    /// <summary>The loopback port criu lazy-pages connects to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>The source's lazy page server (address:port).</summary>
    public string Source { get; }

    public double? LimitBitsPerSecond { get; }

    public DateTimeOffset Started { get; }

    /// <summary>The pages' bytes (and the protocol's answers) carried from the source so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>When the last byte from the source arrived; null before the first.</summary>
    public DateTimeOffset? LastByteAt => Interlocked.Read(ref _lastByteTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>Completes when both directions ended: null when the source closed its end after the daemon closed its own, else why not.</summary>
    public Task<string?> Completed => _completed;

    /// <summary>
    /// Connects to the source's lazy page server from <paramref name="networkNamespace"/> (bounded by 10 s) and listens on
    /// loopback for criu lazy-pages.
    /// </summary>
    /// <exception cref="IOException">The source's page server cannot be reached, in the socket's words.</exception>
    public static async Task<PageRelay> StartAsync(string? networkNamespace, IPEndPoint source, double? limitBitsPerSecond, TimeProvider time, CancellationToken cancellationToken)
    {
        var outbound = NamespaceSocket.Create(networkNamespace);
        outbound.NoDelay = true;
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            await outbound.ConnectAsync(source, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            outbound.Dispose();
            throw new IOException($"cannot reach the source's lazy page server {source}: {(e is SocketException s ? s.Message : "no answer within 10 s")}", e);
        }
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        return new PageRelay(listener, outbound, source, limitBitsPerSecond, time);
    }

    private async Task<string?> RunAsync()
    {
        Socket daemon;
        try
        {
            daemon = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return "criu lazy-pages never connected to the relay";
        }
        finally
        {
            _listener.Dispose();
        }
        daemon.NoDelay = true;
        using (daemon)
        {
            var requests = PumpAsync(daemon, _source, null);
            var pages = PumpAsync(_source, daemon, _bucket);
            var (toSource, fromSource) = (await requests.ConfigureAwait(false), await pages.ConfigureAwait(false));
            return fromSource ?? toSource;
        }
    }

    private async Task<string?> PumpAsync(Socket from, Socket to, TokenBucket? bucket)
    {
        var buffer = new byte[64 * 1024];
        var metered = bucket is not null || ReferenceEquals(from, _source);
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                    break;
                if (bucket is not null)
                    await bucket.TakeAsync(n, _stop.Token).ConfigureAwait(false);
                if (metered)
                {
                    Interlocked.Add(ref _bytes, n);
                    Interlocked.Exchange(ref _lastByteTicks, _time.GetUtcNow().UtcTicks);
                }
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
            }
            to.Shutdown(SocketShutdown.Send);
            return null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // One side gone: end the other as well, so neither waits for bytes that cannot come.
            _stop.Cancel();
            return ReferenceEquals(from, _source)
                ? $"the connection to the source's lazy page server {Source} broke after {Bytes} bytes: {(e is SocketException s ? s.Message : "closed")}"
                : $"criu lazy-pages' connection broke: {(e is SocketException s2 ? s2.Message : "closed")}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stopped before the stream ended (a failed restore, a rollback): the source must not read a clean end, which CRIU
        // takes for "every page sent" and kills the source; a reset fails its transfer, and CRIU resumes the source.
        if (!_completed.IsCompleted)
            PageStream.Reset(_source);
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        _source.Dispose();
        await _completed.ConfigureAwait(false);
        _stop.Dispose();
    }
}
