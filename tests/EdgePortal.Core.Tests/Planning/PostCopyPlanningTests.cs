using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// PostCopy (issue 18 item 1) with the [PAM] paper parameters at 1 Gbit/s (125,000 B/ms), θ_down 2 s, θ_mig 5 s:
/// T_ld = 1.92·(84 + 6 + 1.8) = 176.256 ms, V_s = 45·4096 = 184,320 B (1.47456 ms), T_lr = 6.27·60 = 376.2 ms, T_add 241 ms,
/// so T_down = 794.93056 ms whatever the state; V = 2.5·10⁻⁴·M·4096, the window V/L = 81.92 ms at 10 MB, 819.2 ms at 100 MB.
/// Against it: IterativePreCopy 906.75072 ms at 10 MB (PostCopy 12% lower: below the 25% its risk requires) and
/// 1,358.18 ms at 100 MB (PostCopy 41% lower).
/// </summary>
public sealed class PostCopyPlanningTests
{
    private const double DowntimeMs = 794.93056;
    private static readonly NodeId Source = NodeId.New();
    private static readonly DestinationCandidate Gigabit = new(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.2, "edge-b");
    private readonly MigrationDesigner _designer = new();

    private static DesignRequest Request(long stateBytes, bool allow, Objective objective = Objective.MinDowntime, NodeCapabilities? source = null,
        DestinationCandidate? destination = null) => new()
    {
        Profile = new WorkloadProfile(stateBytes, 0),
        Source = Source,
        Destinations = [destination ?? Gigabit],
        Targets = new KpiTargets(2_000, 5_000, 10),
        Objective = objective,
        AllowPostCopy = allow,
        PostCopyDeniedBy = allow ? null : "service state-svc",
        SourceCapabilities = source,
    };

    [Fact]
    public void Predict_PaperParameters_DowntimeWithoutMemoryAndWindowOfTheMemory()
    {
        var p = PostCopyModel.Predict(100_000_000, 125_000, PamParameters.PaperTestbed);

        Assert.Equal(176.256, p.LazyDumpMs, 9);
        Assert.Equal(184_320, p.ImageBytes, 9);
        Assert.Equal(1.47456, p.ImageTransferMs, 9);
        Assert.Equal(376.2, p.LazyRestoreMs, 9);
        Assert.Equal(DowntimeMs, p.DowntimeMs, 9);
        Assert.Equal(102_400_000, p.PageBytes, 6);
        Assert.Equal(819.2, p.DegradationWindowMs, 9);
        Assert.Equal(DowntimeMs + 819.2, p.MigrationTimeMs, 9);
    }

    [Fact]
    public void MinBandwidth_MigrationTimeBinds_AllBytesOverWhatTheFixedPartLeaves()
    {
        // (184,320 + 102,400,000) B / (5,000 − 793.456) ms = 24,387.4 B/ms; θ_down alone needs 184,320 / 1,206.544 = 152.8 B/ms.
        var requirement = PostCopyModel.MinBandwidth(100_000_000, 2_000, 5_000, PamParameters.PaperTestbed);

        Assert.Equal(102_584_320 / 4_206.544, requirement.BytesPerMillisecond, 6);
    }

