using EdgePortal.Core.Domain;
using static EdgePortal.Core.Tests.Domain.DomainSamples;

namespace EdgePortal.Core.Tests.Domain;

/// <summary>
/// A hand-made graph:
/// <code>
///   A ──10 ms, 10 Gbit/s── B        D (isolated)
///   │                     │
///  2 ms, 1 Gbit/s    3 ms, 100 Mbit/s
///   └───────── C ─────────┘
///              │ 4 ms, 10 Gbit/s
///              E
/// </code>
/// A→B is shorter through C (5 ms) than direct (10 ms), and that path's narrowest link is C–B (100 Mbit/s).
/// </summary>
public sealed class EdgeTopologyTests
{
    private readonly EdgeCluster _cluster = new(ClusterId.New(), "centro", ClusterKind.Simulated, "Torino");
    private readonly EdgeNode _a, _b, _c, _d, _e;
    private readonly NetworkLink[] _links;

    public EdgeTopologyTests()
    {
        _a = Node("a", _cluster.Id, cpu: 4_000, memory: 8 * GB);
        _b = Node("b", _cluster.Id);
        _c = Node("c", _cluster.Id);
        _d = Node("d", _cluster.Id);
        _e = Node("e", _cluster.Id);
        _links =
        [
            Link(_a, _b, Bandwidth.FromGigabits(10), 10),
            Link(_a, _c, Bandwidth.FromGigabits(1), 2),
            Link(_c, _b, Bandwidth.FromMegabits(100), 3),
            Link(_c, _e, Bandwidth.FromGigabits(10), 4),
        ];
    }

    private static NetworkLink Link(EdgeNode x, EdgeNode y, Bandwidth bandwidth, double latencyMs)
        => new(LinkId.New(), x.Id, y.Id, bandwidth, latencyMs);

    private EdgeTopology Topology(IEnumerable<ServiceInstance>? services = null, IEnumerable<UserGroup>? users = null, IEnumerable<NetworkLink>? links = null)
        => new([_cluster], [_a, _b, _c, _d, _e], links ?? _links, services ?? [], users ?? []);

    [Fact]
    public void LatencyMs_MultiHopShorterThanDirect_TakesTheMultiHopPath()
        => Assert.Equal(5, Topology().LatencyMs(_a.Id, _b.Id), 9);

    [Fact]
    public void Constructor_RetiredNode_LeavesItAndItsLinksOutAndRoutesAroundIt()
    {
        // C retired: A reaches B only directly (10 ms), and E, reached through C alone, is cut off.
        var topology = new EdgeTopology([_cluster], [_a, _b, _c.WithStatus(NodeStatus.Retired), _d, _e], _links, [], []);

        Assert.False(topology.Contains(_c.Id));
        Assert.DoesNotContain(topology.Nodes, n => n.Id == _c.Id);
        Assert.All(topology.Links, l => Assert.False(l.Joins(_c.Id)));
        Assert.Single(topology.Links);
        Assert.Equal(10, topology.LatencyMs(_a.Id, _b.Id), 9);
        Assert.Equal(double.PositiveInfinity, topology.LatencyMs(_a.Id, _e.Id));
    }

    [Fact]
    public void PathBandwidth_MultiHopPath_IsTheNarrowestLinkOnIt()
        => Assert.Equal(Bandwidth.FromMegabits(100), Topology().PathBandwidth(_a.Id, _b.Id));

    [Fact]
    public void PathLinks_MultiHopPath_ReturnsItsLinksInOrderWithTheNarrowestBandwidth()
    {
        var topology = Topology();

        var path = topology.PathLinks(_a.Id, _b.Id);

        Assert.True(path.Count > 1);
        var at = _a.Id;
        foreach (var link in path)
            at = link.Other(at);
        Assert.Equal(_b.Id, at);
        Assert.Equal(topology.LatencyMs(_a.Id, _b.Id), path.Sum(l => l.LatencyMs), 9);
        Assert.Equal(topology.PathBandwidth(_a.Id, _b.Id), path.Min(l => l.Bandwidth));
        Assert.Empty(topology.PathLinks(_a.Id, _a.Id));
    }

    [Fact]
    public void LatencyAndBandwidth_AreSymmetric()
    {
        var topology = Topology();
        foreach (var x in topology.Nodes)
        foreach (var y in topology.Nodes)
        {
            Assert.Equal(topology.LatencyMs(x.Id, y.Id), topology.LatencyMs(y.Id, x.Id));
            Assert.Equal(topology.PathBandwidth(x.Id, y.Id), topology.PathBandwidth(y.Id, x.Id));
        }
    }

