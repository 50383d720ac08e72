namespace EdgePortal.Core.Domain;

/// <summary>
/// A read-only view of the edge at one instant: clusters, nodes, links, services and their users.
/// Path latencies and bottleneck bandwidths between nodes are computed once (all pairs, Floyd–Warshall
/// over latency) since edge topologies have tens of nodes, and looked up in O(1) afterwards. Retired nodes and the links
/// that reach them are not part of it.
/// </summary>
public sealed class EdgeTopology
{
    private readonly Dictionary<NodeId, int> _index;
    private readonly double[,] _latency;
    private readonly double[,] _bottleneck;
    /// <summary>The link a path from i to j crosses last (its index in <see cref="Links"/>), −1 when none; paths are rebuilt from it.</summary>
    private readonly int[,] _lastLink;
    private readonly Dictionary<NodeId, EdgeNode> _nodes;
    private readonly Dictionary<ClusterId, EdgeCluster> _clusters;
    /// <summary>Each service's position in <see cref="Services"/>; shared by the topologies <see cref="Replacing(ServiceInstance)"/> derives.</summary>
    private readonly Dictionary<ServiceId, int> _serviceIndex;
    /// <summary>Each group's position in <see cref="UserGroups"/>; shared like <see cref="_serviceIndex"/>.</summary>
    private readonly Dictionary<UserGroupId, int> _groupIndex;
    private readonly Dictionary<NodeId, ServiceInstance[]> _servicesByNode;
    private readonly Dictionary<ServiceId, UserGroup[]> _usersByService;
    private readonly Dictionary<NodeId, (long Memory, long Cpu)> _used;

    public EdgeTopology(IEnumerable<EdgeCluster> clusters, IEnumerable<EdgeNode> nodes, IEnumerable<NetworkLink> links,
        IEnumerable<ServiceInstance> services, IEnumerable<UserGroup> userGroups)
    {
        Clusters = clusters.ToList();
        Nodes = nodes.Where(n => !n.IsRetired).ToList();
        _nodes = Nodes.ToDictionary(n => n.Id);
        Links = links.Where(l => _nodes.ContainsKey(l.NodeA) && _nodes.ContainsKey(l.NodeB)).ToList();
        Services = services.ToList();
        UserGroups = userGroups.ToList();
        _clusters = Clusters.ToDictionary(c => c.Id);
        _serviceIndex = new Dictionary<ServiceId, int>(Services.Count);
        for (var i = 0; i < Services.Count; i++)
            _serviceIndex.TryAdd(Services[i].Id, i);
        _groupIndex = new Dictionary<UserGroupId, int>(UserGroups.Count);
        for (var i = 0; i < UserGroups.Count; i++)
            _groupIndex.TryAdd(UserGroups[i].Id, i);
        _servicesByNode = Services.GroupBy(s => s.NodeId).ToDictionary(g => g.Key, g => g.ToArray());
        _usersByService = UserGroups.GroupBy(u => u.ServiceId).ToDictionary(g => g.Key, g => g.ToArray());
        _used = Services.GroupBy(s => s.NodeId).ToDictionary(g => g.Key,
            g => (g.Sum(s => s.Profile.MemoryBytes), g.Sum(s => (long)s.Profile.CpuMillicores)));
        _index = new Dictionary<NodeId, int>(Nodes.Count);
        for (var i = 0; i < Nodes.Count; i++)
            _index[Nodes[i].Id] = i;
        (_latency, _bottleneck, _lastLink) = AllPairs(Nodes.Count, Links, _index);
    }

    /// <summary>The same network (nodes, links, all-pairs paths shared, not recomputed) with other services or user groups.</summary>
    private EdgeTopology(EdgeTopology network, IReadOnlyList<ServiceInstance> services, Dictionary<NodeId, ServiceInstance[]> servicesByNode,
        Dictionary<NodeId, (long Memory, long Cpu)> used, IReadOnlyList<UserGroup> userGroups, Dictionary<ServiceId, UserGroup[]> usersByService)
    {
        Clusters = network.Clusters;
        Nodes = network.Nodes;
        Links = network.Links;
        _nodes = network._nodes;
        _clusters = network._clusters;
        _index = network._index;
        (_latency, _bottleneck, _lastLink) = (network._latency, network._bottleneck, network._lastLink);
        _serviceIndex = network._serviceIndex;
        _groupIndex = network._groupIndex;
        Services = services;
        _servicesByNode = servicesByNode;
        _used = used;
        UserGroups = userGroups;
        _usersByService = usersByService;
    }

