using EdgePortal.Core.Calibration;
using EdgePortal.Core.Planning;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace EdgePortal.Core.Tests.Calibration;

public sealed class PamCalibratorTests
{
    /// <summary>A host unlike the paper's testbed: faster dump and restore, fewer pages per byte, 120 ms of runtime overhead.</summary>
    private static readonly PamParameters Truth = PamParameters.PaperTestbed with
    {
        BetaMs = 12,
        LambdaMsPerByte = 1.5e-6,
        PsiMs = 8,
        OmegaMsPerByte = 4e-7,
        MuPreDumpPages = 30,
        NuPreDumpPerByte = 2.44e-4,
        RuntimeOverheadMs = 120,
        SwitchMs = 71,
    };

    private static readonly long[] Sizes = [1_048_576, 10_485_760, 52_428_800, 104_857_600];

    /// <summary>The dump's fixed cost inside α1·α2: what a Cold grid identifies (β with φp and δ, which the fit folds into β).</summary>
    private static double DumpFixed(PamParameters p) => p.BetaMs + p.PhiPreDumpMs + p.DeltaMs;

    /// <summary>The dump's per-byte cost inside α1·α2: Λ with the pre-dump's scan Γ·ζ, which the fit folds into Λ.</summary>
    private static double DumpPerByte(PamParameters p) => p.LambdaMsPerByte + p.GammaMsPerByte * p.Zeta;

    /// <summary>
    /// Cold migrations as <paramref name="truth"/> predicts them, each stage and the overhead scaled by its own 1 + noise·u
    /// (u uniform in [−1, 1], repeatable), over the sizes × dirty rates × repeats grid at 1 Gbit/s (or with no transfer).
    /// </summary>
    private static List<CalibrationSample> Synthetic(PamParameters truth, double noise, int repeats = 3, double? bandwidth = 1e9, int seed = 7)
    {
        var random = new Random(seed);
        double Noisy(double value) => value * (1 + noise * (2 * random.NextDouble() - 1));
        var samples = new List<CalibrationSample>();
        foreach (var size in Sizes)
            foreach (var rate in new[] { 0.0, 1_000, 10_000 })
                for (var k = 0; k < repeats; k++)
                {
                    var cold = PamModel.Cold(size, bandwidth is { } b ? b / 8_000 : double.PositiveInfinity, truth);
                    var dump = Noisy(cold.PreDumpMs);
                    var transfer = Noisy(cold.PreDumpTransferMs);
                    var restore = Noisy(cold.RestoreMs);
                    samples.Add(new CalibrationSample
                    {
                        StateSizeBytes = size,
                        DirtyPagesPerSecond = rate,
                        BandwidthBitsPerSecond = bandwidth,
                        DumpMs = dump,
                        PagesWritten = Noisy(cold.PreDumpPages),
                        TransferMs = transfer,
                        RestoreMs = restore,
                        DowntimeMs = dump + transfer + restore + Noisy(truth.RuntimeOverheadMs),
                    });
                }
        return samples;
    }

    [Fact]
    public void Fit_OneStalledDumpAndRestoreAtTheLargestSize_LinesStayOnTheOtherSamples()
    {
        // As on the shared lab: among a size's repeats, one dump and one restore took four times as long. The lines go through
        // each size's median, so the stalled sample moves neither (a least-squares line through all samples would tilt).
        var samples = Synthetic(Truth, noise: 0, repeats: 3);
        var largest = samples.FindIndex(s => s.StateSizeBytes == Sizes[^1]);
        samples[largest] = samples[largest] with { DumpMs = samples[largest].DumpMs * 4, RestoreMs = samples[largest].RestoreMs * 4 };

        var fit = PamCalibrator.Fit(samples);

        Assert.Equal(DumpFixed(Truth), fit.Parameters.BetaMs, 6);
        Assert.Equal(DumpPerByte(Truth), fit.Parameters.LambdaMsPerByte, 12);
        Assert.Equal(Truth.PsiMs, fit.Parameters.PsiMs, 6);
        Assert.Equal(Truth.OmegaMsPerByte, fit.Parameters.OmegaMsPerByte, 12);
    }

