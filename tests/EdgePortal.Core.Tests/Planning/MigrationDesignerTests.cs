using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// The designer on the 10 MB SockPerf case of [MOSE] (θ_down = 2 s, θ_mig = 5 s, 1 Gbit/s, r = 0) and variations.
/// Reference figures (see PamModelTests for the arithmetic): pre-copy downtime 906.75072 ms, one round 239.39072 ms,
/// T_0 = 319.17056 ms, Cold 986.53056 ms; MS2M pre-replay X = 915.53056 ms, switch 71 ms.
/// </summary>
public sealed class MigrationDesignerTests
{
    private const long M = 10_000_000;
    private static readonly NodeId Source = NodeId.New();
    private static readonly DestinationCandidate Gigabit = new(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.2, "edge-b");
    private readonly MigrationDesigner _designer = new();

    private static DesignRequest Request(Objective objective = Objective.MinDowntime, double maxDowntime = 2_000, double maxMigration = 5_000,
        double arrival = 0, double processing = 0, params DestinationCandidate[] destinations) => new()
    {
        Profile = new WorkloadProfile(M, dirtyPagesPerSecond: 0, arrival, processing),
        Source = Source,
        Destinations = destinations.Length == 0 ? [Gigabit] : destinations,
        Targets = new KpiTargets(maxDowntime, maxMigration, maxUserLatencyMs: 10),
        Objective = objective,
    };

    [Fact]
    public void Design_SockPerfMinDowntime_IterativePreCopyWithCappedIterations()
    {
        var result = _designer.Design(Request());
        var plan = result.Plan;

        Assert.True(plan.Feasible);
        Assert.Equal(MigrationStrategy.IterativePreCopy, plan.Strategy);
        Assert.Equal(10, plan.Iterations);
        Assert.Equal(1e9, plan.ReservedBandwidth.BitsPerSecond);
        Assert.Equal(906.75072, plan.PredictedDowntimeMs, 6);
        // 319.17056 + 10·239.39072 + 906.75072 = 3,619.82848
        Assert.Equal(3_619.82848, plan.PredictedMigrationTimeMs, 6);
        Assert.Equal(PlanConstraints.IterationCap, plan.BindingConstraint);
        Assert.Equal(Gigabit.Node, plan.Destination);
        Assert.Equal(Source, plan.Source);
        Assert.Contains("907 ms", plan.Rationale);
        Assert.Contains("10 dump rounds", plan.Rationale);
    }

    [Fact]
    public void Design_IterativePreCopy_StepsInFixedOrderWithDowntimeOnStopAndCopy()
    {
        var steps = _designer.Design(Request()).Plan.Steps;

        Assert.Equal(17, steps.Count);
        Assert.Equal(StepKind.Profile, steps[0].Kind);
        Assert.Equal((StepKind.PreDump, 0, 319.17056), (steps[1].Kind, steps[1].Round, Math.Round(steps[1].PredictedMs, 6)));
        for (var round = 1; round <= 10; round++)
        {
            Assert.Equal((StepKind.PreDump, round, false), (steps[1 + round].Kind, steps[1 + round].Round, steps[1 + round].IsDowntime));
            Assert.Equal(239.39072, steps[1 + round].PredictedMs, 6);
        }
        Assert.Equal(
            [StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp],
            steps.Skip(12).Select(s => s.Kind));
        Assert.All(steps.Skip(12).Take(4), s => Assert.True(s.IsDowntime));
        Assert.False(steps[0].IsDowntime);
        Assert.False(steps[^1].IsDowntime);
        // Restore carries T_r + (T_add − switch) = 426.36 + 170; the switch 71.
        Assert.Equal(596.36, steps[14].PredictedMs, 6);
        Assert.Equal(71, steps[15].PredictedMs, 6);
    }