    [Fact]
    public void LatencyMs_AllPairs_MatchHandComputedShortestPaths()
    {
        var topology = Topology();
        var expected = new Dictionary<(EdgeNode, EdgeNode), double>
        {
            [(_a, _c)] = 2,
            [(_a, _e)] = 6,
            [(_b, _c)] = 3,
            [(_b, _e)] = 7,
            [(_c, _e)] = 4,
            [(_a, _b)] = 5,
        };
        foreach (var ((x, y), latency) in expected)
            Assert.Equal(latency, topology.LatencyMs(x.Id, y.Id), 9);
    }

    [Fact]
    public void PathBandwidth_AllPairs_MatchHandComputedBottlenecks()
    {
        var topology = Topology();
        Assert.Equal(Bandwidth.FromGigabits(1), topology.PathBandwidth(_a.Id, _c.Id));
        Assert.Equal(Bandwidth.FromGigabits(1), topology.PathBandwidth(_a.Id, _e.Id));
        Assert.Equal(Bandwidth.FromMegabits(100), topology.PathBandwidth(_b.Id, _e.Id));
        Assert.Equal(Bandwidth.FromGigabits(10), topology.PathBandwidth(_c.Id, _e.Id));
    }

    [Fact]
    public void LatencyMs_SameNode_IsZero()
        => Assert.Equal(0, Topology().LatencyMs(_c.Id, _c.Id));

    [Fact]
    public void LatencyMs_Unreachable_IsPositiveInfinity()
    {
        var topology = Topology();
        Assert.Equal(double.PositiveInfinity, topology.LatencyMs(_a.Id, _d.Id));
        Assert.Equal(double.PositiveInfinity, topology.LatencyMs(_d.Id, _e.Id));
    }

    [Fact]
    public void PathBandwidth_Unreachable_IsZero()
        => Assert.Equal(0, Topology().PathBandwidth(_d.Id, _b.Id).BitsPerSecond);

    [Fact]
    public void LatencyMs_ParallelLinks_UsesTheFasterOne()
    {
        var topology = Topology(links: [Link(_a, _b, Bandwidth.FromGigabits(10), 9), Link(_b, _a, Bandwidth.FromMegabits(100), 1)]);
        Assert.Equal(1, topology.LatencyMs(_a.Id, _b.Id));
        Assert.Equal(Bandwidth.FromMegabits(100), topology.PathBandwidth(_a.Id, _b.Id));
    }

    [Fact]
    public void PathBandwidth_ParallelLinksWithEqualLatency_UsesTheWiderOne()
    {
        var topology = Topology(links: [Link(_a, _b, Bandwidth.FromMegabits(100), 2), Link(_a, _b, Bandwidth.FromGigabits(10), 2)]);
        Assert.Equal(Bandwidth.FromGigabits(10), topology.PathBandwidth(_a.Id, _b.Id));
    }

    [Fact]
    public void Constructor_LinkToANodeOutsideTheTopology_IsIgnored()
    {
        var stranger = Node("stranger");
        var topology = Topology(links: [.. _links, Link(_a, stranger, Bandwidth.FromGigabits(10), 0.1), Link(stranger, _d, Bandwidth.FromGigabits(10), 0.1)]);
        Assert.False(topology.Contains(stranger.Id));
        Assert.Equal(double.PositiveInfinity, topology.LatencyMs(_a.Id, _d.Id));
        Assert.Equal(4, topology.Links.Count);
    }

    [Fact]
    public void NodeAndCluster_UnknownId_ThrowKeyNotFoundNamingTheId()
    {
        var topology = Topology();
        var node = NodeId.New();
        var cluster = ClusterId.New();
        Assert.Contains(node.ToString(), Assert.Throws<KeyNotFoundException>(() => topology.Node(node)).Message);
        Assert.Contains(cluster.ToString(), Assert.Throws<KeyNotFoundException>(() => topology.Cluster(cluster)).Message);
        Assert.Same(_b, topology.Node(_b.Id));
        Assert.Same(_cluster, topology.Cluster(_cluster.Id));
    }

    [Fact]
    public void Load_CpuBound_IsTheCpuFraction()
    {
        // a: 4,000 m CPU, 8 GB. Two services: 2 × 1,000 m = 50 % CPU, 2 × 1 GB = 25 % memory.
        var services = new[] { Service(_a.Id, "s1", profile: Profile(GB, 1_000)), Service(_a.Id, "s2", profile: Profile(GB, 1_000)) };
        Assert.Equal(0.5, Topology(services).Load(_a.Id), 9);
    }

