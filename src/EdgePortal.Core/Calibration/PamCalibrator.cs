using System.Globalization;
using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Calibration;

/// <summary>One parameter of a calibrated set: its value, the paper's, and whether the measurements fixed it or why not.</summary>
/// <param name="Symbol">The model's symbol (β, Λ, ψ, …).</param>
/// <param name="Property">The <see cref="PamParameters"/> property it sets.</param>
/// <param name="Value">The value in the calibrated set.</param>
/// <param name="PaperValue">[PAM] Table III's value.</param>
/// <param name="Fitted">True when the fit set it (by least squares over the samples, or folded into a fitted term); false when it keeps the basis' (the paper's) value.</param>
/// <param name="Note">How it was fitted, or why the grid cannot identify it.</param>
public sealed record ParameterEstimate(string Symbol, string Property, double Value, double PaperValue, bool Fitted, string Note);

/// <summary>One sample beside what the calibrated model predicts for it.</summary>
public sealed record CalibrationPoint(CalibrationSample Sample, double PredictedDumpMs, double PredictedTransferMs, double PredictedRestoreMs, double PredictedDowntimeMs)
{
    /// <summary>|predicted − measured| / measured downtime.</summary>
    public double RelativeError => Sample.DowntimeMs > 0
        ? Math.Abs(PredictedDowntimeMs - Sample.DowntimeMs) / Sample.DowntimeMs
        : PredictedDowntimeMs == 0 ? 0 : double.PositiveInfinity;
}

/// <summary>
/// A fitted parameter set with what it rests on: every parameter with its provenance, every sample beside its prediction,
/// and the fit's quality (R² of the downtime and of each CRIU stage, the largest relative downtime error).
/// </summary>
public sealed record CalibrationFit(
    PamParameters Parameters,
    IReadOnlyList<ParameterEstimate> Estimates,
    IReadOnlyList<CalibrationPoint> Points,
    double DowntimeRSquared,
    double DumpRSquared,
    double RestoreRSquared,
    double MaxRelativeError,
    double MeanMeasuredOverheadMs)
{
    /// <summary>
    /// The lines fitted for the stages other strategies have besides Cold's (the live dump's freeze, the lazy dump, the
    /// restore with lazy pages, the page-in), one per stage the samples measured; empty for a Cold-only grid.
    /// </summary>
    public IReadOnlyList<StageFit> Stages { get; init; } = [];
}

/// <summary>
/// One stage's fitted line, stage(M) = <see cref="FixedMs"/> + <see cref="MsPerByte"/>·M, over the samples that measured it:
/// how many, R², and the largest relative error of a sample against the line.
/// </summary>
/// <param name="Stage">What was measured, in words.</param>
/// <param name="Symbol">The model's symbol (T_f, T_ld, T_lr, W_c).</param>
/// <param name="Property">The <see cref="PamParameters"/> property carrying <see cref="FixedMs"/> (the per-byte one is it + "PerByte").</param>
public sealed record StageFit(string Stage, string Symbol, string Property, int Samples, double FixedMs, double MsPerByte, double RSquared, double MaxRelativeError)
{
    /// <summary>The line at <paramref name="stateBytes"/>, ms.</summary>
    public double At(long stateBytes) => FixedMs + MsPerByte * stateBytes;
}

/// <summary>A sample field, or the set of samples, that a fit cannot use, in words naming it.</summary>
public sealed record CalibrationProblem(string Field, string Message);

