using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

public sealed class MigrationPlannerTests
{
    [Fact]
    public void Plan_FeasibleAtBestNode_MigratesToUsersNode()
    {
        var edge = new PlanningTopology();
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant);

        Assert.True(result.Feasible);
        Assert.Equal(edge.N1.Id, result.Plan!.Destination);
        Assert.Equal(MigrationStrategy.IterativePreCopy, result.Plan.Strategy);
        Assert.Contains("candidate #1 of 5", result.Summary);
    }

    [Fact]
    public void Plan_BestNodeTooNarrow_TakesNextNodeWithFeasiblePlan()
    {
        // 1 GB of state, r = 0: T_p = 1.92·(84 + 6 + 100 + 1.8 + 3,000) = 6,128.256; V_0 = (45 + 250,000)·4,096 = 1,024,184,320 B;
        // T_r = 6.27·(60 + 800) = 5,392.2; pre-copy downtime = 238.08 + 5,392.2 + 241 + V_d/L ≈ 5,871.4.
        // n1 (1 Gbit/s): V_0/L = 8,193.47 → Cold 19,955 ms, pre-copy total ≈ 20,193 ms: both miss θ_mig = 15 s.
        // n2 (10 Gbit/s): V_0/L = 819.35 → Cold 12,581 ms, pre-copy total ≈ 12,819 ms: feasible.
        var edge = new PlanningTopology(stateBytes: 1_000_000_000, maxDowntimeMs: 14_000, maxMigrationTimeMs: 15_000);
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant);

        Assert.True(result.Feasible);
        Assert.Equal(edge.N2.Id, result.Plan!.Destination);
        Assert.Equal(2, result.Design!.ConsideredDestinations.Count);
        Assert.False(result.Design.ConsideredDestinations[0].Feasible);
        Assert.Contains("candidate #2 of 5", result.Summary);
    }

    [Fact]
    public void Plan_NothingFeasible_ReturnsNearestWithExplanation()
    {
        var edge = new PlanningTopology(maxDowntimeMs: 300);
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant);

        Assert.False(result.Feasible);
        Assert.NotNull(result.Plan);
        Assert.Equal(PlanConstraints.Downtime, result.Plan!.BindingConstraint);
        Assert.Contains("downtime ≥", result.Plan.Rationale);
        Assert.Contains("no feasible plan at any of 5 candidates", result.Summary);
    }

    [Fact]
    public void Plan_RequestedExcludedDestination_NoDesignAndReason()
    {
        var edge = new PlanningTopology();
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N3.Id });

        Assert.Null(result.Design);
        Assert.Contains("n3: the node is cordoned", result.Summary);
    }

    [Fact]
    public void Plan_RequestedDestination_PlansOnlyThere()
    {
        var edge = new PlanningTopology();
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { Destination = edge.N7.Id });

        Assert.Equal(edge.N7.Id, result.Plan!.Destination);
    }

    [Fact]
    public void Plan_HostClassParameters_ArePickedForTheSource()
    {
        var edge = new PlanningTopology();
        string? askedFor = null;
        var slow = PamParameters.PaperTestbed with { RuntimeOverheadMs = 1_241, SwitchMs = 71 };
        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions
        {
            ParametersForHostClass = hostClass => { askedFor = hostClass; return slow; },
        });

        Assert.Equal("edge-standard", askedFor);
        // The worked example's 906.75072 ms at 1 Gbit/s (n1) with T_add 1,000 ms longer.
        Assert.Equal(1_906.75072, result.Plan!.PredictedDowntimeMs, 6);
    }

    [Fact]
    public void Plan_HostClassCalibrated_RationaleNamesTheParameterSet()
    {
        var edge = new PlanningTopology();
        var calibrated = PamParameters.PaperTestbed with { Name = "calibration of host class 'edge-standard'" };

        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { ParametersForHostClass = _ => calibrated });

        Assert.EndsWith("Model parameters: calibration of host class 'edge-standard'.", result.Plan!.Rationale);
    }

    [Fact]
    public void Plan_HostClassWithoutCalibration_RationaleSaysThePapersSetWasUsed()
    {
        var edge = new PlanningTopology();

        var result = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant, new PlanningOptions { ParametersForHostClass = _ => null });

        Assert.EndsWith($"Model parameters: {PamParameters.PaperTestbedName} (host class 'edge-standard' has no calibration).", result.Plan!.Rationale);
    }

    [Theory]
    [InlineData(false, false, "tenant drones and service flight-control")]
    [InlineData(true, false, "service flight-control")]
    [InlineData(false, true, "tenant drones")]
    public void Plan_PostCopyOffForTenantOrService_NotPlannedNamingWhoKeepsItOff(bool tenantAllows, bool serviceAllows, string deniedBy)
    {
        var (edge, tenant, service) = PostCopyEdge(tenantAllows, serviceAllows);

        var result = new MigrationPlanner(edge.Topology).Plan(service, tenant);

        Assert.NotEqual(MigrationStrategy.PostCopy, result.Plan!.Strategy);
        Assert.Contains($"allowPostCopy is off for {deniedBy}", result.Design!.Strategies.Single(s => s.Strategy == MigrationStrategy.PostCopy).Reason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_PostCopyAllowedByTenantAndService_Planned()
    {
        var (edge, tenant, service) = PostCopyEdge(tenantAllows: true, serviceAllows: true);

        var result = new MigrationPlanner(edge.Topology).Plan(service, tenant);

        Assert.Equal(MigrationStrategy.PostCopy, result.Plan!.Strategy);
        Assert.Contains(StepKind.PageIn, result.Plan.Steps.Select(s => s.Kind));
    }

    /// <summary>100 MB: PostCopy's downtime (795 ms) is well below pre-copy's (1,358 ms), so only the permission decides.</summary>
    private static (PlanningTopology Edge, Tenant Tenant, ServiceInstance Service) PostCopyEdge(bool tenantAllows, bool serviceAllows)
    {
        var edge = new PlanningTopology(stateBytes: 100_000_000);
        var tenant = new Tenant(edge.Tenant.Id, edge.Tenant.Name, edge.Tenant.AllowedClusters, allowPostCopy: tenantAllows);
        var s = edge.Service;
        var service = new ServiceInstance(s.Id, s.TenantId, s.Name, s.NodeId, s.Profile, s.Targets, s.Objective, s.Labels, s.Image, allowPostCopy: serviceAllows);
        return (edge, tenant, service);
    }
}
