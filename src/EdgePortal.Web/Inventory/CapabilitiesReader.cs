using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Web.Inventory;

/// <summary>What one cluster's runtime can do, as last probed, with the probe's age; the Clusters page and <c>GET /api/v1/capabilities</c> show it.</summary>
public sealed record ClusterCapabilitiesViewModel
{
    public required ClusterId ClusterId { get; init; }
    public required string Cluster { get; init; }
    public required ClusterKind Kind { get; init; }
    /// <summary>When the probe answered; null when the cluster was not probed yet.</summary>
    public DateTimeOffset? ProbedAt { get; init; }
    /// <summary>How old the answer is, in seconds; null when not probed yet.</summary>
    public double? AgeSeconds { get; init; }
    /// <summary>Older than <c>EdgePortal:Capabilities:MaxAge</c>: the next read refreshes it.</summary>
    public bool Stale { get; init; }
    /// <summary>Whether the cluster answered the probe; null when not probed yet.</summary>
    public bool? Reachable { get; init; }
    /// <summary>The runtime's own account of the probe (provider only: it names hosts and addresses).</summary>
    public string? Summary { get; init; }
    /// <summary>What the runtime can do anywhere on the cluster; null when not probed yet.</summary>
    public RuntimeCapabilities? Capabilities { get; init; }
    /// <summary>What each host can do, where the runtime probes hosts one by one.</summary>
    public IReadOnlyList<HostCapabilities> Nodes { get; init; } = [];
}

/// <summary>
/// The capabilities of the clusters a viewer may see (<see cref="Security.TenantView"/>), from the <see cref="RuntimeCapabilityCatalog"/>.
/// A tenant sees what each of its clusters can do but not the runtime's own words (<see cref="RuntimeCapabilities.Detail"/>,
/// the summary): they name the provider's hosts, versions and addresses.
/// </summary>
public sealed class CapabilitiesReader(IInventoryRepository inventory, RuntimeCapabilityCatalog catalog)
{
    public IReadOnlyList<ClusterCapabilitiesViewModel> Clusters(TenantId? viewer = null)
    {
        var view = Security.TenantView.Of(viewer, inventory);
        return [.. inventory.Clusters().Where(c => view.SeesCluster(c.Id)).OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => View(c, catalog.Find(c.Id), view.IsProvider))];
    }

    private ClusterCapabilitiesViewModel View(EdgeCluster cluster, ClusterCapabilities? probed, bool provider)
    {
        if (probed is null)
            return new ClusterCapabilitiesViewModel { ClusterId = cluster.Id, Cluster = cluster.Name, Kind = cluster.Kind };
        return new ClusterCapabilitiesViewModel
        {
            ClusterId = cluster.Id,
            Cluster = cluster.Name,
            Kind = cluster.Kind,
            ProbedAt = probed.ProbedAt,
            AgeSeconds = Math.Round(catalog.AgeOf(probed).TotalSeconds, 1),
            Stale = catalog.IsStale(probed),
            Reachable = probed.Reachable,
            Summary = provider ? probed.Summary : null,
            Capabilities = provider ? probed.Capabilities : probed.Capabilities with { Detail = null },
            Nodes = provider ? probed.Nodes : [.. probed.Nodes.Select(n => n with { Capabilities = n.Capabilities with { Detail = null } })],
        };
    }
}
