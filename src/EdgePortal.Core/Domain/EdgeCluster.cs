using System.Text.Json.Serialization;

namespace EdgePortal.Core.Domain;

public enum ClusterKind
{
    /// <summary>The embedded digital twin: the default, and what most tests run against.</summary>
    Simulated,
    /// <summary>A Kubernetes cluster driven through the kubelet container checkpoint API.</summary>
    Kubernetes,
    /// <summary>Plain Linux hosts, each running the EdgePortal agent over CRIU.</summary>
    Agent,
}

/// <summary>A group of edge nodes driven by one runtime (a metro area, a campus, a city district).</summary>
public sealed record EdgeCluster
{
    public EdgeCluster(ClusterId id, string name, ClusterKind kind, string region)
    {
        Id = id;
        Name = Guard.Name(name, nameof(name));
        Kind = kind;
        Region = Guard.Name(region, nameof(region));
    }

    public ClusterId Id { get; }
    public string Name { get; }
    public ClusterKind Kind { get; }
    public string Region { get; }
}

/// <summary>Where a node or a user attachment point is, for distances and drawing.</summary>
public readonly record struct GeoLocation
{
    [JsonConstructor]
    public GeoLocation(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || latitude is < -90 or > 90)
            throw new ArgumentOutOfRangeException(nameof(latitude), latitude, "Latitude must lie in [-90, 90].");
        if (!double.IsFinite(longitude) || longitude is < -180 or > 180)
            throw new ArgumentOutOfRangeException(nameof(longitude), longitude, "Longitude must lie in [-180, 180].");
        Latitude = latitude;
        Longitude = longitude;
    }

    public double Latitude { get; }
    public double Longitude { get; }
}

public readonly record struct NodeCapacity
{
    [JsonConstructor]
    public NodeCapacity(int cpuMillicores, long memoryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cpuMillicores);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoryBytes);
        CpuMillicores = cpuMillicores;
        MemoryBytes = memoryBytes;
    }

    public int CpuMillicores { get; }
    public long MemoryBytes { get; }
}

public enum NodeStatus
{
    Ready,
    /// <summary>Running services stay, nothing new is placed (maintenance, drain).</summary>
    Cordoned,
    Down,
    /// <summary>
    /// Taken out of the edge for good (decommissioned): not part of the <see cref="EdgeTopology"/>, so nothing places, plans,
    /// draws or routes through it; kept only so that history still names it. Re-registering the node brings it back.
    /// </summary>
    Retired,
}

/// <summary>An edge host, usually co-located with a radio site (gNB) or a street cabinet.</summary>
public sealed record EdgeNode
{
    public EdgeNode(NodeId id, ClusterId clusterId, string name, string site, NodeCapacity capacity, GeoLocation location,
        string hostClass = "edge-standard", NodeStatus status = NodeStatus.Ready)
    {
        Id = id;
        ClusterId = clusterId;
        Name = Guard.Name(name, nameof(name));
        Site = Guard.Name(site, nameof(site));
        Capacity = capacity;
        Location = location;
        HostClass = Guard.Name(hostClass, nameof(hostClass));
        Status = status;
    }

    public NodeId Id { get; }
    public ClusterId ClusterId { get; }
    public string Name { get; }
    public string Site { get; }
    public NodeCapacity Capacity { get; }
    public GeoLocation Location { get; }
    /// <summary>The calibration class the node's migration model parameters belong to.</summary>
    public string HostClass { get; }
    public NodeStatus Status { get; }

    public bool AcceptsWorkloads => Status == NodeStatus.Ready;

    public bool IsRetired => Status == NodeStatus.Retired;

    public EdgeNode WithStatus(NodeStatus status) => new(Id, ClusterId, Name, Site, Capacity, Location, HostClass, status);
}

/// <summary>An undirected network link between two nodes; the topology is the graph of these.</summary>
public sealed record NetworkLink
{
    public NetworkLink(LinkId id, NodeId nodeA, NodeId nodeB, Bandwidth bandwidth, double latencyMs)
    {
        if (nodeA == nodeB)
            throw new ArgumentException("A link must join two different nodes.", nameof(nodeB));
        if (bandwidth.BitsPerSecond <= 0)
            throw new ArgumentOutOfRangeException(nameof(bandwidth), bandwidth.BitsPerSecond, "A link's bandwidth must be > 0.");
        Id = id;
        NodeA = nodeA;
        NodeB = nodeB;
        Bandwidth = bandwidth;
        LatencyMs = Guard.FiniteNonNegative(latencyMs, nameof(latencyMs));
    }

    public LinkId Id { get; }
    public NodeId NodeA { get; }
    public NodeId NodeB { get; }
    public Bandwidth Bandwidth { get; }
    public double LatencyMs { get; }

    public bool Joins(NodeId node) => NodeA == node || NodeB == node;

    public NodeId Other(NodeId node) => node == NodeA ? NodeB : node == NodeB ? NodeA
        : throw new ArgumentException($"Node {node} is not an end of link {Id}.", nameof(node));
}
