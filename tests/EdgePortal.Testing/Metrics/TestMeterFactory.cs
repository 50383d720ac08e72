using System.Diagnostics.Metrics;

namespace EdgePortal.Testing;

/// <summary>The meter factory a host provides, for classes built by hand in a test; disposing it disposes its meters.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose() => _meters.ForEach(m => m.Dispose());
}
