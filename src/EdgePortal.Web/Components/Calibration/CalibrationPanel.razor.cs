using System.Globalization;
using EdgePortal.Core.Calibration;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Calibration;

public sealed partial class CalibrationPanel
{
    private const double Width = 320, Height = 260, Left = 46, Right = 12, Top = 10, Bottom = 38;
    private const double PlotWidth = Width - Left - Right, PlotHeight = Height - Top - Bottom;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private readonly string _headingId = $"calibration-{Guid.NewGuid():N}";
    private double _max = 1;
    private double[] _ticks = [];

    [Parameter, EditorRequired]
    public HostCalibration Calibration { get; set; } = null!;

    private CalibrationFit Fit => Calibration.Fit;

    /// <summary>What the scatter shows, in words: the image's accessible name.</summary>
    internal string ScatterLabel => string.Create(Invariant,
        $"Predicted against measured downtime for host class {Calibration.HostClass}: {Fit.Points.Count} samples from {Fit.Points.Min(p => p.Sample.DowntimeMs):0} to {Fit.Points.Max(p => p.Sample.DowntimeMs):0} ms measured, R² {Fit.DowntimeRSquared:0.000}, largest error {Fit.MaxRelativeError:0.0%}. The table below lists every sample.");

    protected override void OnParametersSet()
    {
        ArgumentNullException.ThrowIfNull(Calibration);
        var largest = Fit.Points.Count == 0 ? 1 : Fit.Points.Max(p => Math.Max(p.Sample.DowntimeMs, p.PredictedDowntimeMs));
        var step = NiceStep(largest / 4);
        _max = Math.Max(step, Math.Ceiling(largest * 1.05 / step) * step);
        _ticks = Enumerable.Range(0, (int)Math.Round(_max / step) + 1).Select(i => i * step).ToArray();
    }

    private double X(double ms) => Left + PlotWidth * Math.Clamp(ms / _max, 0, 1);

    private double Y(double ms) => Top + PlotHeight * (1 - Math.Clamp(ms / _max, 0, 1));

    private static string Svg(double value) => value.ToString("0.##", Invariant);

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="raw"/>.</summary>
    private static double NiceStep(double raw)
    {
        if (raw <= 0 || !double.IsFinite(raw))
            return 1;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return raw <= power ? power : raw <= 2 * power ? 2 * power : raw <= 5 * power ? 5 * power : 10 * power;
    }
}
