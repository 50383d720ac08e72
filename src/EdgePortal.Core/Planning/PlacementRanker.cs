using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>Why a node cannot take the service.</summary>
public enum PlacementExclusion
{
    /// <summary>The service already runs there.</summary>
    CurrentNode,
    /// <summary>The node's cluster is not among the tenant's.</summary>
    ClusterNotAllowed,
    /// <summary>The node is cordoned or down.</summary>
    NotReady,
    /// <summary>Not enough free CPU or memory for the service.</summary>
    NoRoom,
    /// <summary>No network path from the source node.</summary>
    UnreachableFromSource,
    /// <summary>Some of the service's users have no path to the node.</summary>
    UsersUnreachable,
}

/// <summary>A node that can take the service, with what ranks it: the users' latency there, the path from the source, the load.</summary>
/// <param name="Rank">1 = best.</param>
/// <param name="Node">The node.</param>
/// <param name="NodeName">Its name.</param>
/// <param name="Cluster">Its cluster.</param>
/// <param name="HostClass">Its calibration class.</param>
/// <param name="UserLatencyMs">The user-weighted latency after the move (<see cref="EdgeTopology.UserLatencyMs"/>).</param>
/// <param name="CurrentUserLatencyMs">The users' latency now, on the source.</param>
/// <param name="PathBandwidth">The bottleneck bandwidth of the path from the source.</param>
/// <param name="PathLatencyMs">The latency of that path.</param>
/// <param name="Load">CPU or memory use of the node before the move, whichever is the larger fraction.</param>
public sealed record PlacementCandidate(
    int Rank,
    NodeId Node,
    string NodeName,
    ClusterId Cluster,
    string HostClass,
    double UserLatencyMs,
    double CurrentUserLatencyMs,
    Bandwidth PathBandwidth,
    double PathLatencyMs,
    double Load)
{
    /// <summary>Why it ranks where it does, in plain English (formatted on demand).</summary>
    public string Explanation => string.Create(CultureInfo.InvariantCulture,
        $"#{Rank} {NodeName}: users at {UserLatencyMs:0.0} ms (now {CurrentUserLatencyMs:0.0} ms), {PlanText.Rate(PathBandwidth.BitsPerSecond)} from the source over {PathLatencyMs:0.0} ms, load {Load:0%}");

    /// <summary>The candidate as the designer takes it.</summary>
    public DestinationCandidate ToDestination() => new(Node, PathBandwidth, UserLatencyMs, Load, NodeName);
}

/// <summary>A node that cannot take the service, and why.</summary>
public sealed record ExcludedNode(NodeId Node, string NodeName, PlacementExclusion Reason, NodeStatus Status)
{
    /// <summary>The reason in plain English (formatted on demand).</summary>
    public string Explanation => Reason switch
    {
        PlacementExclusion.CurrentNode => $"{NodeName}: the service runs there now",
        PlacementExclusion.ClusterNotAllowed => $"{NodeName}: its cluster is not allotted to the tenant",
        PlacementExclusion.NotReady => $"{NodeName}: the node is {Status.ToString().ToLowerInvariant()}",
        PlacementExclusion.NoRoom => $"{NodeName}: not enough free CPU or memory",
        PlacementExclusion.UnreachableFromSource => $"{NodeName}: no network path from the source",
        PlacementExclusion.UsersUnreachable => $"{NodeName}: some users have no network path to it",
        _ => $"{NodeName}: {Reason}",
    };
}

/// <summary>The ranked candidates for one service, best first, and the nodes left out.</summary>
public sealed record PlacementResult(
    ServiceId Service,
    NodeId Source,
    double CurrentUserLatencyMs,
    IReadOnlyList<PlacementCandidate> Candidates,
    IReadOnlyList<ExcludedNode> Excluded)
{
    /// <summary>The candidates as the designer takes them, in rank order.</summary>
    public IReadOnlyList<DestinationCandidate> ToDestinations()
    {
        var destinations = new DestinationCandidate[Candidates.Count];
        for (var i = 0; i < destinations.Length; i++)
            destinations[i] = Candidates[i].ToDestination();
        return destinations;
    }
}

/// <summary>
/// Ranks the nodes of an <see cref="EdgeTopology"/> as destinations for a service (docs/migration-model.md §5):
/// only Ready nodes in the tenant's clusters, other than the current one, reachable from it and by the users,
/// with room for the service; best first by the users' latency after the move, then the path bandwidth from
/// the source, then load. Built once per topology snapshot: it reads each node's usage (summed by the topology) once, so that ranking
/// many services costs O(nodes × user groups) each and allocates only the result.
/// </summary>
public sealed class PlacementRanker
{
    private static readonly EntryComparer Comparer = new();
    private readonly EdgeTopology _topology;
    private readonly Dictionary<NodeId, int> _index;
    private readonly long[] _usedMemory;
    private readonly long[] _usedCpu;

