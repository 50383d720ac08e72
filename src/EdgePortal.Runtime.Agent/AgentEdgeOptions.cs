using System.Net;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Runtime.Replay;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// The Agent clusters EdgePortal drives (<c>EdgePortal:AgentEdge</c>): plain Linux hosts, each running the EdgePortal agent
/// over CRIU. Each entry of <see cref="Clusters"/> is keyed by the name of an <see cref="EdgePortal.Core.Domain.EdgeCluster"/>
/// of kind Agent; with no entries nothing is registered.
/// </summary>
public sealed class AgentEdgeOptions
{
    public const string Section = "EdgePortal:AgentEdge";

    public Dictionary<string, AgentClusterOptions> Clusters { get; init; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One Agent cluster: its nodes' agents, the portal's certificate towards them, and the addresses its services are reached at.</summary>
public sealed class AgentClusterOptions
{
    /// <summary>
    /// Node name (as the portal's inventory names it) → base URL of that host's agent, e.g. <c>https://10.0.0.11:8471/</c>. The
    /// node names are also the names the agents know each other by (<c>EdgePortal:Agent:Peers:&lt;node&gt;</c>).
    /// </summary>
    public Dictionary<string, string> Nodes { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The portal's client certificate towards this cluster's agents, and the CA of their server certificates (mutual TLS).</summary>
    public AgentClientTlsOptions Tls { get; init; } = new();

    /// <summary>Node name → the name its agent's server certificate must carry (DNS SAN or CN); a node without an entry: the node name.</summary>
    public Dictionary<string, string> ServerNames { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The HTTP client of <paramref name="node"/>'s agent at <paramref name="uri"/>: <paramref name="injected"/> (tests), else mutual
    /// TLS with <see cref="Tls"/> for an https agent, else plain HTTP (a Development agent).
    /// </summary>
    internal HttpClient HttpFor(string node, Uri uri, HttpClient? injected, AgentHttpClients clients) =>
        injected ?? (uri.Scheme == Uri.UriSchemeHttps
            ? clients.For(uri.AbsoluteUri, Tls, ServerNames.TryGetValue(node, out var name) && !string.IsNullOrWhiteSpace(name) ? name : node)
            : clients.Plain);

    /// <summary>
    /// Service name → the address clients reach it at, with its prefix (e.g. <c>10.231.0.100/24</c>). The address moves with
    /// the process: off the source before the restore (CRIU rebinds the connections to it), onto the destination, announced by
    /// unsolicited ARP at the traffic switch. A service without an entry keeps no address of its own (no TCP connections survive).
    /// </summary>
    public Dictionary<string, string> ServiceAddresses { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The device the service addresses live on; null uses each agent's <c>EdgePortal:Agent:ServiceDevice</c>.</summary>
    public string? Device { get; set; }

    /// <summary>How long one agent call may take (a dump or a transfer of a large service takes long).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a probe of a node stays good for planning before it is refreshed.</summary>
    public TimeSpan ProbeMaxAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The message broker of the cluster's message-consuming services: needed for MessageReplay and ReplayWithCutoff.</summary>
    public ReplayBrokerOptions? Broker { get; set; }

    /// <summary>
    /// How a Cold migration moves the dump (<see cref="AgentColdTransfer"/>, by name): <c>Images</c> dumps to files on the
    /// source and streams them to the destination agent through the transfer token bucket; <c>PageServer</c> sends the pages
    /// to a <c>criu page-server</c> on the destination while the dump runs, then streams the small rest.
    /// <para>
    /// The default is <c>Images</c>: on the lab (10 MB service, 1 Gbit/s links) the client saw 215–224 ms with Images and
    /// 230–252 ms with PageServer over six runs each. Both are bound by the link: PageServer keeps the process frozen while
    /// the pages cross it (CRIU's frozen time 10 → 88 ms) and saves only the local write, and its pages bypass the agent's
    /// token bucket (CRIU sends at the link's rate, not the plan's reserved bandwidth), and a failed migration needs the
    /// destination to give the pages back. PageServer is for sources without room (or a fast disk) for a copy of the state.
    /// </para>
    /// </summary>
    public string ColdTransfer { get; set; } = nameof(AgentColdTransfer.Images);

    internal AgentColdTransfer ColdTransferPath =>
        Enum.TryParse<AgentColdTransfer>(ColdTransfer, ignoreCase: true, out var path) && Enum.IsDefined(path) ? path : AgentColdTransfer.Images;
}

/// <summary>How a Cold migration moves the dump from the source to the destination.</summary>
public enum AgentColdTransfer
{
    /// <summary>
    /// Dump to files on the source, stream them (a tar over HTTP, agent to agent) at the plan's reserved bandwidth through the
    /// agent's token bucket, restore: the papers' cold baseline, streamed. A failed migration restores the source from its
    /// own files.
    /// </summary>
    Images,

    /// <summary>
    /// The destination runs <c>criu page-server</c> on its own address; the source dumps with <c>--page-server</c>, so the
    /// pages cross the hosts' link while the process is frozen (at the link's rate: the agent's token bucket does not see
    /// them) and are never written on the source; the small non-page images follow as with <see cref="Images"/>. A failed
    /// migration fetches the pages back from the destination to restore the source.
    /// </summary>
    PageServer,
}

/// <summary>Every rule a cluster entry must meet; a failure names the configuration key.</summary>
public sealed class AgentEdgeOptionsValidator : IValidateOptions<AgentEdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentEdgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (cluster, o) in options.Clusters)
        {
            var key = $"{AgentEdgeOptions.Section}:Clusters:{cluster}";
            if (o is null || o.Nodes.Count == 0)
            {
                failures.Add($"{key}:Nodes must map each node name to its agent's base URL, e.g. {key}:Nodes:edge-1 = http://10.0.0.11:8471/.");
                continue;
            }
            foreach (var (node, url) in o.Nodes)
                if (!(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                    failures.Add($"{key}:Nodes:{node} must be the absolute http(s) URL of the node's agent, got '{url}'.");
            if (o.Nodes.Values.Any(u => u?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true))
                failures.AddRange(o.Tls.Failures($"{key}:Tls"));
            foreach (var (service, address) in o.ServiceAddresses)
                if (!IPNetwork.TryParse(address ?? "", out _) || !(address ?? "").Contains('/', StringComparison.Ordinal))
                    failures.Add($"{key}:ServiceAddresses:{service} must be an address with its prefix length, e.g. 10.231.0.100/24, got '{address}'.");
            if (o.RequestTimeout <= TimeSpan.Zero)
                failures.Add($"{key}:RequestTimeout must be positive, got {o.RequestTimeout}.");
            if (o.ProbeMaxAge <= TimeSpan.Zero)
                failures.Add($"{key}:ProbeMaxAge must be positive, got {o.ProbeMaxAge}.");
            if (o.Broker is { } b)
                failures.AddRange(b.Failures($"{key}:Broker"));
            if (!(Enum.TryParse<AgentColdTransfer>(o.ColdTransfer, ignoreCase: true, out var path) && Enum.IsDefined(path) && !int.TryParse(o.ColdTransfer, out _)))
                failures.Add($"{key}:ColdTransfer must be {string.Join(" or ", Enum.GetNames<AgentColdTransfer>())}, got '{o.ColdTransfer}'.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