    [Fact]
    public void Design_SockPerfMinResources_PreCopyAtLeastBandwidth()
    {
        // Cold needs 76.03 Mbit/s for θ_down; PreCopy needs only 21.95 Mbit/s (θ_mig binds: 10,588,160 B in 3,858.784 ms),
        // so ranking by reserved bandwidth picks PreCopy at 22 Mbit/s (MoseAlgorithm would pick Cold at 77 Mbit/s).
        var result = _designer.Design(Request(Objective.MinResources));

        Assert.True(result.Feasible);
        Assert.Equal(MigrationStrategy.PreCopy, result.Plan.Strategy);
        Assert.Equal(22e6, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.Equal(PlanConstraints.MigrationTime, result.Plan.BindingConstraint);
        var cold = result.Strategies.Single(s => s.Strategy == MigrationStrategy.Cold);
        Assert.Equal(10_424_320 / 1_096.864 * 8_000, cold.MinBandwidthBitsPerSecond!.Value, 3);
        Assert.Equal(77e6, cold.ReservedBandwidthBitsPerSecond, 0);
        Assert.Contains("Least reserved bandwidth", result.Plan.Rationale);
    }

    [Fact]
    public void Design_MinResourcesColdOverride_ColdAtMinimumBandwidth()
    {
        var result = _designer.Design(Request(Objective.MinResources) with { StrategyOverride = MigrationStrategy.Cold });

        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.Equal(77e6, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.True(result.Plan.PredictedDowntimeMs <= 2_000);
        Assert.Equal(result.Plan.PredictedDowntimeMs, result.Plan.PredictedMigrationTimeMs, 9);
        Assert.Equal(PlanConstraints.Downtime, result.Plan.BindingConstraint);
        Assert.Contains("as requested", result.Plan.Rationale);
    }

    [Fact]
    public void Design_ColdPlan_EverythingBetweenProfileAndCleanUpIsDowntime()
    {
        var plan = _designer.Design(Request() with { StrategyOverride = MigrationStrategy.Cold }).Plan;

        Assert.Equal(
            [StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp],
            plan.Steps.Select(s => s.Kind));
        Assert.Equal([false, true, true, true, true, false], plan.Steps.Select(s => s.IsDowntime));
        Assert.Equal(986.53056, plan.PredictedDowntimeMs, 6);
        Assert.Equal(986.53056, plan.Steps.Where(s => s.IsDowntime).Sum(s => s.PredictedMs), 6);
    }

    [Fact]
    public void Design_NoDirtyTracking_ExcludesPreCopyWithReason()
    {
        var result = _designer.Design(Request() with { SourceCapabilities = TestCapabilities.AgentNode("n2", TestCapabilities.WithoutDirtyTracking) });

        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.Contains("Ruled out: PreCopy, IterativePreCopy (node n2: no dirty tracking).", result.Plan.Rationale, StringComparison.Ordinal);
        foreach (var strategy in new[] { MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy })
        {
            var evaluation = result.Strategies.Single(s => s.Strategy == strategy);
            Assert.False(evaluation.Feasible);
            Assert.False(evaluation.Applicable);
            Assert.Null(evaluation.MinBandwidthBitsPerSecond);
            Assert.Equal("node n2: no dirty tracking", evaluation.Reason);
            Assert.Equal("node n2: no dirty tracking", evaluation.RuledOutBy);
            Assert.Equal(PlanConstraints.DirtyPageTracking, evaluation.BindingConstraint);
        }
    }

    [Fact]
    public void Design_NoMessageStream_ReplayStrategiesNotApplicable()
    {
        var result = _designer.Design(Request());

        Assert.All(result.Strategies.Where(s => s.Strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff), s =>
        {
            Assert.False(s.Applicable);
            Assert.Equal(PlanConstraints.MessageStream, s.BindingConstraint);
        });
    }

    [Fact]
    public void Design_ConvergingConsumer_MessageReplayWithFreezeAndSwitchDowntime()
    {
        var result = _designer.Design(Request(arrival: 100, processing: 200));
        var plan = result.Plan;

        Assert.Equal(MigrationStrategy.MessageReplay, plan.Strategy);
        // The live dump's freeze (T_p = 235.776) + the switch (71).
        Assert.Equal(306.776, plan.PredictedDowntimeMs, 9);
        // X + λ·X/(μ − λ) + switch = 915.53056 + 915.53056 + 71
        Assert.Equal(1_902.06112, plan.PredictedMigrationTimeMs, 6);
        Assert.Equal(
            [StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.ReplayMessages, StepKind.SwitchTraffic, StepKind.CleanUp],
            plan.Steps.Select(s => s.Kind));
        Assert.Equal([false, true, false, false, false, true, false], plan.Steps.Select(s => s.IsDowntime));
    }

    [Fact]
    public void Design_SlowConsumer_ReplayWithCutoffBeatsPreCopy()
    {
        // λ = 100, μ = 110: MessageReplay needs X·11 + 71 = 10,141.8 ms > θ_mig; the cutoff variant has 820.96 ms downtime
        // (the live dump's freeze 235.78, the drain 514.18, the switch 71) < 906.75.
        var result = _designer.Design(Request(arrival: 100, processing: 110));
        var plan = result.Plan;

        Assert.Equal(MigrationStrategy.ReplayWithCutoff, plan.Strategy);
        Assert.Equal(820.959616, plan.PredictedDowntimeMs, 6);
        Assert.Equal(5_000, plan.PredictedMigrationTimeMs, 6);
        Assert.Equal(4_414.816384, plan.CutoffMs!.Value, 6);
        var replays = plan.Steps.Where(s => s.Kind == StepKind.ReplayMessages).ToList();
        Assert.Equal([(0, false), (1, true)], replays.Select(s => (s.Round, s.IsDowntime)));
        Assert.Equal(514.183616, replays[1].PredictedMs, 6);
        var replay = result.Strategies.Single(s => s.Strategy == MigrationStrategy.MessageReplay);
        Assert.False(replay.Feasible);
        Assert.Contains("migration time ≥ 10.15 s needed at 1 Gbit/s", replay.Reason);
    }

    [Fact]
    public void Design_DivergingConsumer_MessageReplayExplainsDivergence()
    {
        var replay = _designer.Design(Request(arrival: 200, processing: 100)).Strategies.Single(s => s.Strategy == MigrationStrategy.MessageReplay);

        Assert.False(replay.Feasible);
        Assert.Equal(PlanConstraints.ReplayDivergence, replay.BindingConstraint);
        Assert.Contains("μ = 100 msg/s ≤ λ = 200 msg/s", replay.Reason);
    }

    [Fact]
    public void Design_DowntimeBelowProcessing_InfeasibleNamingNeededDowntime()
    {
        // θ_down = 500 ms: pre-copy processing alone takes 905.44 ms, Cold 903.136 + transfer: nothing meets it.
        var result = _designer.Design(Request(maxDowntime: 500));

        Assert.False(result.Feasible);
        Assert.Equal(PlanConstraints.Downtime, result.Plan.BindingConstraint);
        Assert.Equal(MigrationStrategy.IterativePreCopy, result.Plan.Strategy);
        Assert.Contains("No strategy can meet θ_down 500 ms, θ_mig 5.0 s at edge-b with 1 Gbit/s available", result.Plan.Rationale);
        Assert.Contains("downtime ≥ 907 ms needed at 1 Gbit/s", result.Plan.Rationale);
        Assert.Contains("no bandwidth would be enough", result.Plan.Rationale);
        Assert.All(result.Strategies, s => Assert.Null(s.MinBandwidthBitsPerSecond));
    }

    [Fact]
    public void Design_ColdOnlyNarrowCap_SuggestsReservation()
    {
        // Cold at 100 Mbit/s: 1,737.08 ms > θ_down = 1 s; 1 s needs 10,424,320/96.864 B/ms = 861 Mbit/s.
        var result = _designer.Design(Request(maxDowntime: 1_000) with { SourceCapabilities = TestCapabilities.AgentNode("n2", TestCapabilities.WithoutDirtyTracking), BandwidthCap = Bandwidth.FromMegabits(100) });

        Assert.False(result.Feasible);
        Assert.Equal(MigrationStrategy.Cold, result.Plan.Strategy);
        Assert.Equal(1e8, result.Plan.ReservedBandwidth.BitsPerSecond, 0);
        Assert.Contains("downtime ≥ 1.74 s needed at 100 Mbit/s, or reserve ≥ 861 Mbit/s (100 Mbit/s available)", result.Plan.Rationale);
    }

    [Fact]
    public void Design_MigrationTimeTooShortForRounds_IterativeExplainsAndPreCopyWins()
    {
        // θ_mig = 1,300 ms: I = ⌊(1,300 − 1,225.92)/239.39⌋ = 0, so IterativePreCopy is infeasible and PreCopy (I = 0) fits.
        var result = _designer.Design(Request(maxMigration: 1_300));

        Assert.Equal(MigrationStrategy.PreCopy, result.Plan.Strategy);
        var iterative = result.Strategies.Single(s => s.Strategy == MigrationStrategy.IterativePreCopy);
        Assert.False(iterative.Feasible);
        Assert.Contains("no time for a dump round", iterative.Reason);
    }

    [Fact]
    public void Design_ForcedIterations_UsesThemAndSaysSo()
    {
        var result = _designer.Design(Request() with { ForcedIterations = 3 });

        Assert.Equal(MigrationStrategy.IterativePreCopy, result.Plan.Strategy);
        Assert.Equal(3, result.Plan.Iterations);
        Assert.Contains("as requested", result.Chosen.Reason);
        Assert.Equal(319.17056 + 3 * 239.39072 + 906.75072, result.Plan.PredictedMigrationTimeMs, 6);
    }

    [Fact]
    public void Design_BestLatencyInfeasible_TakesNextFeasibleDestination()
    {
        var narrow = new DestinationCandidate(NodeId.New(), Bandwidth.FromMegabits(10), 1.0, 0.1, "near-but-narrow");
        var result = _designer.Design(Request(destinations: [Gigabit, narrow]));

        Assert.True(result.Feasible);
        Assert.Equal(Gigabit.Node, result.Plan.Destination);
        Assert.Equal(2, result.ConsideredDestinations.Count);
        Assert.False(result.ConsideredDestinations[0].Feasible);
        Assert.Equal(narrow, result.ConsideredDestinations[0].Candidate);
    }

    [Fact]
    public void Design_NoDestinationFeasible_ReturnsNearestAcrossDestinations()
    {
        var narrow = new DestinationCandidate(NodeId.New(), Bandwidth.FromMegabits(10), 1.0, 0.1, "near-but-narrow");
        var result = _designer.Design(Request(maxDowntime: 500, destinations: [narrow, Gigabit]));

        Assert.False(result.Feasible);
        Assert.Equal(Gigabit.Node, result.Plan.Destination);
        Assert.Equal(2, result.ConsideredDestinations.Count);
    }

    [Fact]
    public void Design_SameLatency_PrefersMoreBandwidthThenLessLoad()
    {
        var a = new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.5, "a");
        var b = new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 3.0, 0.1, "b");
        var c = new DestinationCandidate(NodeId.New(), Bandwidth.FromMegabits(500), 3.0, 0.0, "c");

        Assert.Equal(b.Node, _designer.Design(Request(destinations: [c, a, b])).Plan.Destination);
    }