    public PlacementRanker(EdgeTopology topology)
    {
        _topology = topology ?? throw new ArgumentNullException(nameof(topology));
        var nodes = topology.Nodes;
        _index = new Dictionary<NodeId, int>(nodes.Count);
        for (var i = 0; i < nodes.Count; i++)
            _index[nodes[i].Id] = i;
        _usedMemory = new long[nodes.Count];
        _usedCpu = new long[nodes.Count];
        // The topology sums each node's usage once; summing the services here again cost every plan O(services).
        for (var i = 0; i < nodes.Count; i++)
            (_usedMemory[i], _usedCpu[i]) = topology.Used(nodes[i].Id);
    }

    public EdgeTopology Topology => _topology;

    /// <summary>Ranks the topology's nodes as destinations for <paramref name="service"/> of <paramref name="tenant"/>.</summary>
    public static PlacementResult Rank(EdgeTopology topology, ServiceInstance service, Tenant tenant) => new PlacementRanker(topology).Rank(service, tenant);

    /// <summary>Ranks the topology's nodes as destinations for <paramref name="service"/> of <paramref name="tenant"/>.</summary>
    public PlacementResult Rank(ServiceInstance service, Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(tenant);
        if (service.TenantId != tenant.Id)
            throw new ArgumentException($"Service {service.Name} belongs to another tenant than {tenant.Name}.", nameof(tenant));
        if (!_index.TryGetValue(service.NodeId, out _))
            throw new ArgumentException($"Service {service.Name} runs on node {service.NodeId}, which is not in the topology.", nameof(service));

        var nodes = _topology.Nodes;
        var source = service.NodeId;
        var profile = service.Profile;
        var current = _topology.UserLatencyMs(service.Id, source);
        var entries = new Entry[nodes.Count];
        var count = 0;
        List<ExcludedNode>? excluded = null;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            PlacementExclusion? reason = null;
            double userLatency = 0, pathLatency = 0, bandwidth = 0, load = 0;
            if (node.Id == source)
                reason = PlacementExclusion.CurrentNode;
            else if (!tenant.MayUse(node.ClusterId))
                reason = PlacementExclusion.ClusterNotAllowed;
            else if (!node.AcceptsWorkloads)
                reason = PlacementExclusion.NotReady;
            else if (_usedCpu[i] + profile.CpuMillicores > node.Capacity.CpuMillicores || _usedMemory[i] + profile.MemoryBytes > node.Capacity.MemoryBytes)
                reason = PlacementExclusion.NoRoom;
            else
            {
                pathLatency = _topology.LatencyMs(source, node.Id);
                bandwidth = _topology.PathBandwidth(source, node.Id).BitsPerSecond;
                if (!double.IsFinite(pathLatency) || bandwidth <= 0)
                    reason = PlacementExclusion.UnreachableFromSource;
                else
                {
                    userLatency = _topology.UserLatencyMs(service.Id, node.Id);
                    if (!double.IsFinite(userLatency))
                        reason = PlacementExclusion.UsersUnreachable;
                    else
                        load = Math.Max((double)_usedCpu[i] / node.Capacity.CpuMillicores, (double)_usedMemory[i] / node.Capacity.MemoryBytes);
                }
            }
            if (reason is { } why)
                (excluded ??= new List<ExcludedNode>(4)).Add(new ExcludedNode(node.Id, node.Name, why, node.Status));
            else
                entries[count++] = new Entry(i, userLatency, bandwidth, load, pathLatency, node.Name);
        }

        Array.Sort(entries, 0, count, Comparer);
        var candidates = new PlacementCandidate[count];
        for (var k = 0; k < count; k++)
        {
            var e = entries[k];
            var node = nodes[e.Index];
            candidates[k] = new PlacementCandidate(k + 1, node.Id, node.Name, node.ClusterId, node.HostClass, e.UserLatencyMs, current,
                new Bandwidth(e.BandwidthBitsPerSecond), e.PathLatencyMs, e.Load);
        }
        return new PlacementResult(service.Id, source, current, candidates, excluded is null ? [] : excluded);
    }

    private readonly record struct Entry(int Index, double UserLatencyMs, double BandwidthBitsPerSecond, double Load, double PathLatencyMs, string Name);

    private sealed class EntryComparer : IComparer<Entry>
    {
        public int Compare(Entry a, Entry b)
        {
            var c = a.UserLatencyMs.CompareTo(b.UserLatencyMs);
            if (c == 0)
                c = b.BandwidthBitsPerSecond.CompareTo(a.BandwidthBitsPerSecond);
            if (c == 0)
                c = a.Load.CompareTo(b.Load);
            if (c == 0)
                c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : a.Index.CompareTo(b.Index);
        }
    }
}
