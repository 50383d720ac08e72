using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// Source and destination in two clusters (issue 16 item 4): nothing is planned across runtime kinds, nothing between
/// clusters that are not peers (for Kubernetes: no registry both reach), and across clusters only the strategies the source
/// cluster's runtime takes there; the rationale names the pair and the reason.
/// </summary>
public sealed class ClusterPairPlanningTests
{
    private static readonly RuntimeCapabilities Agent = new()
    {
        Strategies = [MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy],
        PreDump = true,
        DirtyTracking = true,
        TransferPaths = [TransferPath.AgentStream],
    };

    private static RuntimeCapabilities Kubernetes(params string[] peers) => new()
    {
        Strategies = [MigrationStrategy.Cold, MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff],
        ReplayBroker = true,
        TransferPaths = [TransferPath.Registry],
        Peers = peers,
        PeersDetail = "no registry both reach",
        CrossClusterStrategies = [MigrationStrategy.Cold],
    };

    private static readonly MigrationDesigner Designer = new();

    private static DesignResult Design(NodeCapabilities source, NodeCapabilities destination) => Designer.Design(new DesignRequest
    {
        Profile = new WorkloadProfile(10_000_000, 0, 100, 400),
        Source = NodeId.New(),
        Destinations = [new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.2, "n2", destination)],
        Targets = new KpiTargets(2_000, 5_000, 10),
        SourceCapabilities = source,
    });

    [Fact]
    public void Design_AgentClusterToKubernetesCluster_NothingApplicableAndTheRationaleSaysAcrossRuntimeKinds()
    {
        var result = Design(NodeCapabilities.Of(ClusterKind.Agent, "hosts", "h1", Agent, null),
            NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-b", "n2", Kubernetes(), null));

        Assert.All(result.Strategies, s => Assert.False(s.Applicable));
        Assert.All(result.Strategies.Where(s => s.Strategy != MigrationStrategy.PostCopy), s => Assert.Equal(PlanConstraints.ClusterPair, s.BindingConstraint));
        Assert.False(result.Feasible);
        Assert.Contains("Agent cluster hosts → Kubernetes cluster edge-b: nothing migrates across runtime kinds", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_KubernetesClustersWithoutASharedRegistry_NothingApplicableWithTheReason()
    {
        var result = Design(NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-a", "n1", Kubernetes("edge-c"), null),
            NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-b", "n2", Kubernetes(), null));

        Assert.False(result.Feasible);
        Assert.Contains("Kubernetes cluster edge-a → Kubernetes cluster edge-b: no registry both reach", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_KubernetesPeers_ColdAcrossAndTheReplayKeptWithinItsCluster()
    {
        var result = Design(NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-a", "n1", Kubernetes("edge-b"), null),
            NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-b", "n2", Kubernetes("edge-a"), null));

        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.True(result.Strategies.Single(s => s.Strategy == MigrationStrategy.Cold).Applicable);
        Assert.Contains("MessageReplay stays within a cluster (across clusters: Cold)",
            result.Strategies.Single(s => s.Strategy == MigrationStrategy.MessageReplay).RuledOutBy, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_OneKubernetesCluster_TheReplayIsPlannable()
    {
        var result = Design(NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-a", "n1", Kubernetes(), null),
            NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-a", "n2", Kubernetes(), null));

        Assert.True(result.Strategies.Single(s => s.Strategy == MigrationStrategy.MessageReplay).Applicable);
    }
}