    [Fact]
    public void Design_ReplayWithCalibratedLiveFreeze_CheckpointStepIsTheFreezeAndStepSumsStillEqualPredictions()
    {
        // A calibration that measured the live dump: frozen 10 ms + 1 ms/MB, far below the paper's T_p.
        var calibrated = PamParameters.PaperTestbed with { LiveFreezeMs = 10, LiveFreezeMsPerByte = 1e-6 };
        foreach (var strategy in new[] { MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff })
        {
            var plan = _designer.Design(Request(arrival: 100, processing: 110) with { StrategyOverride = strategy, Parameters = calibrated }).Plan;

            var checkpoint = plan.Steps.Single(s => s.Kind == StepKind.Checkpoint);
            Assert.True(checkpoint.IsDowntime);
            Assert.Equal(10 + 1e-6 * M, checkpoint.PredictedMs, 9);
            Assert.True(checkpoint.PredictedMs < PamModel.PreDumpMs(M, calibrated));
            Assert.Equal(plan.PredictedDowntimeMs, plan.Steps.Where(s => s.IsDowntime).Sum(s => s.PredictedMs), 9);
            Assert.Equal(plan.PredictedMigrationTimeMs,
                plan.Steps.Where(s => s.Kind is not (StepKind.Profile or StepKind.CleanUp)).Sum(s => s.PredictedMs), 9);
        }
    }

