using System.Globalization;

namespace EdgePortal.Core.Calibration;

/// <summary>
/// A calibration of one host class: the fitted parameter set, the samples it rests on with their predictions, the fit's
/// quality, where and when it was measured and by whom. The planner uses the newest one of a source host's class.
/// </summary>
public sealed record HostCalibration
{
    public required Guid Id { get; init; }
    /// <summary>The <see cref="Domain.EdgeNode.HostClass"/> this calibration applies to.</summary>
    public required string HostClass { get; init; }
    /// <summary>Where the samples were measured (e.g. <c>lab/h1 → h2</c>), free text.</summary>
    public required string Host { get; init; }
    public required DateTimeOffset At { get; init; }
    /// <summary>Who ran or uploaded it.</summary>
    public required string RecordedBy { get; init; }
    /// <summary>The fitted set (its <see cref="Planning.PamParameters.Name"/> names this calibration), the estimates, the samples beside their predictions and the quality.</summary>
    public required CalibrationFit Fit { get; init; }

    /// <summary>The name a calibrated parameter set carries into plans: host class, date, host and sample count.</summary>
    public static string ParameterSetName(string hostClass, string host, DateTimeOffset at, int samples) =>
        string.Create(CultureInfo.InvariantCulture, $"calibration of host class '{hostClass}' ({host}, {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {samples} samples)");

    /// <summary>Fits <paramref name="samples"/> for <paramref name="hostClass"/> (throws <see cref="CalibrationInputException"/> on samples it cannot use).</summary>
    public static HostCalibration Create(string hostClass, string host, IReadOnlyList<CalibrationSample> samples, DateTimeOffset at, string recordedBy,
        Planning.PamParameters? basis = null)
    {
        if (string.IsNullOrWhiteSpace(hostClass))
            throw new CalibrationInputException("hostClass", "hostClass is required: the class of hosts this calibration applies to.");
        if (string.IsNullOrWhiteSpace(host))
            throw new CalibrationInputException("host", "host is required: where the samples were measured.");
        ArgumentNullException.ThrowIfNull(samples);
        var fit = PamCalibrator.Fit(samples, basis, ParameterSetName(hostClass.Trim(), host.Trim(), at, samples.Count));
        return new HostCalibration { Id = Guid.CreateVersion7(at), HostClass = hostClass.Trim(), Host = host.Trim(), At = at, RecordedBy = recordedBy, Fit = fit };
    }
}

/// <summary>The stored calibrations, newest per host class first.</summary>
public interface ICalibrationRepository
{
    void Save(HostCalibration calibration);

    /// <summary>The newest calibration of <paramref name="hostClass"/> (ordinal, case-insensitive), or null.</summary>
    HostCalibration? Latest(string hostClass);

    /// <summary>The newest calibration of every host class, by class name.</summary>
    IReadOnlyList<HostCalibration> LatestPerHostClass();

    /// <summary>Every stored calibration, newest first.</summary>
    IReadOnlyList<HostCalibration> List(int limit = 100);
}
