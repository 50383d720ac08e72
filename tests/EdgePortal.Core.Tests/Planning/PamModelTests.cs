using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// The [PAM] formulas against hand-computed values with the Table III parameters (docs/migration-model.md §2).
/// M = 10,000,000 B and L = 1 Gbit/s = 125,000 B/ms throughout unless a test says otherwise; α1·α2 = 1.6·1.2 = 1.92,
/// α3·α4 = 3.3·1.9 = 6.27.
/// </summary>
public sealed class PamModelTests
{
    private const long M = 10_000_000;
    private const double GigabitBytesPerMs = 125_000;
    private static readonly PamParameters P = PamParameters.PaperTestbed;

    [Fact]
    public void PreCopy_WorkedExample_ReproducesEveryFigureToOneTenthMs()
    {
        var prediction = PamModel.PreCopy(M, r: 0, GigabitBytesPerMs, iterations: 0, P);

        Assert.Equal(235.8, prediction.PreDumpMs, 0.1);
        Assert.Equal(319.2, prediction.RoundZeroMs, 0.1);
        Assert.Equal(238.1, prediction.DumpMs, 0.1);
        Assert.Equal(1.3, prediction.DumpTransferMs, 0.1);
        Assert.Equal(426.4, prediction.RestoreMs, 0.1);
        Assert.Equal(906.8, prediction.DowntimeMs, 0.1);
    }

    [Fact]
    public void PreDumpMs_TableThree_MatchesHandComputation()
    {
        // T_p = 1.92·(β + (φp + Γ·ζ·M) + (δ + Λ·M)) = 1.92·(84 + (6 + 1e-7·1·1e7) + (1.8 + 3e-6·1e7))
        //     = 1.92·(84 + 7 + 31.8) = 1.92·122.8 = 235.776
        Assert.Equal(235.776, PamModel.PreDumpMs(M, P), 9);
    }

    [Fact]
    public void PreDumpPagesAndBytes_TableThree_MatchHandComputation()
    {
        // N_p = μp + νp·M = 45 + 2.5e-4·1e7 = 2,545 pages; V_0 = ρ·τ1·N_p·σ = 1·1·2,545·4,096 = 10,424,320 B
        Assert.Equal(2_545, PamModel.PreDumpPages(M, P), 9);
        Assert.Equal(10_424_320, PamModel.PreDumpBytes(M, P), 6);
    }

    [Fact]
    public void RoundZeroMs_OneGigabit_AddsPreDumpTransfer()
    {
        // T_0 = T_p + V_0/L = 235.776 + 10,424,320/125,000 = 235.776 + 83.39456 = 319.17056
        var prediction = PamModel.PreCopy(M, 0, GigabitBytesPerMs, 0, P);
        Assert.Equal(83.39456, prediction.PreDumpTransferMs, 9);
        Assert.Equal(319.17056, prediction.RoundZeroMs, 9);
    }

    [Theory]
    // r = 0:   ξ = 0,  νd = 0,       τ2 = 4:   T_d = 1.92·(84 + 40 + 0)        = 238.08; N_d = 10;    V_d = 4·10·4096        = 163,840;    T_net = 1.31072
    [InlineData(0.0, 238.08, 10, 163_840, 1.31072)]
    // r = 0.5: ξ = 15, νd = 1.25e-4, τ2 = 2.5: T_d = 1.92·(124 + 1e-7·15·1e7) = 1.92·139 = 266.88; N_d = 10 + 1,250 = 1,260;
    //          V_d = 2.5·1,260·4,096 = 12,902,400; T_net = 103.2192
    [InlineData(0.5, 266.88, 1_260, 12_902_400, 103.2192)]
    // r = 1:   ξ = 30, νd = 2.5e-4,  τ2 = 1:   T_d = 1.92·(124 + 30) = 295.68; N_d = 2,510; V_d = 2,510·4,096 = 10,280,960; T_net = 82.24768
    [InlineData(1.0, 295.68, 2_510, 10_280_960, 82.24768)]
    public void DumpRound_DirtyRate_InterpolatesLinearly(double r, double dumpMs, double pages, double bytes, double transferMs)
    {
        var prediction = PamModel.PreCopy(M, r, GigabitBytesPerMs, 1, P);

        Assert.Equal(dumpMs, prediction.DumpMs, 9);
        Assert.Equal(pages, prediction.DumpPages, 9);
        Assert.Equal(bytes, prediction.DumpBytes, 6);
        Assert.Equal(transferMs, prediction.DumpTransferMs, 9);
    }

