using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Inventory;

public sealed record NodeViewModel
{
    public required NodeId Id { get; init; }
    public required ClusterId ClusterId { get; init; }
    public required string Name { get; init; }
    public required string Site { get; init; }
    public required string HostClass { get; init; }
    public required NodeStatus Status { get; init; }
    public required int CpuMillicores { get; init; }
    public required long MemoryBytes { get; init; }
    public required GeoLocation Location { get; init; }
    /// <summary>The larger of CPU and memory use, as a fraction of capacity.</summary>
    public required double Load { get; init; }
    public required int Services { get; init; }
}

public sealed record LinkViewModel
{
    public required LinkId Id { get; init; }
    public required NodeId NodeA { get; init; }
    public required NodeId NodeB { get; init; }
    public required double BandwidthBitsPerSecond { get; init; }
    public required double LatencyMs { get; init; }
    /// <summary>True when the link joins nodes of two clusters (metro backhaul).</summary>
    public required bool InterCluster { get; init; }
}

public sealed record ClusterViewModel
{
    public required ClusterId Id { get; init; }
    public required string Name { get; init; }
    public required ClusterKind Kind { get; init; }
    public required string Region { get; init; }
    public required IReadOnlyList<NodeViewModel> Nodes { get; init; }
    /// <summary>Links with at least one end in this cluster.</summary>
    public required IReadOnlyList<LinkViewModel> Links { get; init; }
}

public sealed record ServiceViewModel
{
    public required ServiceId Id { get; init; }
    public required TenantId TenantId { get; init; }
    public required string TenantName { get; init; }
    public required string Name { get; init; }
    public required NodeId NodeId { get; init; }
    public required string NodeName { get; init; }
    /// <summary>Its node's host class: the calibration its plans use, when that class has one.</summary>
    public required string HostClass { get; init; }
    public required ClusterId ClusterId { get; init; }
    public required string ClusterName { get; init; }
    public required WorkloadProfile Profile { get; init; }
    public required KpiTargets Targets { get; init; }
    public required Objective Objective { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    /// <summary>User-weighted path latency from the users' sites to the node, in ms.</summary>
    public required double UserLatencyMs { get; init; }
    public required int Users { get; init; }

    public bool ViolatesLatency => UserLatencyMs > Targets.MaxUserLatencyMs;
}

public sealed record UserGroupViewModel
{
    public required ServiceId ServiceId { get; init; }
    public required string Name { get; init; }
    public required NodeId AttachedTo { get; init; }
    public required int Users { get; init; }
}

/// <summary>Everything the topology drawing needs, in one consistent snapshot.</summary>
public sealed record TopologyViewModel
{
    public required IReadOnlyList<ClusterViewModel> Clusters { get; init; }
    public required IReadOnlyList<ServiceViewModel> Services { get; init; }
    public required IReadOnlyList<UserGroupViewModel> UserGroups { get; init; }

    public IEnumerable<NodeViewModel> Nodes => Clusters.SelectMany(c => c.Nodes);

    /// <summary>Every link once (inter-cluster links appear under both of their clusters).</summary>
    public IEnumerable<LinkViewModel> Links => Clusters.SelectMany(c => c.Links).DistinctBy(l => l.Id);
}
