using EdgePortal.Core.Domain;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

public sealed class SimulatedEdgeTests
{
    [Fact]
    public void SetNodeDown_DownThenUp_TracksTheNode()
    {
        var edge = new SimulatedEdge();

        edge.SetNodeDown(Nichelino.Id, true);
        edge.SetNodeDown(Nichelino.Id, true);
        Assert.True(edge.IsNodeDown(Nichelino.Id));
        Assert.False(edge.IsNodeDown(Castello.Id));
        Assert.Equal([Nichelino.Id], edge.DownNodes);

        edge.SetNodeDown(Nichelino.Id, false);
        Assert.False(edge.IsNodeDown(Nichelino.Id));
        Assert.Empty(edge.DownNodes);
    }

    [Fact]
    public async Task ExecuteAsync_NodeDownInInventory_FailsLikeAnInjectedFault()
    {
        var (runtime, _, time) = Simulator();
        var plan = Cold();
        var context = Context(plan, StepKind.Restore);

        var outcome = await runtime.RunAsync(time, context with { Destination = context.Destination.WithStatus(NodeStatus.Down) });

        Assert.Equal("node centro-vanchiglia is unreachable (connection refused)",
            Assert.IsType<EdgePortal.Core.Execution.StepOutcome.Failure>(outcome).Reason);
    }

    [Fact]
    public void Service_NeverMigrated_IsUnknown()
    {
        Assert.Null(new SimulatedEdge().Service(ServiceId.New()));
    }
}