    [Fact]
    public void Load_MemoryBound_IsTheMemoryFraction()
    {
        var services = new[] { Service(_a.Id, "s1", profile: Profile(6 * GB, 400)) };
        Assert.Equal(0.75, Topology(services).Load(_a.Id), 9);
    }

    [Fact]
    public void Load_NoServicesOrOnlyOtherNodesServices_IsZero()
    {
        var services = new[] { Service(_b.Id, "elsewhere", profile: Profile(6 * GB, 4_000)) };
        Assert.Equal(0, Topology(services).Load(_a.Id));
    }

    [Fact]
    public void HasRoomFor_ExactFit_IsTrue()
    {
        var topology = Topology([Service(_a.Id, "s1", profile: Profile(6 * GB, 3_000))]);
        Assert.True(topology.HasRoomFor(_a.Id, Profile(2 * GB, 1_000)));
    }

    [Fact]
    public void HasRoomFor_OneMillicoreTooMany_IsFalse()
    {
        var topology = Topology([Service(_a.Id, "s1", profile: Profile(GB, 3_000))]);
        Assert.False(topology.HasRoomFor(_a.Id, Profile(GB, 1_001)));
    }

    [Fact]
    public void HasRoomFor_OneByteTooMany_IsFalse()
    {
        var topology = Topology([Service(_a.Id, "s1", profile: Profile(6 * GB, 250))]);
        Assert.False(topology.HasRoomFor(_a.Id, Profile(2 * GB + 1, 250)));
    }

    [Fact]
    public void HasRoomFor_UnknownNode_ThrowsKeyNotFound()
        => Assert.Throws<KeyNotFoundException>(() => Topology().HasRoomFor(NodeId.New(), Profile()));

    [Fact]
    public void UserLatencyMs_TwoGroups_IsTheUserWeightedMean()
    {
        var service = Service(_b.Id);
        UserGroup[] users =
        [
            new(UserGroupId.New(), service.Id, "swarm A", _a.Id, 30), // 5 ms to b
            new(UserGroupId.New(), service.Id, "swarm B", _c.Id, 10), // 3 ms to b
        ];
        var topology = Topology([service], users);

        Assert.Equal((30 * 5 + 10 * 3) / 40d, topology.UserLatencyMs(service.Id, _b.Id), 9);
        // Evaluated at another candidate node: 30 × 0 (a) + 10 × 2 (c) over 40 users.
        Assert.Equal(0.5, topology.UserLatencyMs(service.Id, _a.Id), 9);
    }

    [Fact]
    public void UserLatencyMs_OtherServicesUsers_AreNotCounted()
    {
        var service = Service(_b.Id, "mine");
        var other = Service(_b.Id, "theirs");
        var topology = Topology([service, other],
        [
            new(UserGroupId.New(), service.Id, "mine", _c.Id, 1),
            new(UserGroupId.New(), other.Id, "theirs", _e.Id, 1_000),
        ]);
        Assert.Equal(3, topology.UserLatencyMs(service.Id, _b.Id), 9);
    }

    [Fact]
    public void UserLatencyMs_NoUsers_IsZero()
    {
        var service = Service(_b.Id);
        Assert.Equal(0, Topology([service]).UserLatencyMs(service.Id, _e.Id));
    }

    [Fact]
    public void UserLatencyMs_UsersOnAnUnreachableSite_IsInfinite()
    {
        var service = Service(_b.Id);
        var topology = Topology([service], [new UserGroup(UserGroupId.New(), service.Id, "lost", _d.Id, 5)]);
        Assert.Equal(double.PositiveInfinity, topology.UserLatencyMs(service.Id, _b.Id));
    }

    [Fact]
    public void ServicesOnAndUsersOf_GroupByNodeAndService()
    {
        var s1 = Service(_a.Id, "s1");
        var s2 = Service(_a.Id, "s2");
        var s3 = Service(_c.Id, "s3");
        var g1 = new UserGroup(UserGroupId.New(), s1.Id, "g1", _b.Id, 3);
        var topology = Topology([s1, s2, s3], [g1]);

        Assert.Equal([s1, s2], topology.ServicesOn(_a.Id));
        Assert.Equal([s3], topology.ServicesOn(_c.Id));
        Assert.Empty(topology.ServicesOn(_d.Id));
        Assert.Equal([g1], topology.UsersOf(s1.Id));
        Assert.Empty(topology.UsersOf(s2.Id));
    }

