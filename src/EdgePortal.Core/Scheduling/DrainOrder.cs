using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Scheduling;

/// <summary>The order a drain moves a node's services in: the most urgent first.</summary>
public static class DrainOrder
{
    /// <summary>
    /// Urgency is how far the users' latency is over its target now (services already violating go first),
    /// then the tighter latency target, then the name for a stable order.
    /// </summary>
    public static IReadOnlyList<(ServiceInstance Service, double Urgency)> Rank(EdgeTopology topology, IEnumerable<ServiceInstance> services, double loadLatencyMs)
        => [.. services
            .Select(s => (Service: s, Urgency: ServiceLatency.Severity(ServiceLatency.Ms(topology, s, loadLatencyMs), s.Targets.MaxUserLatencyMs)))
            .OrderByDescending(x => x.Urgency)
            .ThenBy(x => x.Service.Targets.MaxUserLatencyMs)
            .ThenBy(x => x.Service.Name, StringComparer.Ordinal)];
}
