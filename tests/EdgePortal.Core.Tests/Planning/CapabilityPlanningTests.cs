using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// The designer plans only what the node pair's runtime can run (issue 15 item 1): each capability that rules a strategy out
/// is named in the rationale with who lacks it, and the strategy is not applicable, so it is never planned.
/// The case is the 10 MB SockPerf service of MigrationDesignerTests, which without restrictions gets IterativePreCopy.
/// </summary>
public sealed class CapabilityPlanningTests
{
    private static readonly NodeId Source = NodeId.New();
    private static readonly DestinationCandidate Gigabit = new(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.2, "edge-b");
    private static readonly RuntimeCapabilities KubernetesLike = new() { Strategies = [MigrationStrategy.Cold], TransferPaths = [TransferPath.Registry] };
    private readonly MigrationDesigner _designer = new();

    /// <param name="messages">A service that consumes a message stream the replay could catch up with (λ 100/s, μ 400/s).</param>
    private static DesignRequest Request(NodeCapabilities? source, bool messages = false, params DestinationCandidate[] destinations) => new()
    {
        Profile = messages ? new WorkloadProfile(10_000_000, 0, 100, 400) : new WorkloadProfile(10_000_000, 0),
        Source = Source,
        Destinations = destinations.Length == 0 ? [Gigabit] : destinations,
        Targets = new KpiTargets(2_000, 5_000, 10),
        SourceCapabilities = source,
    };