    /// <summary>What a topology says about its services and users, everywhere a plan looks.</summary>
    private string Describe(EdgeTopology topology)
        => string.Join("; ", topology.Services.Select(s => $"{s.Name}@{s.NodeId}:{s.Profile.CpuMillicores}")) + " | "
            + string.Join("; ", new[] { _a, _b, _c, _d, _e }.Select(n =>
                $"{n.Name}: [{string.Join(",", topology.ServicesOn(n.Id).Select(s => s.Name))}] load {topology.Load(n.Id):0.######} used {topology.Used(n.Id)}")) + " | "
            + string.Join("; ", topology.Services.Select(s => $"{s.Name} users [{string.Join(",", topology.UsersOf(s.Id).Select(g => $"{g.Name}@{g.AttachedTo}"))}] "
                + $"found {topology.FindService(s.Id)?.NodeId} latency on b {topology.UserLatencyMs(s.Id, _b.Id):0.###}"));

    [Fact]
    public void Replacing_ServiceMovedToAnotherNode_IsTheTopologyAFreshReadGives()
    {
        var s1 = Service(_a.Id, "s1", profile: Profile(GB, 1_000));
        var s2 = Service(_a.Id, "s2", profile: Profile(2 * GB, 500));
        var s3 = Service(_b.Id, "s3", profile: Profile(GB, 250));
        UserGroup[] users = [new(UserGroupId.New(), s2.Id, "g", _c.Id, 10)];
        var before = Topology([s1, s2, s3], users);
        var moved = s2.MovedTo(_b.Id);

        var patched = before.Replacing(moved);

        Assert.NotNull(patched);
        Assert.Equal(Describe(Topology([s1, moved, s3], users)), Describe(patched));
        Assert.Equal(0.25, patched.Load(_a.Id), 9);
        Assert.Equal(["s1", "s2", "s3"], before.Services.Select(s => s.Name));
        Assert.Equal(_a.Id, before.FindService(s2.Id)!.NodeId);
        // The network is the same: paths are not recomputed, and are still right.
        Assert.Equal(5, patched.LatencyMs(_a.Id, _b.Id), 9);
    }

    [Fact]
    public void Replacing_LastServiceOfANodeLeaves_TheNodeIsEmptyAndUnloaded()
    {
        var s1 = Service(_a.Id, "s1", profile: Profile(6 * GB, 3_000));
        var patched = Topology([s1]).Replacing(s1.MovedTo(_e.Id))!;

        Assert.Empty(patched.ServicesOn(_a.Id));
        Assert.Equal(0, patched.Load(_a.Id));
        Assert.True(patched.HasRoomFor(_a.Id, Profile(8 * GB, 4_000)));
        Assert.Equal(Describe(Topology([s1.MovedTo(_e.Id)])), Describe(patched));
    }

    [Fact]
    public void Replacing_UnknownOrRenamedService_IsNullSoTheCallerReadsAgain()
    {
        var s1 = Service(_a.Id, "s1");
        var topology = Topology([s1]);

        Assert.Null(topology.Replacing(Service(_a.Id, "new")));
        Assert.Null(topology.Replacing(new ServiceInstance(s1.Id, s1.TenantId, "renamed", s1.NodeId, s1.Profile, s1.Targets, s1.Objective, s1.Labels, s1.Image)));
    }

    [Fact]
    public void Replacing_UserGroupAttachedElsewhere_IsTheTopologyAFreshReadGives()
    {
        var s1 = Service(_b.Id, "s1");
        var s2 = Service(_e.Id, "s2");
        UserGroup[] users = [new(UserGroupId.New(), s1.Id, "g1", _a.Id, 30), new(UserGroupId.New(), s1.Id, "g2", _c.Id, 10), new(UserGroupId.New(), s2.Id, "g3", _c.Id, 5)];
        var before = Topology([s1, s2], users);
        var travelled = users[0].AttachedAt(_e.Id);

        var patched = before.Replacing(travelled);

        Assert.NotNull(patched);
        Assert.Equal(Describe(Topology([s1, s2], [travelled, users[1], users[2]])), Describe(patched));
        Assert.Null(before.Replacing(new UserGroup(UserGroupId.New(), s1.Id, "new", _a.Id, 1)));
    }
}