    [Fact]
    public void RestoreMs_TableThree_MatchesHandComputation()
    {
        // T_r = α3·α4·(ψ + ω·M) = 6.27·(60 + 8e-7·1e7) = 6.27·68 = 426.36
        Assert.Equal(426.36, PamModel.RestoreMs(M, P), 9);
    }

    [Fact]
    public void PreCopy_TenIterations_TotalAddsTenRounds()
    {
        // T_down = 238.08 + 1.31072 + 426.36 + 241 = 906.75072
        // T_mig  = T_0 + (I + 1)·(T_d + T_net) + T_r + T_add = 319.17056 + 11·239.39072 + 426.36 + 241 = 3,619.82848
        var prediction = PamModel.PreCopy(M, 0, GigabitBytesPerMs, 10, P);

        Assert.Equal(906.75072, prediction.DowntimeMs, 9);
        Assert.Equal(3_619.82848, prediction.MigrationTimeMs, 9);
        Assert.Equal(MigrationStrategy.IterativePreCopy, prediction.Strategy);
    }

    [Fact]
    public void Cold_OneGigabit_DowntimeEqualsMigrationTime()
    {
        // T_down = T_mig = T_p + V_0/L + T_r + T_add = 235.776 + 83.39456 + 426.36 + 241 = 986.53056
        var prediction = PamModel.Cold(M, GigabitBytesPerMs, P);

        Assert.Equal(986.53056, prediction.DowntimeMs, 9);
        Assert.Equal(prediction.DowntimeMs, prediction.MigrationTimeMs);
        Assert.Equal(0, prediction.DumpMs);
        Assert.Equal(0, prediction.DumpBytes);
    }

    [Fact]
    public void Cold_HundredMegabit_TransferDominates()
    {
        // 100 Mbit/s = 12,500 B/ms; V_0/L = 10,424,320/12,500 = 833.9456; T = 235.776 + 833.9456 + 426.36 + 241 = 1,737.0816
        Assert.Equal(1_737.0816, PamModel.Cold(M, 12_500, P).DowntimeMs, 9);
    }

    [Fact]
    public void Predict_PreCopyWithIterations_IgnoresIterations()
    {
        var prediction = PamModel.Predict(MigrationStrategy.PreCopy, M, 0, GigabitBytesPerMs, 7, P);

        Assert.Equal(0, prediction.Iterations);
        Assert.Equal(MigrationStrategy.PreCopy, prediction.Strategy);
        Assert.Equal(319.17056 + 906.75072, prediction.MigrationTimeMs, 9);
    }

