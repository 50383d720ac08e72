using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

public sealed class SimulatedEdgeRuntimeProbeTests
{
    private static (SimulatedEdgeRuntime Runtime, SimulatedEdge Edge) WithInventory(double speed = 1, IReadOnlyList<EdgeNode>? nodes = null)
    {
        var edge = new SimulatedEdge();
        var runtime = new SimulatedEdgeRuntime(edge, Microsoft.Extensions.Options.Options.Create(Options(speed: speed)),
            new FakeTimeProvider(), NullLogger<SimulatedEdgeRuntime>.Instance, new NodeListInventory(nodes ?? Nodes));
        return (runtime, edge);
    }

    [Fact]
    public async Task ProbeAsync_AllNodesUp_ReachableWithSummaryAndCapabilities()
    {
        var (runtime, _) = WithInventory(speed: 10);

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.True(probe.Reachable);
        Assert.Equal("Simulated edge, speed ×10, 4 nodes, 0 down", probe.Summary);
        Assert.Equal(Enum.GetValues<MigrationStrategy>(), probe.Capabilities.Strategies);
        Assert.True(probe.Capabilities.DirtyTracking);
        Assert.True(probe.Capabilities.PreDump);
        Assert.True(probe.Capabilities.ReplayBroker);
        Assert.Equal([TransferPath.Model], probe.Capabilities.TransferPaths);
        Assert.StartsWith("model: speed ×10,", probe.Capabilities.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_SomeNodesDown_StillReachable()
    {
        var (runtime, edge) = WithInventory();
        edge.SetNodeDown(Nichelino.Id, true);

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.True(probe.Reachable);
        Assert.Equal("Simulated edge, speed ×1, 4 nodes, 1 down", probe.Summary);
    }

    [Fact]
    public async Task ProbeAsync_EveryNodeDown_Unreachable()
    {
        var (runtime, edge) = WithInventory();
        foreach (var node in Nodes)
            edge.SetNodeDown(node.Id, true);

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.False(probe.Reachable);
        Assert.StartsWith("Simulated edge, speed ×1, 4 nodes, 4 down", probe.Summary);
    }

    [Fact]
    public async Task ProbeAsync_RetiredNode_IsNotCounted()
    {
        var (runtime, edge) = WithInventory(nodes: [.. Nodes.Select(n => n.Id == Castello.Id ? n.WithStatus(NodeStatus.Retired) : n)]);
        edge.SetNodeDown(Castello.Id, true);

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.True(probe.Reachable);
        Assert.Equal("Simulated edge, speed ×1, 3 nodes, 0 down", probe.Summary);
    }

    [Fact]
    public async Task ProbeAsync_WithoutInventory_CountsNodesSeenInSteps()
    {
        var (runtime, edge, time) = Simulator();
        await runtime.RunAsync(time, Context(Cold(Castello, Vanchiglia), StepKind.Profile));
        edge.SetNodeDown(Castello.Id, true);
        edge.SetNodeDown(Vanchiglia.Id, true);

        var probe = await runtime.ProbeAsync(Cluster, CancellationToken.None);

        Assert.False(probe.Reachable);
        Assert.StartsWith("Simulated edge, speed ×1, 2 nodes, 2 down", probe.Summary);
    }

    [Fact]
    public async Task ProbeAsync_OtherClusterNodesDown_DoNotCount()
    {
        var (runtime, edge) = WithInventory();
        var other = new EdgeCluster(ClusterId.New(), "torino-nord", ClusterKind.Simulated, "Torino");
        edge.SetNodeDown(Castello.Id, true);

        var probe = await runtime.ProbeAsync(other, CancellationToken.None);

        Assert.True(probe.Reachable);
        Assert.Equal("Simulated edge, speed ×1, 0 nodes, 0 down", probe.Summary);
    }

    /// <summary>An inventory that only lists nodes: all the probe reads.</summary>
    private sealed class NodeListInventory(IReadOnlyList<EdgeNode> nodes) : IInventoryRepository
    {
        public bool IsEmpty => false;
        public IReadOnlyList<EdgeNode> Nodes() => nodes;
        public EdgeNode? FindNode(NodeId id) => nodes.FirstOrDefault(n => n.Id == id);
        public IReadOnlyList<Tenant> Tenants() => throw new NotSupportedException();
        public Tenant? FindTenant(TenantId id) => throw new NotSupportedException();
        public IReadOnlyList<EdgeCluster> Clusters() => throw new NotSupportedException();
        public EdgeCluster? FindCluster(ClusterId id) => throw new NotSupportedException();
        public IReadOnlyList<NetworkLink> Links() => throw new NotSupportedException();
        public IReadOnlyList<ServiceInstance> Services(TenantId? tenant = null) => throw new NotSupportedException();
        public ServiceInstance? FindService(ServiceId id) => throw new NotSupportedException();
        public IReadOnlyList<UserGroup> UserGroups() => throw new NotSupportedException();
        public EdgeTopology Topology() => throw new NotSupportedException();
        public void Save(Tenant tenant) => throw new NotSupportedException();
        public void Save(EdgeCluster cluster) => throw new NotSupportedException();
        public void Save(EdgeNode node) => throw new NotSupportedException();
        public void Save(NetworkLink link) => throw new NotSupportedException();
        public void Save(ServiceInstance service) => throw new NotSupportedException();
        public void Save(UserGroup group) => throw new NotSupportedException();
        public void SaveAll(EdgeInventory inventory) => throw new NotSupportedException();
    }
}