/// <summary>Samples a fit cannot use; <see cref="Field"/> names the offending field (<c>samples</c>, <c>samples[2].dumpMs</c>).</summary>
public sealed class CalibrationInputException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Fits the [PAM] parameters a Cold calibration grid identifies, by linear least squares over measured samples, and keeps
/// the basis' (normally the paper's) value for the rest, saying which and why in <see cref="CalibrationFit.Estimates"/>.
/// </summary>
/// <remarks>
/// What a grid of Cold migrations over state sizes identifies (docs/migration-model.md §2):
/// <list type="bullet">
/// <item>the cold dump T_p = α1·α2·(β + φp + δ + (Γ·ζ + Λ)·M) is a line in M of which only the intercept and the slope are
/// identified: they are carried by β and Λ (read through α1·α2, held), and the terms that only the pre-dump has and that cannot be
/// told apart from them, φp, δ and ζ, are folded in (set to 0), so that a dump faster than the paper's fixed terms is still fitted
/// exactly; β is also a dump round's fixed cost, which a Cold grid cannot check;</item>
/// <item>the restore T_r = α3·α4·(ψ + ω·M): ψ and ω, with α3, α4 held;</item>
/// <item>each of these lines goes through the median of each state size (<see cref="MedianLine"/>), as the stage lines do;</item>
/// <item>the pages a dump writes N_p = μp + νp·M, from CRIU's pages_written: μp and νp;</item>
/// <item>T_add = the median of what the measured downtime has beyond the fitted model's stages and transfer (the median
/// residual overhead: on a shared host one stalled run — a transfer held up for a second — would otherwise raise every
/// prediction by its excess over the number of samples).</item>
/// </list>
/// Each line is fitted with its coefficients held ≥ 0 (a negative cost is refitted with that term at 0). Pre-copy rounds (φd, ξ,
/// μd, νd, τ2, η) need dirty tracking and are not in a Cold grid; the Cold model does not depend on the dirty rate, so the grid's
/// dirty rates test that rather than fit anything.
/// Where the samples also measured the stages other strategies have (<see cref="CalibrationSample.LiveFreezeMs"/>, the lazy dump,
/// the restore with lazy pages, the page-in), each gets a line of its own (fixed + per-byte, through the median of each state
/// size, see <see cref="CalibrationFit.Stages"/>), so that MessageReplay's freeze and PostCopy's downtime and window are
/// predicted from what was measured rather than from Cold's terms.
/// </remarks>
public static class PamCalibrator
{
    /// <summary>Each stage's line has two unknowns (fixed and per-byte) and T_add one more: fewer samples leave nothing to judge the fit by.</summary>
    public const int MinimumSamples = 3;

    /// <summary>Every problem with <paramref name="samples"/> a fit would refuse, each naming its field; empty when a fit can run.</summary>
    public static IReadOnlyList<CalibrationProblem> Validate(IReadOnlyList<CalibrationSample?>? samples)
    {
        var problems = new List<CalibrationProblem>();
        if (samples is null)
        {
            problems.Add(new("samples", "samples is required: a list of measured migrations."));
            return problems;
        }
        for (var i = 0; i < samples.Count; i++)
        {
            var field = $"samples[{i}]";
            if (samples[i] is not { } s)
            {
                problems.Add(new(field, $"{field} is null."));
                continue;
            }
            if (s.StateSizeBytes <= 0)
                problems.Add(new($"{field}.stateSizeBytes", $"{field}.stateSizeBytes must be > 0 bytes (was {s.StateSizeBytes})."));
            NonNegative(problems, $"{field}.dirtyPagesPerSecond", s.DirtyPagesPerSecond);
            if (s.BandwidthBitsPerSecond is { } b && !(double.IsFinite(b) && b > 0))
                problems.Add(new($"{field}.bandwidthBitsPerSecond", $"{field}.bandwidthBitsPerSecond must be a finite number > 0, or absent when the images were not transferred (was {Text(b)})."));
            NonNegative(problems, $"{field}.dumpMs", s.DumpMs);
            NonNegative(problems, $"{field}.transferMs", s.TransferMs);
            NonNegative(problems, $"{field}.restoreMs", s.RestoreMs);
            NonNegative(problems, $"{field}.downtimeMs", s.DowntimeMs);
            if (s.PagesWritten is { } pages)
                NonNegative(problems, $"{field}.pagesWritten", pages);
            foreach (var (name, value) in Optional(s))
                if (value is { } v)
                    NonNegative(problems, $"{field}.{name}", v);
            if (s.ImageBytes is < 0)
                problems.Add(new($"{field}.imageBytes", $"{field}.imageBytes must be ≥ 0 (was {s.ImageBytes})."));
        }
        if (problems.Count > 0)
            return problems;
        if (samples.Count < MinimumSamples)
            problems.Add(new("samples", $"A calibration needs at least {MinimumSamples} samples (each stage's line has 2 unknowns, fixed and per-byte, and T_add one more); got {samples.Count}."));
        else if (samples.Select(s => s!.StateSizeBytes).Distinct().Count() < 2)
            problems.Add(new("samples", $"All {samples.Count} samples have the same state size ({samples[0]!.StateSizeBytes} B): the per-byte terms (Λ, ω, νp) cannot be told from the fixed ones (β, ψ, μp). Measure at least two state sizes."));
        return problems;
    }