    [Fact]
    public void Design_PostCopyNotAllowed_NeverPlannedAndReasonSaysTheRisk()
    {
        var result = _designer.Design(Request(100_000_000, allow: false));

        Assert.NotEqual(MigrationStrategy.PostCopy, result.Plan.Strategy);
        var post = result.Strategies.Single(s => s.Strategy == MigrationStrategy.PostCopy);
        Assert.False(post.Applicable);
        Assert.False(post.Feasible);
        Assert.Equal(PlanConstraints.PostCopyNotAllowed, post.BindingConstraint);
        Assert.Contains("allowPostCopy is off for service state-svc", post.Reason, StringComparison.Ordinal);
        Assert.Contains("a source failure then loses it", post.Reason, StringComparison.Ordinal);
        // It would have cut the downtime, so the rationale says why it was not planned.
        Assert.Contains("PostCopy would predict downtime 795 ms, but allowPostCopy is off", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_PostCopyAllowedClearlyBetter_PlannedWithPageInAfterTheSwitchAndRiskInWords()
    {
        var plan = _designer.Design(Request(100_000_000, allow: true)).Plan;

        Assert.Equal(MigrationStrategy.PostCopy, plan.Strategy);
        Assert.True(plan.Feasible);
        Assert.Equal(DowntimeMs, plan.PredictedDowntimeMs, 6);
        Assert.Equal(DowntimeMs + 819.2, plan.PredictedMigrationTimeMs, 6);
        Assert.Equal(
            [StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.PageIn, StepKind.CleanUp],
            plan.Steps.Select(s => s.Kind));
        Assert.Equal([false, true, true, true, true, false, false], plan.Steps.Select(s => s.IsDowntime));
        Assert.Equal(819.2, plan.Steps[5].PredictedMs, 6);
        Assert.Equal("Page in", plan.Steps[5].Label);
        Assert.Contains("degradation window of 819 ms", plan.Rationale, StringComparison.Ordinal);
        Assert.Contains("a failure of the source or the link in that window loses the service", plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_PostCopyAllowedGainBelowRiskMargin_SafeStrategyPlannedAndRationaleSaysWhy()
    {
        var result = _designer.Design(Request(10_000_000, allow: true));

        Assert.Equal(MigrationStrategy.IterativePreCopy, result.Plan.Strategy);
        Assert.True(result.Strategies.Single(s => s.Strategy == MigrationStrategy.PostCopy).Feasible);
        Assert.Contains("PostCopy would predict downtime 795 ms, but by less than the 25% its risk requires", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_PostCopyAllowedMinResources_ReservesLessThanEveryOtherStrategy()
    {
        // PostCopy needs 24,387 B/ms (195.1 Mbit/s); PreCopy, the cheapest of the others, about 35,780 B/ms (286 Mbit/s).
        var result = _designer.Design(Request(100_000_000, allow: true, Objective.MinResources));

        Assert.Equal(MigrationStrategy.PostCopy, result.Plan.Strategy);
        Assert.Equal(196e6, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.All(result.Strategies.Where(s => s.Feasible && s.Strategy != MigrationStrategy.PostCopy),
            s => Assert.True(s.ReservedBandwidthBitsPerSecond >= result.Plan.ReservedBandwidth.BitsPerSecond / (1 - MigrationDesigner.PostCopyRiskMargin)));
    }

    [Fact]
    public void Design_DestinationWithoutLazyPages_PostCopyRuledOutNamingTheHost()
    {
        var noLazy = TestCapabilities.Everything with { LazyPages = false };
        var destination = Gigabit with { Capabilities = TestCapabilities.AgentNode("h2", host: noLazy) };

        var result = _designer.Design(Request(100_000_000, allow: true, source: TestCapabilities.AgentNode("h1"), destination: destination));

        Assert.NotEqual(MigrationStrategy.PostCopy, result.Plan.Strategy);
        var post = result.Strategies.Single(s => s.Strategy == MigrationStrategy.PostCopy);
        Assert.Equal("node h2: no lazy pages", post.RuledOutBy);
        Assert.Equal(PlanConstraints.LazyPages, post.BindingConstraint);
        Assert.Contains("PostCopy (node h2: no lazy pages)", result.Plan.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void Design_RuntimeWithoutPostCopy_NeverPlannedEvenWhenAllowed()
    {
        var agentLike = TestCapabilities.Everything with { Strategies = [MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy], LazyPages = true };
        var destination = Gigabit with { Capabilities = TestCapabilities.AgentNode("h2", agentLike, agentLike) };

        var result = _designer.Design(Request(100_000_000, allow: true, source: TestCapabilities.AgentNode("h1", agentLike, agentLike), destination: destination));

        Assert.NotEqual(MigrationStrategy.PostCopy, result.Plan.Strategy);
        Assert.False(result.Strategies.Single(s => s.Strategy == MigrationStrategy.PostCopy).Applicable);
    }
}
