using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>[PAM] eqs. 33–34 and the [MOSE] algorithm with the 10 MB SockPerf numbers (θ_mig = 5 s, θ_down = 2 s, 1 Gbit/s, r = 0).</summary>
public sealed class PamConfigurationTests
{
    private const long M = 10_000_000;
    private const double GigabitBytesPerMs = 125_000;
    private static readonly PamParameters P = PamParameters.PaperTestbed;

    [Fact]
    public void MinBandwidthForDowntime_ColdTwoSeconds_SeventySixMegabit()
    {
        // L > V_0/(θ_down − T_p − T_r − T_add) = 10,424,320/(2,000 − 235.776 − 426.36 − 241) = 10,424,320/1,096.864
        //   = 9,503.7489 B/ms = 76.03 Mbit/s
        var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.Cold, M, 0, 2_000, P);

        Assert.Equal(10_424_320 / 1_096.864, requirement.BytesPerMillisecond, 6);
        Assert.Equal(76.03e6, requirement.BitsPerSecond, 1e4);
        Assert.True(requirement.FitsWithin(GigabitBytesPerMs));
    }

    [Fact]
    public void MinBandwidthForDowntime_PreCopyTwoSeconds_UsesDumpRound()
    {
        // L > V_d/(θ_down − T_d − T_r − T_add) = 163,840/(2,000 − 238.08 − 426.36 − 241) = 163,840/1,094.56 = 149.686 B/ms ≈ 1.2 Mbit/s
        var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.IterativePreCopy, M, 0, 2_000, P);

        Assert.Equal(163_840 / 1_094.56, requirement.BytesPerMillisecond, 9);
        Assert.Equal(238.08 + 426.36 + 241, requirement.FixedMs, 9);
    }

    [Fact]
    public void MinBandwidthForDowntime_ProcessingExceedsTarget_Unachievable()
    {
        // Pre-copy: T_d + T_r + T_add = 905.44 ms > θ_down = 900 ms: the denominator is negative.
        var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.PreCopy, M, 0, 900, P);

        Assert.False(requirement.IsAchievable);
        Assert.False(requirement.FitsWithin(double.MaxValue));
        Assert.Throws<InvalidOperationException>(() => requirement.ToBandwidth());
    }

    [Fact]
    public void MinBandwidthForDowntime_MoreThanAvailable_DoesNotFit()
    {
        // Cold with θ_down = 1,000 ms: 10,424,320/(1,000 − 903.136) = 10,424,320/96.864 = 107,618 B/ms = 861 Mbit/s;
        // fits 1 Gbit/s but not 500 Mbit/s (62,500 B/ms).
        var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.Cold, M, 0, 1_000, P);

        Assert.Equal(10_424_320 / 96.864, requirement.BytesPerMillisecond, 6);
        Assert.True(requirement.FitsWithin(GigabitBytesPerMs));
        Assert.False(requirement.FitsWithin(62_500));
    }

    [Fact]
    public void MinBandwidthForMigrationTime_PreCopyFiveSeconds_CountsBothRounds()
    {
        // T_mig = (T_p + T_d + T_r + T_add) + (V_0 + V_d)/L ≤ 5,000:
        // L ≥ (10,424,320 + 163,840)/(5,000 − 235.776 − 238.08 − 426.36 − 241) = 10,588,160/3,858.784 = 2,743.91 B/ms ≈ 21.95 Mbit/s
        var requirement = PamConfiguration.MinBandwidthForMigrationTime(MigrationStrategy.PreCopy, M, 0, 0, 5_000, P);

        Assert.Equal(10_588_160 / 3_858.784, requirement.BytesPerMillisecond, 6);
    }

    [Fact]
    public void MaxIterations_SockPerf_FifteenCappedAtTen()
    {
        // I = ⌊(θ_mig − T_0 − T_down)/(T_d + T_net)⌋ = ⌊(5,000 − 319.17056 − 906.75072)/239.39072⌋ = ⌊3,774.07872/239.39072⌋ = ⌊15.77⌋ = 15
        var budget = PamConfiguration.MaxIterations(M, 0, GigabitBytesPerMs, 5_000, P);

        Assert.Equal(15, budget.Uncapped);
        Assert.Equal(10, budget.Iterations);
        Assert.True(budget.LimitedByCap);
    }

    [Fact]
    public void MaxIterations_HigherCap_ReturnsFifteen()
    {
        var budget = PamConfiguration.MaxIterations(M, 0, GigabitBytesPerMs, 5_000, P with { MaxIterations = 50 });

        Assert.Equal(15, budget.Iterations);
        Assert.False(budget.LimitedByCap);
    }

    [Fact]
    public void MaxIterations_TargetBelowOnePreCopy_Infeasible()
    {
        // T_0 + T_down = 319.17056 + 906.75072 = 1,225.92 ms > θ_mig = 1,200 ms: I < 0.
        var budget = PamConfiguration.MaxIterations(M, 0, GigabitBytesPerMs, 1_200, P);

        Assert.Null(budget.Iterations);
        Assert.False(budget.LimitedByCap);
    }

    [Fact]
    public void MaxIterations_ExactlyOneRoundOfSlack_ReturnsOne()
    {
        // θ_mig = T_0 + T_down + (T_d + T_net) = 1,225.92128 + 239.39072 = 1,465.312 → I = 1 exactly.
        var budget = PamConfiguration.MaxIterations(M, 0, GigabitBytesPerMs, 1_465.312, P);

        Assert.Equal(1, budget.Iterations);
    }

    [Fact]
    public void Reserve_Requirement_RoundsUpToWholeMegabit()
    {
        var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.Cold, M, 0, 2_000, P);

        // 76.03 Mbit/s → 77 Mbit/s = 9,625 B/ms
        Assert.Equal(9_625, PamConfiguration.Reserve(requirement, GigabitBytesPerMs, P), 9);
        Assert.Equal(9_000, PamConfiguration.Reserve(requirement, 9_000, P), 9);
        Assert.Equal(requirement.BytesPerMillisecond, PamConfiguration.Reserve(requirement, GigabitBytesPerMs, P with { BandwidthGranularityBitsPerSecond = 0 }), 9);
    }

    [Fact]
    public void Configure_SockPerfMinDowntime_IterativePreCopyWithMaxIterations()
    {
        var configuration = MoseAlgorithm.Configure(Objective.MinDowntime, M, 0, GigabitBytesPerMs, 2_000, 5_000, P);

        Assert.Equal(MigrationStrategy.IterativePreCopy, configuration.Strategy);
        Assert.Equal(10, configuration.Iterations);
        Assert.Equal(GigabitBytesPerMs, configuration.BandwidthBytesPerMs);
        Assert.True(configuration.Feasible);
        Assert.Equal(906.75072, configuration.Prediction.DowntimeMs, 6);
        Assert.Equal(PlanConstraints.IterationCap, configuration.BindingConstraint);
    }

    [Fact]
    public void Configure_SockPerfMinResources_ColdAtMinimumBandwidth()
    {
        var configuration = MoseAlgorithm.Configure(Objective.MinResources, M, 0, GigabitBytesPerMs, 2_000, 5_000, P);

        Assert.Equal(MigrationStrategy.Cold, configuration.Strategy);
        Assert.Equal(77e6, configuration.Bandwidth.BitsPerSecond, 0);
        Assert.True(configuration.Feasible);
        Assert.True(configuration.Prediction.DowntimeMs <= 2_000);
        Assert.Contains("77 Mbit/s", configuration.Explanation);
    }

    [Fact]
    public void Configure_MinDowntimeTightMigrationTime_FallsBackToCold()
    {
        // θ_mig = 1,100 ms: pre-copy needs ≥ 1,225.9 ms, Cold takes 986.5 ms.
        var configuration = MoseAlgorithm.Configure(Objective.MinDowntime, M, 0, GigabitBytesPerMs, 2_000, 1_100, P);

        Assert.Equal(MigrationStrategy.Cold, configuration.Strategy);
        Assert.True(configuration.Feasible);
    }

    [Fact]
    public void Configure_MinResourcesBandwidthShort_ReportsMissAndNeededReservation()
    {
        // θ_down = 1,000 ms needs 861 Mbit/s for Cold; only 500 Mbit/s: downtime at 500 Mbit/s = 903.136 + 166.78912 = 1,069.93 ms.
        var configuration = MoseAlgorithm.Configure(Objective.MinResources, M, 0, 62_500, 1_000, 5_000, P);

        Assert.False(configuration.Feasible);
        Assert.Equal(PlanConstraints.Downtime, configuration.BindingConstraint);
        Assert.Equal(62_500, configuration.BandwidthBytesPerMs);
        Assert.Contains("downtime ≥ 1.07 s needed at 500 Mbit/s", configuration.Explanation);
        Assert.Contains("reserve ≥ 861 Mbit/s", configuration.Explanation);
    }
}