    /// <summary>
    /// Fits the parameters the samples identify on top of <paramref name="basis"/> (the paper's set when null); throws
    /// <see cref="CalibrationInputException"/> naming the field when the samples cannot be fitted (see <see cref="Validate"/>).
    /// </summary>
    public static CalibrationFit Fit(IReadOnlyList<CalibrationSample> samples, PamParameters? basis = null, string? name = null)
    {
        var problems = Validate(samples);
        if (problems.Count > 0)
            throw new CalibrationInputException(problems[0].Field, problems[0].Message);
        var p0 = basis ?? PamParameters.PaperTestbed;
        p0.EnsureValid();
        var dumpScale = p0.Alpha1 * p0.Alpha2;
        var restoreScale = p0.Alpha3 * p0.Alpha4;
        if (dumpScale <= 0 || restoreScale <= 0)
            throw new ArgumentException("The basis' α1·α2 and α3·α4 must be > 0: the fitted terms are read through them.", nameof(basis));

        var n = samples.Count;
        var x = new double[n];
        var dump = new double[n];
        var restore = new double[n];
        for (var i = 0; i < n; i++)
        {
            var s = samples[i];
            x[i] = s.StateSizeBytes;
            // T_p/(α1·α2) = β + Λ·M, with φp, δ and ζ folded into β and Λ
            dump[i] = s.DumpMs / dumpScale;
            // T_r/(α3·α4) = ψ + ω·M
            restore[i] = s.RestoreMs / restoreScale;
        }
        var (beta, lambda, dumpClamped) = MedianLine(x, dump);
        var (psi, omega, restoreClamped) = MedianLine(x, restore);
        var pagesKnown = samples.All(s => s.PagesWritten is not null);
        var (mu, nu, pagesClamped) = pagesKnown
            ? MedianLine(x, samples.Select(s => s.PagesWritten!.Value).ToArray())
            : (p0.MuPreDumpPages, p0.NuPreDumpPerByte, false);

        var fitted = p0 with
        {
            BetaMs = beta,
            PhiPreDumpMs = 0,
            DeltaMs = 0,
            Zeta = 0,
            LambdaMsPerByte = lambda,
            PsiMs = psi,
            OmegaMsPerByte = omega,
            MuPreDumpPages = mu,
            NuPreDumpPerByte = nu,
            RuntimeOverheadMs = 0,
            SwitchMs = 0,
            // The other strategies' stages come from this grid or not at all: a basis' lines rest on other Cold terms.
            LiveFreezeMs = null,
            LiveFreezeMsPerByte = 0,
            LazyDumpMs = null,
            LazyDumpMsPerByte = 0,
            LazyRestoreMs = null,
            LazyRestoreMsPerByte = 0,
            PageInMs = null,
            PageInMsPerByte = 0,
            Name = name ?? string.Create(CultureInfo.InvariantCulture, $"calibrated from {n} samples"),
        };
        var residuals = samples.Select(s => s.DowntimeMs - Predict(s, fitted).PredictedDowntimeMs).Order().ToList();
        var residual = residuals.Count % 2 == 1 ? residuals[residuals.Count / 2] : (residuals[residuals.Count / 2 - 1] + residuals[residuals.Count / 2]) / 2;
        var tAdd = Math.Max(0, residual);
        fitted = fitted with { RuntimeOverheadMs = tAdd, SwitchMs = Math.Min(p0.SwitchMs, tAdd) };
        var stages = new List<StageFit>();
        foreach (var stage in StageDefinitions)
        {
            var measured = samples.Where(s => stage.Read(s) is not null).Select(s => (Bytes: s.StateSizeBytes, Ms: stage.Read(s)!.Value)).ToList();
            if (measured.Count == 0)
                continue;
            var line = StageLine(measured);
            var fit = new StageFit(stage.Stage, stage.Symbol, stage.Property, measured.Count, line.FixedMs, line.MsPerByte,
                RSquared(measured.Select(m => m.Ms), measured.Select(m => line.FixedMs + line.MsPerByte * m.Bytes)),
                measured.Where(m => m.Ms > 0).Select(m => Math.Abs(line.FixedMs + line.MsPerByte * m.Bytes - m.Ms) / m.Ms).DefaultIfEmpty(0).Max());
            stages.Add(fit);
            fitted = stage.Apply(fitted, fit);
        }
        fitted.EnsureValid();

        var points = samples.Select(s => Predict(s, fitted)).ToList();
        var meanOverhead = samples.Average(s => s.OverheadMs);
        return new CalibrationFit(
            fitted,
            Estimates(fitted, p0, pagesKnown, dumpClamped, restoreClamped, pagesClamped, residual, meanOverhead, stages),
            points,
            RSquared(points.Select(p => p.Sample.DowntimeMs), points.Select(p => p.PredictedDowntimeMs)),
            RSquared(points.Select(p => p.Sample.DumpMs), points.Select(p => p.PredictedDumpMs)),
            RSquared(points.Select(p => p.Sample.RestoreMs), points.Select(p => p.PredictedRestoreMs)),
            points.Max(p => p.RelativeError),
            meanOverhead)
        { Stages = stages };
    }

