using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// PostCopy's gate on Agent clusters (issue 18 item 2): the capabilities list it only where both hosts' probes say lazy pages
/// work, so the planner never plans it elsewhere, and a PostCopy plan that reaches a host whose CRIU says no is refused
/// with the probe's reason and fix. The agents here are stubs answering GET /criu/capabilities as CRIU 4.2.1 does on this
/// machine, with fs.pipe-max-size raised (lazy pages yes) or at its default (no).
/// </summary>
public sealed class LazyPagesPlanningTests
{
    private const string PipeTooSmall =
        "userfaultfd, but fs.pipe-max-size is 1048576 and root lacks CAP_SYS_RESOURCE: the first page request would fail; sysctl -w fs.pipe-max-size=268435456";

    private static readonly ServiceInstance Service = AgentEdge.Service("stateservice", new WorkloadProfile(100_000_000, 0), new KpiTargets(2_000, 10_000, 20), allowPostCopy: true);

    [Fact]
    public async Task Probe_LazyPagesOnBothHosts_PostCopyListedAndWeighed()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(lazyOnH1: true, lazyOnH2: true)));

        var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);

        Assert.True(probe.Capabilities.LazyPages);
        Assert.Equal([MigrationStrategy.Cold, MigrationStrategy.PostCopy], probe.Capabilities.Strategies);
        Assert.All(probe.Nodes!, n => Assert.Contains(MigrationStrategy.PostCopy, n.Capabilities.Strategies));
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);
        var planning = portal.Coordinator.Preview(new MigrationRequest { ServiceId = Service.Id, RequestedBy = "test" })!;
        var postCopy = Assert.Single(planning.Design!.Strategies, s => s.Strategy == MigrationStrategy.PostCopy);
        Assert.True(postCopy.Applicable, postCopy.Reason);
    }

    [Fact]
    public async Task Probe_DestinationWithoutLazyPages_PostCopyNeverPlannedAndTheHostNamed()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(lazyOnH1: true, lazyOnH2: false)));

        var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);

        Assert.False(probe.Capabilities.LazyPages);
        Assert.DoesNotContain(MigrationStrategy.PostCopy, probe.Capabilities.Strategies);
        var h2 = Assert.Single(probe.Nodes!, n => n.Node == "h2").Capabilities;
        Assert.Contains($"lazy pages no ({PipeTooSmall})", h2.Detail, StringComparison.Ordinal);
        await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);
        var forced = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = Service.Id, RequestedBy = "test", Strategy = MigrationStrategy.PostCopy, AcceptTargetMiss = true,
        });
        var infeasible = Assert.IsType<MigrationRequestResult.Infeasible>(forced);
        Assert.Contains("PostCopy, as requested, cannot run at h2", infeasible.Detail, StringComparison.Ordinal);
        Assert.Empty(portal.Migrations.List(new MigrationQuery(Limit: 10)));
    }

    [Fact]
    public async Task Execute_PostCopyPlanOnAHostWithoutLazyPages_RefusedWithTheProbesFix()
    {
        var runtime = AgentEdge.Runtime(Cluster(), new HttpClient(StubAgents(lazyOnH1: true, lazyOnH2: false)));
        var request = DesignRequest.For(Service, [new DestinationCandidate(AgentEdge.Destination.Id, Bandwidth.FromGigabits(1), 1, 0.1, "h2")]) with
        {
            StrategyOverride = MigrationStrategy.PostCopy,
            AllowPostCopy = true,
        };
        var design = new MigrationDesigner().Design(request);
        Assert.Equal(MigrationStrategy.PostCopy, design.Plan.Strategy);
        var step = new MigrationStep(0, StepKind.Profile, 0, false, 10, StepStatus.Running, null, null, null, null);

        var outcome = await runtime.ExecuteAsync(new StepContext(MigrationId.New(), Service, AgentEdge.Cluster, AgentEdge.Source, AgentEdge.Destination,
            design.Plan, step, Bandwidth.FromGigabits(1)), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Equal($"post-copy needs lazy pages on both hosts, which h2 cannot run (CRIU 4.2.1: {PipeTooSmall})", failure.Reason);
    }

    private static AgentClusterOptions Cluster() => CapabilityStubAgents.Cluster();

    /// <summary>Agents answering as CRIU 4.2.1 does here: lazy pages where the host's fs.pipe-max-size was raised.</summary>
    private static CapabilityStubAgents StubAgents(bool lazyOnH1, bool lazyOnH2) => new(host =>
    {
        var lazy = host == "h1" ? lazyOnH1 : lazyOnH2;
        var detail = lazy ? "userfaultfd; fs.pipe-max-size 268435456" : PipeTooSmall;
        return $$"""{"version":"4.2.1","usable":true,"dirtyTracking":false,"tcpRepair":true,"warnings":[],"report":"Looks good.","lazyPages":{{(lazy ? "true" : "false")}},"uffd":true,"pipeMaxSizeBytes":{{(lazy ? 268435456 : 1048576)}},"lazyPagesDetail":"{{detail}}"}""";
    });
}
