using EdgePortal.Core.Calibration;

namespace EdgePortal.Testing;

public sealed class InMemoryCalibrationRepository : ICalibrationRepository
{
    private readonly List<HostCalibration> _all = [];

    public void Save(HostCalibration calibration) => _all.Add(calibration);

    public HostCalibration? Latest(string hostClass)
        => _all.Where(c => string.Equals(c.HostClass, hostClass, StringComparison.OrdinalIgnoreCase)).MaxBy(c => c.At);

    public IReadOnlyList<HostCalibration> LatestPerHostClass()
        => _all.GroupBy(c => c.HostClass.ToLowerInvariant()).Select(g => g.MaxBy(c => c.At)!).OrderBy(c => c.HostClass, StringComparer.OrdinalIgnoreCase).ToList();

    public IReadOnlyList<HostCalibration> List(int limit = 100) => _all.OrderByDescending(c => c.At).Take(limit).ToList();
}
