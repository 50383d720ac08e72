using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Scheduling;

/// <summary>What one evaluation of a service's latency concluded.</summary>
public enum KpiVerdictKind
{
    /// <summary>At or under the target: any count is cleared.</summary>
    Met,
    /// <summary>Between the target and the violation threshold: the count holds (the hysteresis band).</summary>
    InBand,
    /// <summary>Above the threshold, but not yet for N evaluations in a row.</summary>
    Violating,
    /// <summary>Sustained: N evaluations in a row above the threshold. Time to act.</summary>
    Sustained,
}

public sealed record KpiVerdict(ServiceId Service, KpiVerdictKind Kind, double LatencyMs, double TargetMs, int Consecutive, double Severity);

/// <summary>
/// The hysteresis of the KPI monitor, per service and nothing else (pure, no clock): a value above
/// target × (1 + margin) counts one violation; one at or under the target clears the count; one in between
/// holds it. <see cref="KpiVerdictKind.Sustained"/> comes once the count reaches N, and again on every later
/// violation until <see cref="Reset"/> (after the monitor acted). So latency oscillating around the target never
/// builds up a count, and a real, lasting violation is acted on after exactly N evaluations.
/// </summary>
public sealed class KpiMonitor(int consecutive, double margin)
{
    private readonly Dictionary<ServiceId, int> _counts = [];

    public KpiVerdict Observe(ServiceId service, double latencyMs, double targetMs)
    {
        var count = _counts.GetValueOrDefault(service);
        KpiVerdictKind kind;
        if (latencyMs <= targetMs)
        {
            count = 0;
            kind = KpiVerdictKind.Met;
        }
        else if (latencyMs <= targetMs * (1 + margin))
            kind = KpiVerdictKind.InBand;
        else
        {
            count++;
            kind = count >= consecutive ? KpiVerdictKind.Sustained : KpiVerdictKind.Violating;
        }
        _counts[service] = count;
        return new KpiVerdict(service, kind, latencyMs, targetMs, count, ServiceLatency.Severity(latencyMs, targetMs));
    }

    /// <summary>Forgets the count (the monitor acted, or the service went away).</summary>
    public void Reset(ServiceId service) => _counts.Remove(service);

    public int Count(ServiceId service) => _counts.GetValueOrDefault(service);
}
