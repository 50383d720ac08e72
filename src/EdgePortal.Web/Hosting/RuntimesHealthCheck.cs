using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgePortal.Web.Hosting;

/// <summary>
/// Readiness of the edge: every registered cluster is probed through the runtime of its kind (through the
/// <see cref="RuntimeCapabilityCatalog"/>, so a health probe also refreshes what the planner reads). Some
/// clusters unreachable (or without a runtime) is Degraded — the rest can still migrate; none reachable
/// is Unhealthy. The description names each cluster and what its runtime said.
/// </summary>
public sealed class RuntimesHealthCheck(IInventoryRepository inventory, RuntimeCapabilityCatalog capabilities) : IHealthCheck
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var clusters = inventory.Clusters();
        if (clusters.Count == 0)
            return HealthCheckResult.Healthy("No clusters registered yet.");
        var probes = await Task.WhenAll(clusters.Select(c => ProbeAsync(c, cancellationToken)));
        var reachable = probes.Count(p => p.Reachable);
        var description = string.Join("; ", probes.Select(p => $"{p.Cluster}: {p.Summary}"));
        var data = probes.ToDictionary(p => p.Cluster, p => (object)p.Summary);
        return reachable == probes.Length ? HealthCheckResult.Healthy(description, data)
            : reachable > 0 ? HealthCheckResult.Degraded(description, data: data)
            : HealthCheckResult.Unhealthy(description, data: data);
    }

    private async Task<(string Cluster, bool Reachable, string Summary)> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            var probe = await capabilities.RefreshAsync(cluster, timeout.Token);
            return (cluster.Name, probe.Reachable, probe.Summary);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (cluster.Name, false, $"no answer within {ProbeTimeout.TotalSeconds:0} s");
        }
    }
}