    [Fact]
    public void Design_ReplayWithLiveFreezeLongerThanColdDump_DowntimeIsTheMeasuredFreezeNotCappedAtTp()
    {
        // The lab's calibration: CRIU kept the live-dumped source frozen longer than the fitted cold dump T_p. The downtime is
        // the freeze as measured (clients wait for all of it), and the live dump lasts as long as its freeze.
        var tp = PamModel.PreDumpMs(M, PamParameters.PaperTestbed);
        var calibrated = PamParameters.PaperTestbed with { LiveFreezeMs = tp + 50, LiveFreezeMsPerByte = 0 };
        foreach (var strategy in new[] { MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff })
        {
            var plan = _designer.Design(Request(arrival: 100, processing: 110) with { StrategyOverride = strategy, Parameters = calibrated }).Plan;

            var checkpoint = plan.Steps.Single(s => s.Kind == StepKind.Checkpoint);
            Assert.Equal(tp + 50, checkpoint.PredictedMs, 9);
            var transfer = plan.Steps.Single(s => s.Kind == StepKind.Transfer);
            Assert.Equal(transfer.SendingMs!.Value, transfer.PredictedMs, 9);
            Assert.True(plan.PredictedDowntimeMs >= tp + 50 + calibrated.SwitchMs - 1e-9, $"{plan.PredictedDowntimeMs} < T_f + switch");
            Assert.Equal(plan.PredictedDowntimeMs, plan.Steps.Where(s => s.IsDowntime).Sum(s => s.PredictedMs), 9);
            Assert.Equal(plan.PredictedMigrationTimeMs,
                plan.Steps.Where(s => s.Kind is not (StepKind.Profile or StepKind.CleanUp)).Sum(s => s.PredictedMs), 9);
        }
    }

