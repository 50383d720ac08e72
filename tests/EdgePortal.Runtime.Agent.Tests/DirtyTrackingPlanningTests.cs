using System.Net;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// The designer's rule through the portal path: the coordinator plans with what the Agent runtime's probe cached for the
/// source host, so a host whose CRIU says dirty tracking is off never gets pre-copy, and the rationale says why. The agents
/// here are stubs answering GET /criu/capabilities as CRIU 4.2.1 does on this kernel (or with tracking on, as the control).
/// </summary>
public sealed class DirtyTrackingPlanningTests
{
    // The 10 MB SockPerf case of [MOSE]: with dirty tracking, iterative pre-copy is the best plan (MigrationDesignerTests).
    private static readonly ServiceInstance Service = AgentEdge.Service("sockperf", new WorkloadProfile(10_000_000, 0), new KpiTargets(2_000, 5_000, 20));

    [Fact]
    public async Task Plan_SourceProbedWithoutDirtyTracking_NeverPreCopyAndTheRationaleSaysWhy()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(new StubAgents(dirtyTracking: false)));
        var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
        Assert.True(probe.Reachable, probe.Summary);
        Assert.False(probe.DirtyTrackingSupported);
        Assert.Equal("off", probe.Capabilities!["dirtyTracking:h1"]);
        Assert.Equal("4.2.1", probe.Capabilities["criu:h1"]);
        Assert.Equal("yes", probe.Capabilities["tcpRepair:h1"]);
        await using var portal = new Portal(AgentEdge.Inventory(Service), runtime);

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;
        Assert.Equal(MigrationStrategy.Cold, planning.Plan!.Strategy);
        Assert.Contains("PreCopy (pre-copy needs dirty-page tracking, which the source host does not support)", planning.Plan.Rationale, StringComparison.Ordinal);
        Assert.Contains("IterativePreCopy (pre-copy needs dirty-page tracking", planning.Plan.Rationale, StringComparison.Ordinal);
        Assert.All(planning.Design!.Strategies.Where(s => s.Strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy), s =>
        {
            Assert.False(s.Applicable);
            Assert.Equal(PlanConstraints.DirtyPageTracking, s.BindingConstraint);
        });

        // Asked for explicitly, pre-copy is still refused: the request is infeasible, with the reason.
        var forced = portal.Coordinator.Start(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test", Strategy = MigrationStrategy.IterativePreCopy });
        var infeasible = Assert.IsType<MigrationRequestResult.Infeasible>(forced);
        Assert.Contains("pre-copy needs dirty-page tracking, which the source host does not support", infeasible.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_SourceProbedWithDirtyTracking_PreCopyAsTheDesignerPrefers()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(new StubAgents(dirtyTracking: true)));
        Assert.True((await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None)).DirtyTrackingSupported);
        await using var portal = new Portal(AgentEdge.Inventory(Service), runtime);

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;

        Assert.Equal(MigrationStrategy.IterativePreCopy, planning.Plan!.Strategy);
    }

    [Fact]
    public async Task Plan_SourceNotProbedYet_PlannedWithoutPreCopyUntilCriuSaysOtherwise()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(new StubAgents(dirtyTracking: true)));
        await using var portal = new Portal(AgentEdge.Inventory(Service), runtime);

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;

        Assert.Equal(MigrationStrategy.Cold, planning.Plan!.Strategy);
        Assert.Null(runtime.DirtyTrackingSupported(new EdgeCluster(ClusterId.New(), "sim", ClusterKind.Simulated, "x"), AgentEdge.Source));
    }

    [Fact]
    public async Task Execute_PreCopyPlanOnAHostWithoutDirtyTracking_RefusedInCriusTerms()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(new StubAgents(dirtyTracking: false)));
        var design = new MigrationDesigner().Design(DesignRequest.For(Service, [new DestinationCandidate(AgentEdge.Destination.Id, Bandwidth.FromGigabits(1), 1, 0.1, "h2")]));
        Assert.Equal(MigrationStrategy.IterativePreCopy, design.Plan.Strategy);
        var step = new MigrationStep(0, StepKind.Profile, 0, false, 10, StepStatus.Running, null, null, null, null);

        var outcome = await runtime.ExecuteAsync(new StepContext(MigrationId.New(), Service, AgentEdge.Cluster, AgentEdge.Source, AgentEdge.Destination,
            design.Plan, step, Bandwidth.FromGigabits(1)), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Equal("pre-copy needs dirty-page tracking, which h1 does not support (CRIU 4.2.1: mem_dirty_track off)", failure.Reason);
    }

    private static AgentClusterOptions Cluster()
    {
        var o = new AgentClusterOptions();
        o.Nodes["h1"] = "http://h1.agents.test:8471/";
        o.Nodes["h2"] = "http://h2.agents.test:8471/";
        return o;
    }

    /// <summary>Agents that answer only GET /criu/capabilities.</summary>
    private sealed class StubAgents(bool dirtyTracking) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get || request.RequestUri!.AbsolutePath != "/criu/capabilities")
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
            var json = $$"""{"version":"4.2.1","usable":true,"dirtyTracking":{{(dirtyTracking ? "true" : "false")}},"tcpRepair":true,"warnings":[],"report":"Looks good."}""";
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        }
    }
}
