using EdgePortal.Core.Calibration;

namespace EdgePortal.Testing;

/// <summary>
/// Calibrations the tests store: fits of samples from a known host, so that what is stored, shown or planned can be
/// checked against it (the storage and the portal tests).
/// </summary>
public static class LabCalibrations
{
    /// <summary>Six Cold migrations of a lab host (dump 20 ms + 1.5 ns/B, restore 50 ms + 0.6 ns/B, <paramref name="overheadMs"/> of overhead, ±3%).</summary>
    public static HostCalibration Fit(string hostClass, DateTimeOffset at, string host = "lab/h1 (loop back)", double overheadMs = 80)
    {
        var samples = new[] { 1_048_576L, 10_485_760, 52_428_800 }.SelectMany(size => new[] { 0.97, 1.03 }.Select(k => new CalibrationSample
        {
            StateSizeBytes = size,
            DirtyPagesPerSecond = 1_000,
            DumpMs = k * (20 + 1.5e-6 * size),
            PagesWritten = 40 + 2.44e-4 * size,
            RestoreMs = k * (50 + 6e-7 * size),
            DowntimeMs = k * (20 + 1.5e-6 * size) + k * (50 + 6e-7 * size) + overheadMs,
        })).ToList();
        return HostCalibration.Create(hostClass, host, samples, at, "admin");
    }
}