    [Fact]
    public void Fit_NoiselessSamplesFromTheModel_RecoversTheParametersExactly()
    {
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0, repeats: 1));

        Assert.Equal(DumpFixed(Truth), fit.Parameters.BetaMs, 6);
        Assert.Equal(DumpPerByte(Truth), fit.Parameters.LambdaMsPerByte, 12);
        Assert.Equal((0, 0, 0), (fit.Parameters.PhiPreDumpMs, fit.Parameters.DeltaMs, fit.Parameters.Zeta));
        Assert.Equal(Truth.PsiMs, fit.Parameters.PsiMs, 6);
        Assert.Equal(Truth.OmegaMsPerByte, fit.Parameters.OmegaMsPerByte, 12);
        Assert.Equal(Truth.MuPreDumpPages, fit.Parameters.MuPreDumpPages, 6);
        Assert.Equal(Truth.NuPreDumpPerByte, fit.Parameters.NuPreDumpPerByte, 12);
        Assert.Equal(Truth.RuntimeOverheadMs, fit.Parameters.RuntimeOverheadMs, 6);
        Assert.Equal(1, fit.DowntimeRSquared, 9);
        Assert.True(fit.MaxRelativeError < 1e-9, $"max relative error {fit.MaxRelativeError}");
    }

    [Fact]
    public void Fit_OneTransferStalledForASecond_TAddStaysTheOthers()
    {
        var samples = Synthetic(Truth, noise: 0, repeats: 1);
        samples[^1] = samples[^1] with { TransferMs = samples[^1].TransferMs + 1_000, DowntimeMs = samples[^1].DowntimeMs + 1_000 };

        var fit = PamCalibrator.Fit(samples);

        Assert.Equal(Truth.RuntimeOverheadMs, fit.Parameters.RuntimeOverheadMs, 6);
        Assert.All(fit.Points.SkipLast(1), p => Assert.True(p.RelativeError < 1e-9, $"{p.Sample.StateSizeBytes} B: predicted {p.PredictedDowntimeMs}, measured {p.Sample.DowntimeMs}"));
    }

    [Fact]
    public void Fit_FivePercentNoise_RecoversTheParametersWithinTolerance()
    {
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0.05));

        Assert.InRange(fit.Parameters.BetaMs, DumpFixed(Truth) * 0.7, DumpFixed(Truth) * 1.3);
        Assert.InRange(fit.Parameters.LambdaMsPerByte, DumpPerByte(Truth) * 0.95, DumpPerByte(Truth) * 1.05);
        Assert.InRange(fit.Parameters.PsiMs, Truth.PsiMs * 0.7, Truth.PsiMs * 1.3);
        Assert.InRange(fit.Parameters.OmegaMsPerByte, Truth.OmegaMsPerByte * 0.95, Truth.OmegaMsPerByte * 1.05);
        Assert.InRange(fit.Parameters.NuPreDumpPerByte, Truth.NuPreDumpPerByte * 0.97, Truth.NuPreDumpPerByte * 1.03);
        Assert.InRange(fit.Parameters.RuntimeOverheadMs, Truth.RuntimeOverheadMs * 0.9, Truth.RuntimeOverheadMs * 1.1);
        Assert.True(fit.DowntimeRSquared > 0.99, $"R² {fit.DowntimeRSquared}");
        Assert.True(fit.MaxRelativeError < 0.1, $"max relative error {fit.MaxRelativeError}");
        Assert.Equal(36, fit.Points.Count);
    }

    [Fact]
    public void Fit_NoTransfer_PredictsNoTransferAndStillRecoversTAdd()
    {
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0.02, bandwidth: null));

        Assert.All(fit.Points, p => Assert.Equal(0, p.PredictedTransferMs));
        Assert.InRange(fit.Parameters.RuntimeOverheadMs, 110, 130);
    }

    [Fact]
    public void Fit_Always_SaysWhichParametersTheGridIdentifiesAndKeepsThePapersForTheRest()
    {
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0.02));

        var fitted = fit.Estimates.Where(e => e.Fitted).Select(e => e.Symbol).ToHashSet();
        Assert.Equal(["β", "Λ", "φp", "δ", "ζ", "ψ", "ω", "μp", "νp", "T_add"], fitted);
        var paper = PamParameters.PaperTestbed;
        Assert.Equal(paper.Alpha1, fit.Parameters.Alpha1);
        Assert.Equal(paper.XiAtRmax, fit.Parameters.XiAtRmax);
        Assert.Equal(paper.PhiDumpMs, fit.Parameters.PhiDumpMs);
        Assert.Contains("pre-copy", fit.Estimates.Single(e => e.Symbol == "ξ(Rmax)").Note);
        Assert.All(fit.Estimates, e => Assert.False(string.IsNullOrWhiteSpace(e.Note)));
        Assert.True(fit.Parameters.SwitchMs <= fit.Parameters.RuntimeOverheadMs);
    }

    [Fact]
    public void Fit_SamplesWithoutPageCounts_KeepsThePapersPages()
    {
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0.02).Select(s => s with { PagesWritten = null }).ToList());

        Assert.Equal(PamParameters.PaperTestbed.NuPreDumpPerByte, fit.Parameters.NuPreDumpPerByte);
        Assert.False(fit.Estimates.Single(e => e.Symbol == "νp").Fitted);
    }

    [Fact]
    public void Fit_DumpFasterThanThePapersFixedTerms_FitsItExactly()
    {
        // 1.92·(β + φp + δ) = 176 ms is the paper's fixed dump cost; this host dumps in 5 ms + 0.2 ms/MB.
        var samples = Sizes.Select(size => new CalibrationSample { StateSizeBytes = size, DumpMs = 5 + 2e-7 * size, RestoreMs = 30, DowntimeMs = 60 })
            .Concat([new CalibrationSample { StateSizeBytes = Sizes[0], DumpMs = 5 + 2e-7 * Sizes[0], RestoreMs = 30, DowntimeMs = 60 }]).ToList();

        var fit = PamCalibrator.Fit(samples);

        Assert.All(fit.Points, p => Assert.Equal(p.Sample.DumpMs, p.PredictedDumpMs, 9));
        Assert.Equal(1, fit.DumpRSquared, 9);
    }

    [Fact]
    public void Fit_DumpShrinkingWithSize_HoldsLambdaAtZeroInsteadOfNegative()
    {
        var samples = Sizes.Select(size => new CalibrationSample { StateSizeBytes = size, DumpMs = 50 - 1e-7 * size, RestoreMs = 30, DowntimeMs = 90 }).ToList();

        var fit = PamCalibrator.Fit(samples);

        Assert.Equal(0, fit.Parameters.LambdaMsPerByte);
        Assert.True(fit.Parameters.BetaMs > 0);
        Assert.Contains("held at 0", fit.Estimates.Single(e => e.Symbol == "Λ").Note);
        fit.Parameters.EnsureValid();
    }

    [Fact]
    public void Fit_FewerSamplesThanParameters_RefusesNamingTheMinimum()
    {
        var samples = Synthetic(Truth, noise: 0, repeats: 1).Take(2).ToList();

        var e = Assert.Throws<CalibrationInputException>(() => PamCalibrator.Fit(samples));

        Assert.Equal("samples", e.Field);
        Assert.Contains($"at least {PamCalibrator.MinimumSamples} samples", e.Message);
    }

    [Fact]
    public void Fit_SingleStateSize_RefusesBecausePerByteTermsAreNotIdentified()
    {
        var samples = Synthetic(Truth, noise: 0.05).Where(s => s.StateSizeBytes == Sizes[1]).ToList();

        var e = Assert.Throws<CalibrationInputException>(() => PamCalibrator.Fit(samples));

        Assert.Equal("samples", e.Field);
        Assert.Contains("same state size", e.Message);
        Assert.Contains("at least two state sizes", e.Message);
    }

    [Fact]
    public void Fit_NoSamples_Refuses()
    {
        var e = Assert.Throws<CalibrationInputException>(() => PamCalibrator.Fit([]));

        Assert.Contains("got 0", e.Message);
    }

    [Fact]
    public void Validate_BadFields_NamesEachOne()
    {
        var good = Synthetic(Truth, noise: 0).Take(3).ToList();
        var bad = new List<CalibrationSample?>(good)
        {
            [1] = good[1] with { DumpMs = double.NaN, BandwidthBitsPerSecond = 0 },
            [2] = null,
        };

        var problems = PamCalibrator.Validate(bad);

        Assert.Equal(["samples[1].bandwidthBitsPerSecond", "samples[1].dumpMs", "samples[2]"], problems.Select(p => p.Field).Order());
    }

    // The lab's stages besides Cold's: a live dump's freeze far below the cold dump (it writes the pages after the thaw),
    // a lazy dump and a lazy restore nearly independent of the state, and a page-in slower than the link.
    private static double LiveFreeze(long m) => 15 + 1.2e-6 * m;
    private static double LazyDump(long m) => 90 + 2e-8 * m;
    private static double LazyRestore(long m) => 40 + 1e-8 * m;
    private static double PageIn(long m) => 100 + 1.4e-5 * m;

    private static List<CalibrationSample> WithStages(List<CalibrationSample> samples) => samples.Select(s => s with
    {
        LiveFreezeMs = LiveFreeze(s.StateSizeBytes),
        LazyDumpMs = LazyDump(s.StateSizeBytes),
        LazyRestoreMs = LazyRestore(s.StateSizeBytes),
        PageInMs = PageIn(s.StateSizeBytes),
    }).ToList();

    [Fact]
    public void Fit_SamplesWithReplayAndPostCopyStages_FitsEachStagesLine()
    {
        var fit = PamCalibrator.Fit(WithStages(Synthetic(Truth, noise: 0, repeats: 1)));

        var p = fit.Parameters;
        Assert.Equal(15, p.LiveFreezeMs!.Value, 6);
        Assert.Equal(1.2e-6, p.LiveFreezeMsPerByte, 12);
        Assert.Equal(90, p.LazyDumpMs!.Value, 6);
        Assert.Equal(2e-8, p.LazyDumpMsPerByte, 12);
        Assert.Equal(40, p.LazyRestoreMs!.Value, 6);
        Assert.Equal(1e-8, p.LazyRestoreMsPerByte, 12);
        Assert.Equal(100, p.PageInMs!.Value, 6);
        Assert.Equal(1.4e-5, p.PageInMsPerByte, 12);
        Assert.Equal(["T_f", "T_ld", "T_lr", "W_c"], fit.Stages.Select(s => s.Symbol));
        Assert.All(fit.Stages, s => Assert.Equal(1, s.RSquared, 9));
        Assert.All(fit.Stages, s => Assert.Equal(Sizes.Length * 3, s.Samples));
        var fitted = fit.Estimates.Where(e => e.Fitted).Select(e => e.Symbol).ToHashSet();
        Assert.Superset(new HashSet<string> { "T_f fixed", "T_f per byte", "T_ld fixed", "T_ld per byte", "T_lr fixed", "T_lr per byte", "W_c fixed", "W_c per byte" }, fitted);
        // The Cold terms are fitted as before.
        Assert.Equal(DumpFixed(Truth), p.BetaMs, 6);
        Assert.Equal(Truth.RuntimeOverheadMs, p.RuntimeOverheadMs, 6);
    }

    [Fact]
    public void Fit_LiveFreezeMeasured_ReplayPredictsTheMeasuredFreezeNotTheColdDump()
    {
        const long m = 104_857_600;
        var fit = PamCalibrator.Fit(WithStages(Synthetic(Truth, noise: 0, repeats: 1)));

        var replay = ReplayModel.MessageReplay(m, 125_000, 480, 900, fit.Parameters);
        var cutoff = ReplayModel.WithCutoff(m, 125_000, 480, 900, 10_000, fit.Parameters);

        Assert.Equal(LiveFreeze(m), replay.FrozenMs, 6);
        Assert.Equal(LiveFreeze(m) + fit.Parameters.SwitchMs, replay.DowntimeMs, 6);
        Assert.Equal(LiveFreeze(m), cutoff.FrozenMs, 6);
        // The checkpoint still writes what a cold dump writes: the pre-replay time keeps T_p.
        Assert.Equal(PamModel.PreDumpMs(m, fit.Parameters), replay.CheckpointMs, 6);
        Assert.True(replay.FrozenMs < replay.CheckpointMs / 2, $"freeze {replay.FrozenMs} ms, checkpoint {replay.CheckpointMs} ms");
    }

    [Fact]
    public void Fit_PostCopyMeasured_PostCopyModelUsesTheMeasuredStagesAndTheSlowerOfLinkAndPageIn()
    {
        const long m = 104_857_600;
        var fit = PamCalibrator.Fit(WithStages(Synthetic(Truth, noise: 0, repeats: 1)));
        var p = fit.Parameters;

        var fast = PostCopyModel.Predict(m, 125_000, p);

        Assert.Equal(LazyDump(m), fast.LazyDumpMs, 6);
        Assert.Equal(LazyRestore(m), fast.LazyRestoreMs, 6);
        Assert.Equal(fast.LazyDumpMs + fast.ImageTransferMs + fast.LazyRestoreMs + p.RuntimeOverheadMs, fast.DowntimeMs, 6);
        // At 1 Gbit/s the link would bring the memory in ~840 ms; CRIU's page-in takes 1.57 s: that is the window.
        Assert.True(PostCopyModel.PageBytes(m, p) / 125_000 < PageIn(m));
        Assert.Equal(PageIn(m), fast.DegradationWindowMs, 6);
        Assert.Equal(fast.DowntimeMs + PageIn(m), fast.MigrationTimeMs, 6);
        // At 100 Mbit/s the link is the slower.
        var slow = PostCopyModel.Predict(m, 12_500, p);
        Assert.Equal(PostCopyModel.PageBytes(m, p) / 12_500, slow.DegradationWindowMs, 6);
        // No bandwidth brings the window under CRIU's own page-in.
        Assert.True(double.IsPositiveInfinity(PostCopyModel.MinBandwidth(m, 2_000, fast.DowntimeMs + PageIn(m) / 2, p).BytesPerMillisecond));
    }

    [Fact]
    public void Fit_OneStalledRunPerStage_LineThroughTheMediansIgnoresIt()
    {
        var samples = WithStages(Synthetic(Truth, noise: 0, repeats: 3));
        samples[0] = samples[0] with { LiveFreezeMs = samples[0].LiveFreezeMs + 1_000, PageInMs = samples[0].PageInMs + 5_000 };

        var fit = PamCalibrator.Fit(samples);

        Assert.Equal(15, fit.Parameters.LiveFreezeMs!.Value, 6);
        Assert.Equal(100, fit.Parameters.PageInMs!.Value, 6);
        Assert.True(fit.Stages.Single(s => s.Symbol == "T_f").MaxRelativeError > 0.9, "the stalled run is reported as the stage's largest error");
    }

    [Fact]
    public void Fit_OnlySomeSamplesMeasuredAStage_FitsItFromThoseAndAtOneSizeAsAConstant()
    {
        var samples = Synthetic(Truth, noise: 0, repeats: 1);
        samples = samples.Select(s => s.StateSizeBytes == Sizes[2] ? s with { LiveFreezeMs = 42 } : s).ToList();

        var fit = PamCalibrator.Fit(samples);

        var stage = Assert.Single(fit.Stages);
        Assert.Equal(3, stage.Samples);
        Assert.Equal(42, fit.Parameters.LiveFreezeMs!.Value, 9);
        Assert.Equal(0, fit.Parameters.LiveFreezeMsPerByte);
    }

    [Fact]
    public void Fit_ColdOnlyGrid_KeepsThePapersFormulasForTheOtherStagesAndSaysSo()
    {
        const long m = 104_857_600;
        var fit = PamCalibrator.Fit(Synthetic(Truth, noise: 0.02));
        var p = fit.Parameters;

        Assert.Empty(fit.Stages);
        Assert.Null(p.LiveFreezeMs);
        Assert.Null(p.LazyDumpMs);
        Assert.Null(p.LazyRestoreMs);
        Assert.Null(p.PageInMs);
        Assert.Equal(PamModel.PreDumpMs(m, p), ReplayModel.MessageReplay(m, 125_000, 480, 900, p).FrozenMs, 9);
        Assert.Equal(p.Alpha1 * p.Alpha2 * (p.BetaMs + p.PhiPreDumpMs + p.DeltaMs), PostCopyModel.LazyDumpMs(m, p), 9);
        Assert.Equal(PostCopyModel.PageBytes(m, p) / 125_000, PostCopyModel.Predict(m, 125_000, p).DegradationWindowMs, 9);
        var tf = fit.Estimates.Single(e => e.Symbol == "T_f fixed");
        Assert.False(tf.Fitted);
        Assert.Contains("not measured", tf.Note);
        Assert.Contains("T_p", tf.Note);
    }

    [Fact]
    public void Validate_NegativeOrNaNStageTimes_NamesEachField()
    {
        var good = Synthetic(Truth, noise: 0).Take(3).ToList();
        var bad = new List<CalibrationSample?>(good)
        {
            [0] = good[0] with { LiveFreezeMs = -1 },
            [2] = good[2] with { LazyDumpMs = double.NaN, PageInMs = double.PositiveInfinity },
        };

        var problems = PamCalibrator.Validate(bad);

        Assert.Equal(["samples[0].liveFreezeMs", "samples[2].lazyDumpMs", "samples[2].pageInMs"], problems.Select(p => p.Field).Order());
    }

    [Fact]
    public void Report_StagesMeasured_PrintsEachStagesLine()
    {
        var calibration = HostCalibration.Create("criu-lab", "lab/h1 → h2", WithStages(Synthetic(Truth, noise: 0, repeats: 1)), DateTimeOffset.UnixEpoch, "admin");

        var text = CalibrationReport.Text(calibration);

        Assert.Contains("Stages of the other strategies", text);
        Assert.Matches(@"T_f +15\.0 ms \+ 1\.2E-6 ms/B", text);
        Assert.Matches(@"W_c +100\.0 ms \+ 1\.4E-5 ms/B", text);
    }

    [Fact]
    public void RSquared_ConstantMeasurementsPredictedExactly_IsOne()
    {
        Assert.Equal(1, PamCalibrator.RSquared([5, 5, 5], [5, 5, 5]));
        Assert.Equal(0, PamCalibrator.RSquared([5, 5, 5], [5, 6, 5]));
    }

    [Fact]
    public void Create_HostClassAndHost_NameTheParameterSet()
    {
        var at = new DateTimeOffset(2026, 11, 29, 1, 2, 0, TimeSpan.Zero);

        var calibration = HostCalibration.Create("lab-x86", "lab/h1 → h2", Synthetic(Truth, noise: 0.01), at, "admin");

        Assert.Equal("calibration of host class 'lab-x86' (lab/h1 → h2, 2026-11-29 01:02 UTC, 36 samples)", calibration.Fit.Parameters.Name);
        Assert.Equal(at, calibration.At);
    }

    /// <summary>Any positive parameter set within edge-host ranges comes back from its own noiseless Cold samples.</summary>
    [Property(MaxTest = 200)]
    public Property Fit_AnyNoiselessParameterSet_RecoversItsIdentifiedTerms()
    {
        var gen = from beta in Gen.Choose(0, 200_000)
                  from lambda in Gen.Choose(1, 100_000)
                  from psi in Gen.Choose(0, 200_000)
                  from omega in Gen.Choose(1, 100_000)
                  from tAdd in Gen.Choose(0, 1_000_000)
                  select PamParameters.PaperTestbed with
                  {
                      BetaMs = beta / 1_000.0,
                      LambdaMsPerByte = lambda * 1e-11,
                      PsiMs = psi / 1_000.0,
                      OmegaMsPerByte = omega * 1e-11,
                      RuntimeOverheadMs = tAdd / 1_000.0,
                      SwitchMs = 0,
                  };
        return Prop.ForAll(Arb.From(gen), truth =>
        {
            var fit = PamCalibrator.Fit(Synthetic(truth, noise: 0, repeats: 1));
            return Close(fit.Parameters.BetaMs, DumpFixed(truth), 1e-6) && Close(fit.Parameters.LambdaMsPerByte, DumpPerByte(truth), 1e-13)
                && Close(fit.Parameters.PsiMs, truth.PsiMs, 1e-6) && Close(fit.Parameters.OmegaMsPerByte, truth.OmegaMsPerByte, 1e-13)
                && Close(fit.Parameters.RuntimeOverheadMs, truth.RuntimeOverheadMs, 1e-6);
        });
    }

    private static bool Close(double a, double b, double tolerance) => Math.Abs(a - b) <= tolerance + 1e-9 * Math.Abs(b);
}