    /// <summary>A stage that strategies other than Cold have: how a sample measures it and which parameters its line sets.</summary>
    private sealed record StageDefinition(string Stage, string Symbol, string Property, Func<CalibrationSample, double?> Read, Func<PamParameters, StageFit, PamParameters> Apply);

    private static readonly StageDefinition[] StageDefinitions =
    [
        new("live dump's freeze (criu dump --leave-running, CRIU's frozen time): MessageReplay's and ReplayWithCutoff's downtime at the source",
            "T_f", nameof(PamParameters.LiveFreezeMs), s => s.LiveFreezeMs, (p, f) => p with { LiveFreezeMs = f.FixedMs, LiveFreezeMsPerByte = f.MsPerByte }),
        new("lazy dump (criu dump --lazy-pages until its page server is ready): PostCopy's dump", "T_ld", nameof(PamParameters.LazyDumpMs),
            s => s.LazyDumpMs, (p, f) => p with { LazyDumpMs = f.FixedMs, LazyDumpMsPerByte = f.MsPerByte }),
        new("restore with lazy pages (criu restore --lazy-pages, CRIU's restore time): PostCopy's restore", "T_lr", nameof(PamParameters.LazyRestoreMs),
            s => s.LazyRestoreMs, (p, f) => p with { LazyRestoreMs = f.FixedMs, LazyRestoreMsPerByte = f.MsPerByte }),
        new("page-in (from the lazily restored service's resume to its last page): PostCopy's degradation window where CRIU is slower than the link",
            "W_c", nameof(PamParameters.PageInMs), s => s.PageInMs, (p, f) => p with { PageInMs = f.FixedMs, PageInMsPerByte = f.MsPerByte }),
    ];

    private static IEnumerable<(string Name, double? Value)> Optional(CalibrationSample s) =>
    [
        ("liveFreezeMs", s.LiveFreezeMs), ("lazyDumpMs", s.LazyDumpMs), ("lazyRestoreMs", s.LazyRestoreMs), ("pageInMs", s.PageInMs),
    ];

