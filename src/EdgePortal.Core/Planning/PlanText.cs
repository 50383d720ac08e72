using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// How planning states numbers to people. Predictions use the domain's formats
/// (<see cref="Durations.Format"/>, <see cref="Bandwidth.Format"/>); a lower bound that someone must reach
/// ("downtime ≥ 1.33 s needed", "reserve ≥ 332 Mbit/s") is rounded up, so that the figure quoted is
/// itself enough.
/// </summary>
public static class PlanText
{
    /// <summary>A predicted duration: 907 ms, 3.3 s, 2 min 05 s.</summary>
    public static string Duration(double milliseconds) => Durations.Format(milliseconds);

    /// <summary>A duration someone must allow at least, rounded up: 907 ms, 1.33 s, 2 min 06 s.</summary>
    public static string DurationAtLeast(double milliseconds)
    {
        if (double.IsNaN(milliseconds) || double.IsPositiveInfinity(milliseconds))
            return "∞";
        var ms = Up(Math.Max(0, milliseconds));
        if (ms < 1_000)
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(ms):0} ms");
        if (ms < 60_000)
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(ms / 10) / 100:0.00} s");
        var seconds = Math.Ceiling(ms / 1_000);
        return string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(seconds / 60):0} min {seconds % 60:00} s");
    }

    /// <summary>A rate: 1 Gbit/s, 76 Mbit/s (the domain's format).</summary>
    public static string Rate(double bitsPerSecond) => double.IsPositiveInfinity(bitsPerSecond) ? "∞" : Bandwidth.Format(bitsPerSecond);

    /// <summary>A rate someone must reserve at least, rounded up: 332 Mbit/s, 1.34 Gbit/s.</summary>
    public static string RateAtLeast(double bitsPerSecond)
    {
        if (double.IsNaN(bitsPerSecond) || double.IsPositiveInfinity(bitsPerSecond))
            return "∞";
        var bps = Up(Math.Max(0, bitsPerSecond));
        return bps switch
        {
            >= 1e9 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bps / 1e7) / 100:0.##} Gbit/s"),
            >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bps / 1e6):0} Mbit/s"),
            >= 1e3 => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bps / 1e3):0} kbit/s"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(bps):0} bit/s"),
        };
    }

    /// <summary>A message rate: 120 msg/s.</summary>
    public static string MessageRate(double perSecond) => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0.#} msg/s");

    /// <summary>The sentence a rationale ends with to name the parameter set it rests on, with an optional note before the full stop.</summary>
    public static string ModelParameters(PamParameters parameters, string? note = null) =>
        $"Model parameters: {parameters.Name}{(note is null ? "" : $" ({note})")}.";

    /// <summary>Bandwidth in bytes per ms as people read it.</summary>
    internal static string RateOfBytesPerMs(double bytesPerMs) => Rate(bytesPerMs * 8_000d);

    // Shaves the last few ulps so that 332.0000000001 Mbit/s computed for an exact 332 does not round to 333.
    private static double Up(double value) => value - Math.Abs(value) * 1e-12;
}