    [Fact]
    public void Design_AnyStrategy_StepSumsEqualPredictions()
    {
        foreach (var strategy in Enum.GetValues<MigrationStrategy>())
        {
            var plan = _designer.Design(Request(arrival: 100, processing: 110) with { StrategyOverride = strategy }).Plan;

            Assert.Equal(strategy, plan.Strategy);
            Assert.Equal(plan.PredictedDowntimeMs, plan.Steps.Where(s => s.IsDowntime).Sum(s => s.PredictedMs), 9);
            Assert.Equal(plan.PredictedMigrationTimeMs,
                plan.Steps.Where(s => s.Kind is not (StepKind.Profile or StepKind.CleanUp)).Sum(s => s.PredictedMs), 9);
        }
    }

    [Fact]
    public void Design_UserLatencyAboveTarget_RationaleSaysSo()
    {
        var far = new DestinationCandidate(NodeId.New(), Bandwidth.FromGigabits(1), 25, 0.1, "far");
        Assert.Contains("above the 10 ms target", _designer.Design(Request(destinations: [far])).Plan.Rationale);
    }

    [Fact]
    public void Design_NoDestinations_ThrowsNamingDestinations()
    {
        var error = Assert.Throws<ArgumentException>(() => _designer.Design(Request() with { Destinations = [] }));
        Assert.Equal(nameof(DesignRequest.Destinations), error.ParamName);
    }

    [Fact]
    public void Design_DestinationIsSource_Throws()
    {
        var self = new DestinationCandidate(Source, Bandwidth.FromGigabits(1), 1, 0);
        Assert.Throws<ArgumentException>(() => _designer.Design(Request(destinations: [self])));
    }

    [Fact]
    public void Design_NegativeForcedIterations_ThrowsNamingField()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _designer.Design(Request() with { ForcedIterations = -1 }));
        Assert.Equal(nameof(DesignRequest.ForcedIterations), error.ParamName);
    }

    [Fact]
    public void Compare_OneDestination_EvaluatesEveryStrategy()
    {
        var evaluations = _designer.Compare(Request(), Gigabit);

        Assert.Equal(Enum.GetValues<MigrationStrategy>(), evaluations.Select(e => e.Strategy));
        Assert.Equal(986.53056, evaluations[0].PredictedDowntimeMs, 6);
    }
}
