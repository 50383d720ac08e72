using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Scheduling;

/// <summary>
/// The latency a service's users see, as the KPI monitor measures it: the user-weighted path latency from
/// each group's attachment site to the service's node, plus what the node's load adds.
/// </summary>
public static class ServiceLatency
{
    public static double Ms(EdgeTopology topology, ServiceInstance service, double loadLatencyMs)
        => topology.UsersOf(service.Id).Count == 0 ? 0
            : topology.UserLatencyMs(service.Id, service.NodeId) + loadLatencyMs * topology.Load(service.NodeId);

    /// <summary>How far over the target, as a fraction (0.5 = 50 % over); ≤ 0 when met.</summary>
    public static double Severity(double latencyMs, double targetMs) => (latencyMs - targetMs) / targetMs;
}
