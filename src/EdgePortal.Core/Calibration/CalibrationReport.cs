using System.Globalization;
using System.Text;

namespace EdgePortal.Core.Calibration;

/// <summary>A calibration as plain text: every sample measured against predicted, the fitted parameters beside the paper's, the fit's quality.</summary>
public static class CalibrationReport
{
    public static string Text(HostCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var fit = calibration.Fit;
        var text = new StringBuilder();
        text.AppendLine(Invariant($"Calibration of host class '{calibration.HostClass}' on {calibration.Host}, {calibration.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC, {fit.Points.Count} samples"));
        text.AppendLine();
        text.AppendLine("    state   dirty/s   bandwidth |  dump meas/pred |  xfer meas/pred | restore meas/pred | downtime meas/pred |  error");
        foreach (var p in fit.Points)
        {
            var s = p.Sample;
            var bandwidth = s.BandwidthBitsPerSecond is { } b ? Invariant($"{b / 1e6:0} Mbit/s") : "loop back";
            text.AppendLine(Invariant(
                $"{s.StateSizeBytes / 1_048_576.0,7:0.#} MB {s.DirtyPagesPerSecond,9:0} {bandwidth,11} | {s.DumpMs,7:0.0} {p.PredictedDumpMs,7:0.0} | {s.TransferMs,7:0.0} {p.PredictedTransferMs,7:0.0} | {s.RestoreMs,8:0.0} {p.PredictedRestoreMs,8:0.0} | {s.DowntimeMs,9:0.0} {p.PredictedDowntimeMs,8:0.0} | {(p.PredictedDowntimeMs - s.DowntimeMs) / s.DowntimeMs,6:+0.0%;-0.0%}"));
        }
        text.AppendLine();
        text.AppendLine(Invariant($"Fit: R² downtime {fit.DowntimeRSquared:0.000}, dump {fit.DumpRSquared:0.000}, restore {fit.RestoreRSquared:0.000}; largest downtime error {fit.MaxRelativeError:0.0%}; measured overhead beyond CRIU's stages {fit.MeanMeasuredOverheadMs:0.0} ms on average"));
        if (fit.Stages.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Stages of the other strategies (line through each state size's median):");
            foreach (var stage in fit.Stages)
                text.AppendLine(Invariant($"  {stage.Symbol,-5} {stage.FixedMs,8:0.0} ms + {Number(stage.MsPerByte)} ms/B (at 100 MB {stage.At(100L << 20):0.0} ms), {stage.Samples} samples, R² {stage.RSquared:0.000}, largest error {stage.MaxRelativeError:0.0%}: {stage.Stage}"));
        }
        text.AppendLine();
        text.AppendLine("Parameters (fitted here, or kept at the paper's value and why):");
        foreach (var e in fit.Estimates)
            text.AppendLine(Invariant($"  {e.Symbol,-9} {Number(e.Value),12}  (paper {Number(e.PaperValue)})  {(e.Fitted ? "fitted" : "kept")}: {e.Note}"));
        return text.ToString();
    }

    /// <summary>A parameter value readable at any magnitude: 3 significant digits, scientific below 10⁻³.</summary>
    public static string Number(double value) => value != 0 && Math.Abs(value) < 1e-3
        ? value.ToString("0.###E+0", CultureInfo.InvariantCulture)
        : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