    [Fact]
    public void Design_NoCapabilities_EveryStrategyApplies()
    {
        var result = _designer.Design(Request(null, messages: true) with { AllowPostCopy = true });

        Assert.All(result.Strategies, s => Assert.True(s.Applicable, s.Reason));
        Assert.All(result.Strategies, s => Assert.Null(s.RuledOutBy));
        Assert.DoesNotContain("Ruled out", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_KubernetesCluster_ColdOnlyAndTheRationaleNamesTheClusterForPreDumpAndBroker()
    {
        var kubernetes = NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-1", "n1", KubernetesLike, null);
        var destination = Gigabit with { Capabilities = NodeCapabilities.Of(ClusterKind.Kubernetes, "edge-1", "n2", KubernetesLike, null) };

        var result = _designer.Design(Request(kubernetes, messages: true, destination));

        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.Contains("Ruled out: PreCopy, IterativePreCopy (Kubernetes cluster edge-1: no pre-dump); MessageReplay, ReplayWithCutoff (Kubernetes cluster edge-1: no broker for replay).",
            result.Plan.Rationale, StringComparison.Ordinal);
        Assert.DoesNotContain("Not feasible: PreCopy", result.Plan.Rationale, StringComparison.Ordinal);
        // PostCopy is kept off by allowPostCopy before any capability is looked at (PostCopyPlanningTests).
        foreach (var s in result.Strategies.Where(s => s.Strategy is not (MigrationStrategy.Cold or MigrationStrategy.PostCopy)))
        {
            Assert.False(s.Applicable);
            Assert.False(s.Feasible);
            Assert.Equal(s.Strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy ? PlanConstraints.PreDump : PlanConstraints.ReplayBroker,
                s.BindingConstraint);
        }
    }

    [Fact]
    public void Design_AgentSourceHostWithoutDirtyTracking_NoPreCopyAndTheRationaleNamesTheNode()
    {
        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1", TestCapabilities.WithoutDirtyTracking)));

        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.Contains("Ruled out: PreCopy, IterativePreCopy (node h1: no dirty tracking).", result.Plan.Rationale, StringComparison.Ordinal);
        Assert.Equal("node h1: no dirty tracking", result.Strategies.Single(s => s.Strategy == MigrationStrategy.PreCopy).RuledOutBy);
    }

    [Fact]
    public void Design_DestinationHostWithoutDirtyTracking_PreCopyStillPlanned()
    {
        // Pre-dump rounds run on the source; the destination only restores them.
        var destination = Gigabit with { Capabilities = TestCapabilities.AgentNode("h2", TestCapabilities.WithoutDirtyTracking) };

        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1"), destinations: destination));

        Assert.Equal(MigrationStrategy.IterativePreCopy, result.Plan.Strategy);
        Assert.All(result.Strategies, s => Assert.Null(s.RuledOutBy));
    }

    [Fact]
    public void Design_AgentClusterWithoutBroker_ReplayRuledOutNamingTheCluster()
    {
        var noBroker = TestCapabilities.Everything with
        {
            ReplayBroker = false,
            Strategies = [MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy],
        };

        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1", cluster: noBroker), messages: true));

        Assert.Contains("MessageReplay, ReplayWithCutoff (Agent cluster lab: no broker for replay)", result.Plan.Rationale, StringComparison.Ordinal);
        Assert.All(result.Strategies.Where(s => s.Strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff),
            s => Assert.Equal(PlanConstraints.ReplayBroker, s.BindingConstraint));
    }

    [Fact]
    public void Design_StrategyTheClusterDoesNotList_RuledOutAsNotRunnable()
    {
        var coldAndPreCopy = TestCapabilities.Everything with { Strategies = [MigrationStrategy.Cold, MigrationStrategy.PreCopy] };

        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1", cluster: coldAndPreCopy)));

        Assert.Equal(MigrationStrategy.PreCopy, result.Plan.Strategy);
        Assert.Equal("Agent cluster lab: cannot run IterativePreCopy", result.Strategies.Single(s => s.Strategy == MigrationStrategy.IterativePreCopy).RuledOutBy);
        Assert.Equal(PlanConstraints.RuntimeCapability, result.Strategies.Single(s => s.Strategy == MigrationStrategy.IterativePreCopy).BindingConstraint);
    }

    [Fact]
    public void Design_FirstDestinationsAgentSilent_PlansForTheNextDestination()
    {
        var silent = Gigabit with { Capabilities = TestCapabilities.AgentNode("h2", RuntimeCapabilities.None("agent not answering: connection refused")) };
        var next = new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 4.0, 0.2, "edge-c", TestCapabilities.AgentNode("h3"));

        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1"), destinations: [silent, next]));

        Assert.True(result.Feasible);
        Assert.Equal(next.Node, result.Plan.Destination);
        Assert.Equal(2, result.ConsideredDestinations.Count);
        Assert.False(result.ConsideredDestinations[0].Feasible);
    }

    [Fact]
    public void Design_StateAboveTheImageLimit_NoStrategyCanRunAndEveryOneIsNamed()
    {
        var capped = TestCapabilities.Everything with { MaxImageBytes = 5_000_000 };

        var result = _designer.Design(Request(TestCapabilities.AgentNode("h1", cluster: capped)));

        Assert.False(result.Feasible);
        Assert.False(result.Chosen.Applicable);
        Assert.StartsWith("No strategy can run at edge-b. Ruled out: Cold, PreCopy, IterativePreCopy, MessageReplay, ReplayWithCutoff (Agent cluster lab: images up to 5.0 MB, the state is 10.0 MB).",
            result.Plan.Rationale, StringComparison.Ordinal);
        Assert.All(result.Strategies.Where(s => s.Strategy != MigrationStrategy.PostCopy), s => Assert.Equal(PlanConstraints.ImageLimit, s.BindingConstraint));
    }

    [Fact]
    public void Design_RequestedStrategyRuledOut_SaysItCannotRunAndWhy()
    {
        var request = Request(TestCapabilities.AgentNode("h1", TestCapabilities.WithoutDirtyTracking)) with { StrategyOverride = MigrationStrategy.PreCopy };

        var result = _designer.Design(request);

        Assert.Equal(MigrationStrategy.PreCopy, result.Plan.Strategy);
        Assert.False(result.Feasible);
        Assert.StartsWith("PreCopy, as requested, cannot run at edge-b: node h1: no dirty tracking. Ruled out: IterativePreCopy (node h1: no dirty tracking).",
            result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_HostNotProbedYet_NothingPlannedThere()
    {
        var unknown = NodeCapabilities.Of(ClusterKind.Agent, "lab", "h1", RuntimeCapabilities.None("not probed yet (the probe is under way)"), null);

        var result = _designer.Design(Request(unknown));

        Assert.False(result.Chosen.Applicable);
        Assert.Contains("(Agent cluster lab: not probed yet (the probe is under way))", result.Plan.Rationale, StringComparison.Ordinal);
    }
}