    /// <summary>
    /// This edge with <paramref name="service"/> replacing the stored service of its id (moved to another node, a new profile or
    /// targets), exactly as a fresh topology read after that write would be, without reading the inventory again or recomputing
    /// paths: what a finished migration changes. Null when the change is not a replacement in place (a new service, a
    /// renamed one, which moves in the name order): then the caller builds a fresh topology.
    /// </summary>
    public EdgeTopology? Replacing(ServiceInstance service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!_serviceIndex.TryGetValue(service.Id, out var at) || Services[at].Id != service.Id || Services[at].Name != service.Name)
            return null;
        var old = Services[at];
        var services = Services.ToArray();
        services[at] = service;
        var byNode = Regrouped(_servicesByNode, old.NodeId, service.NodeId, service, s => s.Id == service.Id, s => _serviceIndex[s.Id]);
        var used = new Dictionary<NodeId, (long Memory, long Cpu)>(_used);
        var (oldMemory, oldCpu) = used[old.NodeId];
        used[old.NodeId] = (oldMemory - old.Profile.MemoryBytes, oldCpu - old.Profile.CpuMillicores);
        var (memory, cpu) = used.GetValueOrDefault(service.NodeId);
        used[service.NodeId] = (memory + service.Profile.MemoryBytes, cpu + service.Profile.CpuMillicores);
        return new EdgeTopology(this, services, byNode, used, UserGroups, _usersByService);
    }

    /// <summary>
    /// This edge with <paramref name="group"/> replacing the stored group of its id (its users attached elsewhere, a new count), as
    /// <see cref="Replacing(ServiceInstance)"/> does for services. Null when no group of that id is part of it.
    /// </summary>
    public EdgeTopology? Replacing(UserGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!_groupIndex.TryGetValue(group.Id, out var at) || UserGroups[at].Id != group.Id)
            return null;
        var old = UserGroups[at];
        var groups = UserGroups.ToArray();
        groups[at] = group;
        var byService = Regrouped(_usersByService, old.ServiceId, group.ServiceId, group, g => g.Id == group.Id, g => _groupIndex[g.Id]);
        return new EdgeTopology(this, Services, _servicesByNode, _used, groups, byService);
    }

    /// <summary>
    /// A copy of a grouping with <paramref name="item"/> (the one <paramref name="isItem"/> recognises) taken out of its old
    /// group and put into its new one, in the order <paramref name="position"/> gives (as a fresh topology groups them).
    /// </summary>
    private static Dictionary<TKey, T[]> Regrouped<TKey, T>(Dictionary<TKey, T[]> groups, TKey from, TKey to, T item, Func<T, bool> isItem,
        Func<T, int> position) where TKey : notnull
    {
        var copy = new Dictionary<TKey, T[]>(groups);
        copy[from] = [.. copy[from].Where(x => !isItem(x))];
        if (copy[from].Length == 0)
            copy.Remove(from);
        copy[to] = [.. copy.GetValueOrDefault(to, []).Append(item).OrderBy(position)];
        return copy;
    }

    public IReadOnlyList<EdgeCluster> Clusters { get; }
    public IReadOnlyList<EdgeNode> Nodes { get; }
    public IReadOnlyList<NetworkLink> Links { get; }
    public IReadOnlyList<ServiceInstance> Services { get; }
    public IReadOnlyList<UserGroup> UserGroups { get; }

    public EdgeNode Node(NodeId id) => _nodes.TryGetValue(id, out var node) ? node
        : throw new KeyNotFoundException($"Node {id} is not part of the topology.");

    public bool Contains(NodeId id) => _nodes.ContainsKey(id);

    public EdgeCluster Cluster(ClusterId id) => _clusters.TryGetValue(id, out var cluster) ? cluster
        : throw new KeyNotFoundException($"Cluster {id} is not part of the topology.");

    public IEnumerable<ServiceInstance> ServicesOn(NodeId node) => _servicesByNode.GetValueOrDefault(node, []);

    /// <summary>The service of that id, or null; O(1) (the engine and the API look services up on every start).</summary>
    public ServiceInstance? FindService(ServiceId id)
        => _serviceIndex.TryGetValue(id, out var at) && Services[at].Id == id ? Services[at] : null;

    /// <summary>Memory and CPU the services placed on a node use together (summed once per topology).</summary>
    public (long MemoryBytes, long CpuMillicores) Used(NodeId node) => _used.GetValueOrDefault(node);

    public IReadOnlyList<UserGroup> UsersOf(ServiceId service) => _usersByService.GetValueOrDefault(service, []);

    /// <summary>Lowest path latency between two nodes, in ms; +∞ when they are not connected.</summary>
    public double LatencyMs(NodeId from, NodeId to) => _latency[_index[from], _index[to]];

    /// <summary>The narrowest link on the lowest-latency path; what a transfer between the two can get at most.</summary>
    public Bandwidth PathBandwidth(NodeId from, NodeId to)
    {
        var bits = _bottleneck[_index[from], _index[to]];
        return new Bandwidth(double.IsPositiveInfinity(bits) ? 0 : bits);
    }

    /// <summary>
    /// The links of the lowest-latency path from <paramref name="from"/> to <paramref name="to"/>, in order (the path whose
    /// narrowest link <see cref="PathBandwidth"/> gives); empty when the nodes are the same or not connected.
    /// </summary>
    public IReadOnlyList<NetworkLink> PathLinks(NodeId from, NodeId to)
    {
        if (!_index.TryGetValue(from, out var i) || !_index.TryGetValue(to, out var j) || i == j || double.IsPositiveInfinity(_latency[i, j]))
            return [];
        var path = new List<NetworkLink>();
        var at = j;
        // Walks back from the destination: each step crosses the last link of the path to the current node.
        while (at != i && path.Count <= Links.Count)
        {
            var link = Links[_lastLink[i, at]];
            path.Add(link);
            at = _index[link.Other(Nodes[at].Id)];
        }
        path.Reverse();
        return path;
    }

    /// <summary>CPU and memory the services on a node use, as fractions of its capacity (the larger of the two).</summary>
    public double Load(NodeId node)
    {
        var capacity = Node(node).Capacity;
        var (memory, cpu) = _used.GetValueOrDefault(node);
        return Math.Max((double)cpu / capacity.CpuMillicores, (double)memory / capacity.MemoryBytes);
    }

    /// <summary>Whether a node has room for a workload on top of what it already runs.</summary>
    public bool HasRoomFor(NodeId node, WorkloadProfile profile)
    {
        var capacity = Node(node).Capacity;
        var (memory, cpu) = _used.GetValueOrDefault(node);
        return cpu + profile.CpuMillicores <= capacity.CpuMillicores && memory + profile.MemoryBytes <= capacity.MemoryBytes;
    }

    /// <summary>
    /// The latency the service's users see when it runs on <paramref name="node"/>: the user-weighted
    /// mean of path latencies from each group's attachment site. 0 when the service has no users.
    /// Allocation-free: placement calls it for every candidate of every service.
    /// </summary>
    public double UserLatencyMs(ServiceId service, NodeId node)
    {
        if (!_usersByService.TryGetValue(service, out var groups))
            return 0;
        double weighted = 0;
        var users = 0;
        foreach (var group in groups)
        {
            weighted += group.Users * LatencyMs(group.AttachedTo, node);
            users += group.Users;
        }
        return users == 0 ? 0 : weighted / users;
    }

    private static (double[,] Latency, double[,] Bottleneck, int[,] LastLink) AllPairs(int n, IReadOnlyList<NetworkLink> links, Dictionary<NodeId, int> index)
    {
        var latency = new double[n, n];
        var bottleneck = new double[n, n];
        var last = new int[n, n];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
        {
            latency[i, j] = i == j ? 0 : double.PositiveInfinity;
            bottleneck[i, j] = double.PositiveInfinity;
            last[i, j] = -1;
        }
        for (var l = 0; l < links.Count; l++)
        {
            var link = links[l];
            if (!index.TryGetValue(link.NodeA, out var a) || !index.TryGetValue(link.NodeB, out var b))
                continue;
            if (link.LatencyMs < latency[a, b] || (link.LatencyMs == latency[a, b] && link.Bandwidth.BitsPerSecond > bottleneck[a, b]))
            {
                latency[a, b] = latency[b, a] = link.LatencyMs;
                bottleneck[a, b] = bottleneck[b, a] = link.Bandwidth.BitsPerSecond;
                last[a, b] = last[b, a] = l;
            }
        }
        for (var k = 0; k < n; k++)
        for (var i = 0; i < n; i++)
        for (var j = 0; j < n; j++)
        {
            var through = latency[i, k] + latency[k, j];
            if (through < latency[i, j])
            {
                latency[i, j] = through;
                bottleneck[i, j] = Math.Min(bottleneck[i, k], bottleneck[k, j]);
                last[i, j] = last[k, j];
            }
        }
        return (latency, bottleneck, last);
    }
}
