using System.Collections.Concurrent;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Agent.Security;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Peers;

/// <summary>
/// The configured peer agents (<see cref="AgentOptions.Peers"/>), the only hosts this agent streams images to and sends pages
/// to. Each is called over mutual TLS with this agent's own certificate (which the peer accepts as receive-only) and must
/// present a server certificate of the peers' CA carrying the peer's configured name.
/// </summary>
public sealed class PeerAgents(IOptions<AgentOptions> options, AgentTrust trust, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<HttpClient>> _clients = new(StringComparer.Ordinal);

    /// <summary>The client of peer <paramref name="name"/>, bounded only by the caller's cancellation; null when no such peer is configured.</summary>
    public AgentApiClient? Find(string? name)
    {
        if (string.IsNullOrEmpty(name) || !options.Value.Peers.TryGetValue(name, out var peer) || peer?.Url is null)
            return null;
        var http = _clients.GetOrAdd(name, n => new Lazy<HttpClient>(() => trust.Enabled
            ? AgentTls.Client(trust.Identity!, trust.Peers!, peer.NameOf(n))
            : new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan })).Value;
        return new AgentApiClient(http, name, new Uri(peer.Url), Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>True when <paramref name="address"/> is the page server address of a configured peer.</summary>
    public bool IsPageServer(System.Net.IPAddress address) =>
        options.Value.Peers.Values.Any(p => p?.PageServer is { } a && System.Net.IPAddress.TryParse(a, out var ip) && ip.Equals(address));

    /// <summary>The configured peers' names, for messages.</summary>
    public string Names => options.Value.Peers.Count == 0 ? "none" : string.Join(", ", options.Value.Peers.Keys.Order(StringComparer.Ordinal));

    public void Dispose()
    {
        foreach (var c in _clients.Values)
            if (c.IsValueCreated)
                c.Value.Dispose();
    }
}