    /// <summary>
    /// A stage's line through the median of each state size (so that one stalled run on a shared host does not tilt it),
    /// fixed and per-byte held ≥ 0; with a single state size, the median as a constant.
    /// </summary>
    internal static (double FixedMs, double MsPerByte) StageLine(IReadOnlyList<(long Bytes, double Ms)> measured)
    {
        var perSize = measured.GroupBy(m => m.Bytes).OrderBy(g => g.Key).Select(g => (X: (double)g.Key, Y: Median(g.Select(m => m.Ms)))).ToList();
        if (perSize.Count == 1)
            return (Math.Max(0, perSize[0].Y), 0);
        var (a, b, _) = NonNegativeLine(perSize.Select(p => p.X).ToList(), perSize.Select(p => p.Y).ToList());
        return (a, b);
    }

    /// <summary>
    /// <see cref="NonNegativeLine"/> through the median of each state size: on a shared host one stalled sample (a 500 MB
    /// restore of 3.6 s among 0.7–0.9 s ones on the lab) would otherwise tilt the line, and with it every prediction.
    /// </summary>
    internal static (double A, double B, bool Clamped) MedianLine(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var perSize = x.Select((v, i) => (X: v, Y: y[i])).GroupBy(p => p.X).OrderBy(g => g.Key).Select(g => (g.Key, Median(g.Select(p => p.Y)))).ToList();
        return NonNegativeLine(perSize.Select(p => p.Key).ToList(), perSize.Select(p => p.Item2).ToList());
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    /// <summary>What <paramref name="parameters"/> predict for the sample's state size and bandwidth: a Cold migration (no transfer when it had none).</summary>
    public static CalibrationPoint Predict(CalibrationSample sample, PamParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var bytesPerMs = sample.BandwidthBitsPerSecond is { } bits ? bits / 8_000 : double.PositiveInfinity;
        var cold = PamModel.Cold(sample.StateSizeBytes, bytesPerMs, parameters);
        return new CalibrationPoint(sample, cold.PreDumpMs, cold.PreDumpTransferMs, cold.RestoreMs, cold.DowntimeMs);
    }

    /// <summary>1 − SS_res/SS_tot; 1 for a perfect fit of constant measurements, 0 for an imperfect one.</summary>
    public static double RSquared(IEnumerable<double> measured, IEnumerable<double> predicted)
    {
        var y = measured.ToArray();
        var f = predicted.ToArray();
        if (y.Length != f.Length || y.Length == 0)
            throw new ArgumentException("Measured and predicted must pair up and not be empty.", nameof(predicted));
        var mean = y.Average();
        double res = 0, tot = 0;
        for (var i = 0; i < y.Length; i++)
        {
            res += (y[i] - f[i]) * (y[i] - f[i]);
            tot += (y[i] - mean) * (y[i] - mean);
        }
        return tot > 0 ? 1 - res / tot : res == 0 ? 1 : 0;
    }

    /// <summary>
    /// Least squares y = a + b·x with a, b ≥ 0: the unconstrained line when both come out ≥ 0, else the better of the line
    /// through the origin and the constant (each clamped at 0). Clamped says a bound was hit.
    /// </summary>
    internal static (double A, double B, bool Clamped) NonNegativeLine(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        double mx = 0, my = 0;
        for (var i = 0; i < n; i++)
        {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxx = 0, sxy = 0, xx = 0, xy = 0;
        for (var i = 0; i < n; i++)
        {
            sxx += (x[i] - mx) * (x[i] - mx);
            sxy += (x[i] - mx) * (y[i] - my);
            xx += x[i] * x[i];
            xy += x[i] * y[i];
        }
        if (sxx > 0)
        {
            var b = sxy / sxx;
            var a = my - b * mx;
            if (a >= 0 && b >= 0)
                return (a, b, false);
        }
        var slope = xx > 0 ? Math.Max(0, xy / xx) : 0;
        var constant = Math.Max(0, my);
        double sseSlope = 0, sseConstant = 0;
        for (var i = 0; i < n; i++)
        {
            sseSlope += (y[i] - slope * x[i]) * (y[i] - slope * x[i]);
            sseConstant += (y[i] - constant) * (y[i] - constant);
        }
        return sseSlope <= sseConstant ? (0, slope, true) : (constant, 0, true);
    }

    private static List<ParameterEstimate> Estimates(PamParameters p, PamParameters basis, bool pagesKnown, bool dumpClamped, bool restoreClamped,
        bool pagesClamped, double residual, double meanOverhead, IReadOnlyList<StageFit> stages)
    {
        var paper = PamParameters.PaperTestbed;
        var dumpLine = "least squares over CRIU's dump time (freezing + frozen) against M, read through α1·α2, with φp, δ and Γ·ζ folded in"
            + (dumpClamped ? "; the unconstrained line had a negative term, held at 0" : "");
        var restoreLine = "least squares over CRIU's restore time against M, read through α3·α4"
            + (restoreClamped ? "; the unconstrained line had a negative term, held at 0" : "");
        var pagesLine = pagesKnown
            ? "least squares over CRIU's pages written against M" + (pagesClamped ? "; the unconstrained line had a negative term, held at 0" : "")
            : "not every sample carries CRIU's pages written";
        const string folded = "a Cold grid identifies only the dump's intercept and slope, which β and Λ carry";
        const string foldedAway = "set to 0, folded into β and Λ: a Cold grid identifies only the dump's intercept and slope, and this term is the pre-dump's alone";
        const string restoreFolded = "a Cold grid identifies only the restore's intercept and slope, which ψ and ω carry";
        const string preCopy = "needs pre-copy dump rounds (dirty tracking), which a Cold grid does not run; the Cold model does not depend on the dirty rate";
        var tAddNote = string.Create(CultureInfo.InvariantCulture,
            $"median of measured downtime − the fitted model's dump, transfer and restore ({residual:0.0} ms{(residual < 0 ? ", held at 0" : "")}); the samples' own overhead beyond CRIU's stages averaged {meanOverhead:0.0} ms");
        List<ParameterEstimate> stageRows = [];
        foreach (var stage in StageDefinitions)
        {
            var fit = stages.FirstOrDefault(f => f.Property == stage.Property);
            var perByte = stage.Property + "PerByte";
            if (fit is null)
            {
                var unmeasured = "not measured by this calibration (its runs did not " + stage.Symbol switch
                {
                    "T_f" => "checkpoint live): the live dump's freeze is costed as the cold dump's T_p",
                    "T_ld" => "migrate post-copy): T_ld = α1·α2·(β + φp + δ)",
                    "T_lr" => "migrate post-copy): T_lr = α3·α4·ψ",
                    _ => "migrate post-copy): W = V/L",
                };
                stageRows.Add(new(stage.Symbol + " fixed", stage.Property, 0, 0, false, unmeasured));
                stageRows.Add(new(stage.Symbol + " per byte", perByte, 0, 0, false, unmeasured));
                continue;
            }
            var how = string.Create(CultureInfo.InvariantCulture,
                $"{stage.Stage}: a line through the median of each state size over {fit.Samples} samples, held ≥ 0; R² {fit.RSquared:0.000}, largest error {fit.MaxRelativeError:0.0%} (the paper has no such term)");
            stageRows.Add(new(stage.Symbol + " fixed", stage.Property, fit.FixedMs, 0, true, how));
            stageRows.Add(new(stage.Symbol + " per byte", perByte, fit.MsPerByte, 0, true, how));
        }
        return
        [
            new("β", nameof(PamParameters.BetaMs), p.BetaMs, paper.BetaMs, true, "fixed cost of a dump: " + dumpLine),
            new("Λ", nameof(PamParameters.LambdaMsPerByte), p.LambdaMsPerByte, paper.LambdaMsPerByte, true, "per-byte cost of a dump: " + dumpLine),
            new("ψ", nameof(PamParameters.PsiMs), p.PsiMs, paper.PsiMs, true, "fixed cost of a restore: " + restoreLine),
            new("ω", nameof(PamParameters.OmegaMsPerByte), p.OmegaMsPerByte, paper.OmegaMsPerByte, true, "per-byte cost of a restore: " + restoreLine),
            new("μp", nameof(PamParameters.MuPreDumpPages), p.MuPreDumpPages, paper.MuPreDumpPages, pagesKnown, pagesLine),
            new("νp", nameof(PamParameters.NuPreDumpPerByte), p.NuPreDumpPerByte, paper.NuPreDumpPerByte, pagesKnown, pagesLine),
            new("T_add", nameof(PamParameters.RuntimeOverheadMs), p.RuntimeOverheadMs, paper.RuntimeOverheadMs, true, tAddNote),
            new("T_switch", nameof(PamParameters.SwitchMs), p.SwitchMs, paper.SwitchMs, false,
                "the basis' value, or T_add when that is smaller (it is part of T_add): a calibration grid moves no address"),
            new("α1", nameof(PamParameters.Alpha1), p.Alpha1, paper.Alpha1, false, folded),
            new("α2", nameof(PamParameters.Alpha2), p.Alpha2, paper.Alpha2, false, folded),
            new("φp", nameof(PamParameters.PhiPreDumpMs), p.PhiPreDumpMs, paper.PhiPreDumpMs, true, foldedAway),
            new("δ", nameof(PamParameters.DeltaMs), p.DeltaMs, paper.DeltaMs, true, foldedAway),
            new("ζ", nameof(PamParameters.Zeta), p.Zeta, paper.Zeta, true, foldedAway + " (with ζ = 0 the pre-dump's scan Γ·ζ·M is in Λ)"),
            new("Γ", nameof(PamParameters.GammaMsPerByte), p.GammaMsPerByte, paper.GammaMsPerByte, false,
                "the per-byte scan cost of pre-copy dump rounds (Γ·ξ), which a Cold grid does not run"),
            new("α3", nameof(PamParameters.Alpha3), p.Alpha3, paper.Alpha3, false, restoreFolded),
            new("α4", nameof(PamParameters.Alpha4), p.Alpha4, paper.Alpha4, false, restoreFolded),
            new("φd", nameof(PamParameters.PhiDumpMs), p.PhiDumpMs, paper.PhiDumpMs, false, preCopy),
            new("ξ(Rmin)", nameof(PamParameters.XiAtRmin), p.XiAtRmin, paper.XiAtRmin, false, preCopy),
            new("ξ(Rmax)", nameof(PamParameters.XiAtRmax), p.XiAtRmax, paper.XiAtRmax, false, preCopy),
            new("μd", nameof(PamParameters.MuDumpPages), p.MuDumpPages, paper.MuDumpPages, false, preCopy),
            new("νd(Rmin)", nameof(PamParameters.NuDumpAtRminPerByte), p.NuDumpAtRminPerByte, paper.NuDumpAtRminPerByte, false, preCopy),
            new("νd(Rmax)", nameof(PamParameters.NuDumpAtRmaxPerByte), p.NuDumpAtRmaxPerByte, paper.NuDumpAtRmaxPerByte, false, preCopy),
            new("τ2(Rmin)", nameof(PamParameters.Tau2AtRmin), p.Tau2AtRmin, paper.Tau2AtRmin, false, preCopy),
            new("τ2(Rmax)", nameof(PamParameters.Tau2AtRmax), p.Tau2AtRmax, paper.Tau2AtRmax, false, preCopy),
            new("τ1", nameof(PamParameters.Tau1), p.Tau1, paper.Tau1, false, "the transfer is predicted from the fitted pages at the sample's bandwidth; image inflation is not fitted"),
            new("ρ", nameof(PamParameters.Rho), p.Rho, paper.Rho, false, "the agent streams the images uncompressed"),
            new("σ", nameof(PamParameters.PageSizeBytes), p.PageSizeBytes, paper.PageSizeBytes, false, "the page size"),
            .. stageRows,
        ];
    }

    private static void NonNegative(List<CalibrationProblem> problems, string field, double value)
    {
        if (!double.IsFinite(value) || value < 0)
            problems.Add(new(field, $"{field} must be a finite number ≥ 0 (was {Text(value)})."));
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
