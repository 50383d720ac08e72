using System.Net;
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

/// <summary>One Agent cluster: its nodes' agents, their shared token, and the addresses its services are reached at.</summary>
public sealed class AgentClusterOptions
{
    /// <summary>Node name (as the portal's inventory names it) → base URL of that host's agent, e.g. <c>http://10.0.0.11:8471/</c>.</summary>
    public Dictionary<string, string> Nodes { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The token shared by the portal and the agents (the agents' <c>EdgePortal:Agent:Token</c>).</summary>
    public string? Token { get; set; }

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
            if (string.IsNullOrWhiteSpace(o.Token) || o.Token.Length < 16)
                failures.Add($"{key}:Token must be the agents' shared token, at least 16 characters.");
            foreach (var (service, address) in o.ServiceAddresses)
                if (!IPNetwork.TryParse(address ?? "", out _) || !(address ?? "").Contains('/', StringComparison.Ordinal))
                    failures.Add($"{key}:ServiceAddresses:{service} must be an address with its prefix length, e.g. 10.231.0.100/24, got '{address}'.");
            if (o.RequestTimeout <= TimeSpan.Zero)
                failures.Add($"{key}:RequestTimeout must be positive, got {o.RequestTimeout}.");
            if (o.ProbeMaxAge <= TimeSpan.Zero)
                failures.Add($"{key}:ProbeMaxAge must be positive, got {o.ProbeMaxAge}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
