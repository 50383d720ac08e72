using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

public sealed class PlacementRankerTests
{
    private readonly PlanningTopology _edge = new();

    [Fact]
    public void Rank_HandMadeTopology_OrdersByUserLatencyThenBandwidthThenLoad()
    {
        var result = PlacementRanker.Rank(_edge.Topology, _edge.Service, _edge.Tenant);

        // n1 (0 ms), n2 (3 ms), then three at 6 ms: n7 with 10 Gbit/s, n8 (100 Mbit/s, empty), n9 (100 Mbit/s, half full).
        Assert.Equal(["n1", "n2", "n7", "n8", "n9"], result.Candidates.Select(c => c.NodeName));
        Assert.Equal([1, 2, 3, 4, 5], result.Candidates.Select(c => c.Rank));
        Assert.Equal([0.0, 3, 6, 6, 6], result.Candidates.Select(c => c.UserLatencyMs));
        Assert.Equal([1e9, 1e10, 1e10, 1e8, 1e8], result.Candidates.Select(c => c.PathBandwidth.BitsPerSecond));
        Assert.Equal(0.5, result.Candidates[4].Load, 9);
        Assert.Equal(7, result.CurrentUserLatencyMs, 9);
    }

    [Fact]
    public void Rank_HandMadeTopology_ExcludesEachNodeWithItsReason()
    {
        var result = PlacementRanker.Rank(_edge.Topology, _edge.Service, _edge.Tenant);
        var reasons = result.Excluded.ToDictionary(e => e.NodeName, e => e.Reason);

        Assert.Equal(PlacementExclusion.CurrentNode, reasons["src"]);
        Assert.Equal(PlacementExclusion.NotReady, reasons["n3"]);
        Assert.Equal(PlacementExclusion.ClusterNotAllowed, reasons["n4"]);
        Assert.Equal(PlacementExclusion.NoRoom, reasons["n5"]);
        Assert.Equal(PlacementExclusion.UnreachableFromSource, reasons["n6"]);
        Assert.Equal(5, result.Excluded.Count);
        Assert.Equal("n3: the node is cordoned", result.Excluded.Single(e => e.NodeName == "n3").Explanation);
    }

    [Fact]
    public void Rank_Candidate_ExplainsItsNumbers()
    {
        var best = PlacementRanker.Rank(_edge.Topology, _edge.Service, _edge.Tenant).Candidates[0];

        Assert.Equal("#1 n1: users at 0.0 ms (now 7.0 ms), 1 Gbit/s from the source over 7.0 ms, load 0%", best.Explanation);
    }

    [Fact]
    public void Rank_RoomCheck_AgreesWithTopologyHasRoomFor()
    {
        var ranker = new PlacementRanker(_edge.Topology);
        var result = ranker.Rank(_edge.Service, _edge.Tenant);

        foreach (var candidate in result.Candidates)
            Assert.True(_edge.Topology.HasRoomFor(candidate.Node, _edge.Service.Profile));
        Assert.False(_edge.Topology.HasRoomFor(_edge.N5.Id, _edge.Service.Profile));
        foreach (var candidate in result.Candidates)
            Assert.Equal(_edge.Topology.Load(candidate.Node), candidate.Load, 12);
    }

    [Fact]
    public void Rank_OtherTenant_Throws()
    {
        var stranger = new Tenant(TenantId.New(), "other", [_edge.ClusterA.Id]);
        Assert.Throws<ArgumentException>(() => PlacementRanker.Rank(_edge.Topology, _edge.Service, stranger));
    }

    [Fact]
    public void ToDestinations_Candidates_KeepRankOrderAndNumbers()
    {
        var result = PlacementRanker.Rank(_edge.Topology, _edge.Service, _edge.Tenant);
        var destinations = result.ToDestinations();

        Assert.Equal(result.Candidates.Select(c => c.Node), destinations.Select(d => d.Node));
        Assert.Equal(result.Candidates.Select(c => c.UserLatencyMs), destinations.Select(d => d.UserLatencyMs));
    }
}
