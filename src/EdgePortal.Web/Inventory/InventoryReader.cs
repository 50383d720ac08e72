using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Inventory;

/// <summary>Builds the views of the stored edge that the API and the pages share.</summary>
public sealed class InventoryReader(IInventoryRepository inventory)
{
    /// <summary>
    /// The whole edge (<paramref name="viewer"/> null: the provider), or as a tenant sees it (<see cref="Security.TenantView"/>):
    /// the clusters it may use with only its own services counted, its own services and their users.
    /// </summary>
    public TopologyViewModel Topology(TenantId? viewer = null)
    {
        var topology = inventory.Topology();
        var view = Security.TenantView.Of(viewer, inventory);
        var tenants = inventory.Tenants().Where(t => view.SeesTenant(t.Id)).ToDictionary(t => t.Id, t => t.Name);
        var services = topology.Services.Where(view.SeesService).ToList();
        var ids = services.Select(s => s.Id).ToHashSet();
        return new TopologyViewModel
        {
            Clusters = Clusters(topology, view),
            Services = [.. services.Select(s => ToView(topology, tenants, s))],
            UserGroups = [.. topology.UserGroups.Where(g => ids.Contains(g.ServiceId)).Select(g => new UserGroupViewModel
            {
                ServiceId = g.ServiceId,
                Name = g.Name,
                AttachedTo = g.AttachedTo,
                Users = g.Users,
            })],
        };
    }

    /// <summary>
    /// Every cluster, or as a tenant sees them (<paramref name="viewer"/>): only the clusters it may use, links
    /// between their nodes, and on each node only its own services counted — nothing of another tenant.
    /// </summary>
    public IReadOnlyList<ClusterViewModel> Clusters(TenantId? viewer = null)
        => Clusters(inventory.Topology(), Security.TenantView.Of(viewer, inventory));

    private static IReadOnlyList<ClusterViewModel> Clusters(EdgeTopology topology, Security.TenantView view)
        => view.IsProvider ? Clusters(topology) : Clusters(topology, view.SeesCluster, view.SeesService);

    public static IReadOnlyList<ClusterViewModel> Clusters(EdgeTopology topology,
        Func<ClusterId, bool>? visible = null, Func<ServiceInstance, bool>? counted = null)
    {
        visible ??= _ => true;
        counted ??= _ => true;
        var clusterOf = topology.Nodes.Where(n => visible(n.ClusterId)).ToDictionary(n => n.Id, n => n.ClusterId);
        var links = topology.Links.Where(l => clusterOf.ContainsKey(l.NodeA) && clusterOf.ContainsKey(l.NodeB)).Select(l => new LinkViewModel
        {
            Id = l.Id,
            NodeA = l.NodeA,
            NodeB = l.NodeB,
            BandwidthBitsPerSecond = l.Bandwidth.BitsPerSecond,
            LatencyMs = l.LatencyMs,
            InterCluster = clusterOf.GetValueOrDefault(l.NodeA) != clusterOf.GetValueOrDefault(l.NodeB),
        }).ToList();
        return topology.Clusters.Where(c => visible(c.Id)).Select(c => new ClusterViewModel
        {
            Id = c.Id,
            Name = c.Name,
            Kind = c.Kind,
            Region = c.Region,
            Nodes = topology.Nodes.Where(n => n.ClusterId == c.Id).Select(n => new NodeViewModel
            {
                Id = n.Id,
                ClusterId = n.ClusterId,
                Name = n.Name,
                Site = n.Site,
                HostClass = n.HostClass,
                Status = n.Status,
                CpuMillicores = n.Capacity.CpuMillicores,
                MemoryBytes = n.Capacity.MemoryBytes,
                Location = n.Location,
                Load = topology.Load(n.Id),
                Services = topology.ServicesOn(n.Id).Count(counted),
            }).ToList(),
            Links = links.Where(l => clusterOf.GetValueOrDefault(l.NodeA) == c.Id || clusterOf.GetValueOrDefault(l.NodeB) == c.Id).ToList(),
        }).ToList();
    }

    /// <summary>All services, or those a tenant sees (its own).</summary>
    public IReadOnlyList<ServiceViewModel> Services(TenantId? viewer = null)
    {
        var topology = inventory.Topology();
        var view = Security.TenantView.Of(viewer, inventory);
        var tenants = inventory.Tenants().Where(t => view.SeesTenant(t.Id)).ToDictionary(t => t.Id, t => t.Name);
        return topology.Services.Where(view.SeesService).Select(s => ToView(topology, tenants, s)).ToList();
    }

    public ServiceViewModel? Service(ServiceId id)
    {
        var topology = inventory.Topology();
        var service = topology.FindService(id);
        return service is null ? null : ToView(topology, inventory.Tenants().ToDictionary(t => t.Id, t => t.Name), service);
    }

    private static ServiceViewModel ToView(EdgeTopology topology, IReadOnlyDictionary<TenantId, string> tenants, ServiceInstance s)
    {
        var node = topology.Node(s.NodeId);
        return new ServiceViewModel
        {
            Id = s.Id,
            TenantId = s.TenantId,
            TenantName = tenants.GetValueOrDefault(s.TenantId, "?"),
            Name = s.Name,
            NodeId = s.NodeId,
            NodeName = node.Name,
            HostClass = node.HostClass,
            ClusterId = node.ClusterId,
            ClusterName = topology.Cluster(node.ClusterId).Name,
            Profile = s.Profile,
            Targets = s.Targets,
            Objective = s.Objective,
            Labels = s.Labels,
            UserLatencyMs = topology.UserLatencyMs(s.Id, s.NodeId),
            Users = topology.UsersOf(s.Id).Sum(u => u.Users),
        };
    }
}