    [Fact]
    public void Predict_ReplayStrategy_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PamModel.Predict(MigrationStrategy.MessageReplay, M, 0, GigabitBytesPerMs, 0, P));
    }

    [Fact]
    public void Cold_ZeroBandwidth_TakesForever()
    {
        Assert.Equal(double.PositiveInfinity, PamModel.Cold(M, 0, P).DowntimeMs);
    }

    [Fact]
    public void Cold_RuntimeOverheadChanged_ShiftsDowntimeByTheDifference()
    {
        var kubernetes = P with { RuntimeOverheadMs = 1_500, SwitchMs = 300 };
        Assert.Equal(986.53056 - 241 + 1_500, PamModel.Cold(M, GigabitBytesPerMs, kubernetes).DowntimeMs, 9);
    }

    [Theory]
    // ⌈1e7/4096⌉ = 2,442 pages, so Rmin = 1/s, Rmax = 2,442/s and r = (R̂ − 1)/2,441.
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(1_221.5, 0.5)]
    [InlineData(2_442, 1)]
    [InlineData(10_000, 1)]
    public void NormalisedDirtyRate_TenMegabytes_ClampsToUnitInterval(double dirtyPagesPerSecond, double expected)
    {
        Assert.Equal(expected, P.NormalisedDirtyRate(M, dirtyPagesPerSecond), 12);
    }

    [Fact]
    public void NormalisedDirtyRate_LongerProfilingInterval_ScalesBothBounds()
    {
        // ΔT = 2 s: Rmin = 0.5/s, Rmax = 1,221/s; R̂ = 610.75 → (610.75 − 0.5)/(1,221 − 0.5) = 0.5
        var slow = P with { ProfilingIntervalSeconds = 2 };
        Assert.Equal(0.5, slow.NormalisedDirtyRate(M, 610.75), 12);
    }

    [Fact]
    public void NormalisedDirtyRate_Profile_UsesStateAndDirtyRate()
    {
        var profile = new WorkloadProfile(M, 1_221.5);
        Assert.Equal(0.5, P.NormalisedDirtyRate(profile), 12);
    }

    [Theory]
    [InlineData(10_000_000, 0)]
    [InlineData(10_000_000, 0.25)]
    [InlineData(10_000_000, 0.5)]
    [InlineData(10_000_000, 1)]
    [InlineData(4_097, 0.3)]
    [InlineData(1_000_000_000, 0.001)]
    [InlineData(1_000_000_000, 0.999)]
    public void DirtyPagesPerSecond_NormalisedBack_RoundTrips(long stateBytes, double r)
    {
        var rate = P.DirtyPagesPerSecond(stateBytes, r);
        Assert.Equal(r, P.NormalisedDirtyRate(stateBytes, rate), 9);
        // and the other way round, from a rate inside [Rmin, Rmax]
        Assert.Equal(rate, P.DirtyPagesPerSecond(stateBytes, P.NormalisedDirtyRate(stateBytes, rate)), 6);
    }

    [Fact]
    public void DirtyPagesPerSecond_TenMegabytes_MatchesHandComputation()
    {
        // Rmin = 1/s, Rmax = 2,442/s: r = 0.5 is 1 + 0.5·2,441 = 1,221.5 pages/s.
        Assert.Equal(1_221.5, P.DirtyPagesPerSecond(M, 0.5), 9);
        Assert.Equal(1, P.DirtyPagesPerSecond(M, 0), 12);
        Assert.Equal(2_442, P.DirtyPagesPerSecond(M, 1), 9);
    }

    [Theory]
    [InlineData(0.2, 0)]
    [InlineData(0.7, 1)]
    public void DirtyPagesPerSecond_SinglePageState_RoundsToTheTwoRates(double r, double readBack)
    {
        Assert.Equal(readBack, P.NormalisedDirtyRate(4_096, P.DirtyPagesPerSecond(4_096, r)));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void DirtyPagesPerSecond_ROutsideUnitInterval_Throws(double r)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => P.DirtyPagesPerSecond(M, r));
    }

    [Fact]
    public void Interpolate_OutOfRange_Clamps()
    {
        Assert.Equal(4.0, PamParameters.Interpolate(4, 1, -3));
        Assert.Equal(1.0, PamParameters.Interpolate(4, 1, 7));
        Assert.Equal(2.5, PamParameters.Interpolate(4, 1, 0.5));
    }

    [Fact]
    public void PaperTestbed_Defaults_AreTableThree()
    {
        Assert.Equal((1.6, 1.2, 3.3, 1.9), (P.Alpha1, P.Alpha2, P.Alpha3, P.Alpha4));
        Assert.Equal(4096, P.PageSizeBytes);
        Assert.Equal((84.0, 6.0, 40.0, 1.8), (P.BetaMs, P.PhiPreDumpMs, P.PhiDumpMs, P.DeltaMs));
        Assert.Equal((0.0, 30.0), (P.XiAtRmin, P.XiAtRmax));
        Assert.Equal((0.0075, 0.75), (P.EtaAtRmin, P.EtaAtRmax));
        Assert.Equal((4.0, 1.0), (P.Tau2AtRmin, P.Tau2AtRmax));
        Assert.Equal((0.0, 2.5e-4), (P.NuDumpAtRminPerByte, P.NuDumpAtRmaxPerByte));
        Assert.Equal((241.0, 1.0), (P.RuntimeOverheadMs, P.ProfilingIntervalSeconds));
    }

    [Fact]
    public void EnsureValid_SwitchLongerThanOverhead_NamesSwitchMs()
    {
        var bad = P with { SwitchMs = 300 };
        var error = Assert.Throws<ArgumentOutOfRangeException>(bad.EnsureValid);
        Assert.Equal(nameof(PamParameters.SwitchMs), error.ParamName);
    }

    [Fact]
    public void EnsureValid_NegativeBeta_NamesBetaMs()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>((P with { BetaMs = -1 }).EnsureValid);
        Assert.Equal(nameof(PamParameters.BetaMs), error.ParamName);
    }
}
