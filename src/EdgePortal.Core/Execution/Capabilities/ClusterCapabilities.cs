using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>What a cluster's runtime said it can do at <see cref="ProbedAt"/>: on the cluster as a whole and per host.</summary>
public sealed record ClusterCapabilities
{
    public required ClusterId ClusterId { get; init; }
    public required string Cluster { get; init; }
    public required ClusterKind Kind { get; init; }
    /// <summary>Whether the cluster answered the probe.</summary>
    public required bool Reachable { get; init; }
    /// <summary>The runtime's one-line account of the probe.</summary>
    public required string Summary { get; init; }
    /// <summary>What the runtime can do anywhere on the cluster.</summary>
    public required RuntimeCapabilities Capabilities { get; init; }
    /// <summary>What each host can do, when the runtime probes hosts one by one (the Agent runtime does); empty otherwise.</summary>
    public required IReadOnlyList<HostCapabilities> Nodes { get; init; }
    /// <summary>When the probe answered.</summary>
    public required DateTimeOffset ProbedAt { get; init; }

    /// <summary>The host's own capabilities, or null when the runtime reported none for it.</summary>
    public RuntimeCapabilities? Of(string node)
    {
        foreach (var host in Nodes)
            if (host.Node == node)
                return host.Capabilities;
        return null;
    }
}

/// <summary>What one host can do, by its node name.</summary>
public sealed record HostCapabilities(string Node, RuntimeCapabilities Capabilities);
