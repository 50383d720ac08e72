using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// The designer's rule through the portal path: the coordinator plans with what the Agent runtime's probe reported for the
/// source host (cached in the capability catalog), so a host whose CRIU says dirty tracking is off never gets pre-copy, the
/// rationale names the host, and no plan reaches step 1 to be refused there. The agents
/// here are stubs answering GET /criu/capabilities as CRIU 4.2.1 does on this kernel (or with tracking on, as the control).
/// </summary>
public sealed class DirtyTrackingPlanningTests
{
    // The 10 MB SockPerf case of [MOSE]: with dirty tracking, iterative pre-copy is the best plan (MigrationDesignerTests).
    private static readonly ServiceInstance Service = AgentEdge.Service("sockperf", new WorkloadProfile(10_000_000, 0), new KpiTargets(2_000, 5_000, 20));

    [Fact]
    public async Task Plan_SourceProbedWithoutDirtyTracking_NeverPreCopyAndTheRationaleNamesTheHost()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(dirtyTracking: false)));
        var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
        Assert.True(probe.Reachable, probe.Summary);
        Assert.False(probe.Capabilities.DirtyTracking);
        Assert.Equal([MigrationStrategy.Cold], probe.Capabilities.Strategies);
        Assert.Equal([TransferPath.AgentStream], probe.Capabilities.TransferPaths);
        Assert.False(probe.Capabilities.ReplayBroker);
        var h1 = Assert.Single(probe.Nodes!, n => n.Node == "h1").Capabilities;
        Assert.False(h1.DirtyTracking);
        Assert.Equal("CRIU 4.2.1, dirty tracking off, TCP repair yes, lazy pages no (not reported)", h1.Detail);
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;
        Assert.Equal(MigrationStrategy.Cold, planning.Plan!.Strategy);
        Assert.Contains("Ruled out: PreCopy, IterativePreCopy (node h1: no dirty tracking)", planning.Plan.Rationale, StringComparison.Ordinal);
        Assert.All(planning.Design!.Strategies.Where(s => s.Strategy is MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy), s =>
        {
            Assert.False(s.Applicable);
            Assert.Equal(PlanConstraints.DirtyPageTracking, s.BindingConstraint);
        });

        // Asked for explicitly, pre-copy is refused when planned, even by a request that accepts a missed target: never at step 1.
        foreach (var accept in new[] { false, true })
        {
            var forced = portal.Coordinator.Start(new MigrationRequest
            {
                ServiceId = Service.Id, RequestedBy = "test", Strategy = MigrationStrategy.IterativePreCopy, AcceptTargetMiss = accept,
            });
            var infeasible = Assert.IsType<MigrationRequestResult.Infeasible>(forced);
            Assert.StartsWith("IterativePreCopy, as requested, cannot run at h2: node h1: no dirty tracking.", infeasible.Detail, StringComparison.Ordinal);
        }
        Assert.Empty(portal.Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task Plan_SourceProbedWithDirtyTracking_PreCopyAsTheDesignerPrefers()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(dirtyTracking: true)));
        Assert.True((await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None)).Capabilities.DirtyTracking);
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;

        Assert.Equal(MigrationStrategy.IterativePreCopy, planning.Plan!.Strategy);
    }

    [Fact]
    public async Task Plan_ClusterNeverProbed_ProbedWhenPlannedAndPreCopyWhereCriuTracks()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(dirtyTracking: true)));
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);
        Assert.Null(portal.Capabilities.Find(AgentEdge.Cluster.Id));

        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;

        Assert.Equal(MigrationStrategy.IterativePreCopy, planning.Plan!.Strategy);
        Assert.True(portal.Capabilities.Find(AgentEdge.Cluster.Id)!.Reachable);
    }

    [Fact]
    public async Task Start_NoAgentAnswers_RefusedWhenPlannedNamingTheCluster()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(new RefusingAgents()));
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test", AcceptTargetMiss = true });

        var infeasible = Assert.IsType<MigrationRequestResult.Infeasible>(result);
        Assert.Contains("No strategy can run at h2.", infeasible.Detail, StringComparison.Ordinal);
        Assert.Contains("(Agent cluster lab: no agent answers)", infeasible.Detail, StringComparison.Ordinal);
        var probed = portal.Capabilities.Find(AgentEdge.Cluster.Id)!;
        Assert.False(probed.Reachable);
        Assert.All(probed.Nodes, n => Assert.StartsWith("agent not answering: the agent of ", n.Capabilities.Detail, StringComparison.Ordinal));
        Assert.Empty(portal.Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task Execute_PreCopyPlanOnAHostWithoutDirtyTracking_RefusedInCriusTerms()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(dirtyTracking: false)));
        var design = new MigrationDesigner().Design(DesignRequest.For(Service, [new DestinationCandidate(AgentEdge.Destination.Id, Bandwidth.FromGigabits(1), 1, 0.1, "h2")]));
        Assert.Equal(MigrationStrategy.IterativePreCopy, design.Plan.Strategy);
        var step = new MigrationStep(0, StepKind.Profile, 0, false, 10, StepStatus.Running, null, null, null, null);

        var outcome = await runtime.ExecuteAsync(new StepContext(MigrationId.New(), Service, AgentEdge.Cluster, AgentEdge.Source, AgentEdge.Destination,
            design.Plan, step, Bandwidth.FromGigabits(1)), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Equal("pre-copy needs dirty-page tracking, which h1 does not support (CRIU 4.2.1: mem_dirty_track off)", failure.Reason);
    }

    private static AgentClusterOptions Cluster() => CapabilityStubAgents.Cluster();

    /// <summary>Hosts where no agent listens: every connection is refused.</summary>
    private sealed class RefusingAgents : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => throw new HttpRequestException("Connection refused");
    }

    /// <summary>Agents answering GET /criu/capabilities as CRIU 4.2.1 does, with dirty tracking as given.</summary>
    private static CapabilityStubAgents StubAgents(bool dirtyTracking) => new(_ =>
        $$"""{"version":"4.2.1","usable":true,"dirtyTracking":{{(dirtyTracking ? "true" : "false")}},"tcpRepair":true,"warnings":[],"report":"Looks good."}""");
}
