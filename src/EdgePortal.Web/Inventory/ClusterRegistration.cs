using EdgePortal.Core.Domain;
using EdgePortal.Web.Api;

namespace EdgePortal.Web.Inventory;

/// <summary>
/// The body of <c>PUT /api/v1/clusters/{name}</c>: a cluster the provider brings into the portal (a Kubernetes cluster, a
/// set of agent hosts such as the CRIU lab), its nodes and links, the tenants that may place services on it, and the
/// services already running there.
/// </summary>
public sealed record ClusterRegistrationBody(
    string? Kind,
    string? Region,
    IReadOnlyList<NodeRegistrationBody>? Nodes,
    IReadOnlyList<LinkRegistrationBody>? Links = null,
    IReadOnlyList<string>? Tenants = null,
    IReadOnlyList<ServiceRegistrationBody>? Services = null);

/// <summary>A node of the cluster; <c>hostClass</c> picks its calibration (default edge-standard).</summary>
public sealed record NodeRegistrationBody(string? Name, string? Site, int? CpuMillicores, long? MemoryBytes, double? Latitude, double? Longitude,
    string? HostClass = null);

/// <summary>A link between two nodes named in this body or already in the inventory.</summary>
public sealed record LinkRegistrationBody(string? From, string? To, double? BandwidthBitsPerSecond, double? LatencyMs);

/// <summary>A service running on one of the cluster's nodes, owned by a tenant (by name), with its users' attachment points.</summary>
public sealed record ServiceRegistrationBody(
    string? Name,
    string? Tenant,
    string? Node,
    long? StateBytes,
    double? DirtyPagesPerSecond,
    double? MaxDowntimeMs,
    double? MaxMigrationTimeMs,
    double? MaxUserLatencyMs,
    string? Objective = null,
    double? MessageArrivalRate = null,
    double? MessageProcessingRate = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    IReadOnlyList<UserGroupRegistrationBody>? Users = null,
    bool? AllowPostCopy = null);

/// <summary>A group of a service's users attached at a node.</summary>
public sealed record UserGroupRegistrationBody(string? Name, string? AttachedTo, int? Count);

/// <summary>What a registration changed, for the answer and the audit log.</summary>
public sealed record ClusterRegistrationResult(EdgeCluster Cluster, bool Created, int Nodes, int Links, int Services, IReadOnlyList<string> TenantsGranted);

/// <summary>
/// Registers a cluster idempotently, by name: running it again with the same body changes nothing, with a changed body it
/// updates what it names. Nodes, links, services and user groups are matched by name (links by their two ends) and keep
/// their ids; nothing the body does not name is removed (a node leaves by <c>DELETE /api/v1/nodes/{id}</c>, and a retired
/// node the body names again comes back Ready), and a registered service is never moved (its node is where it runs;
/// migrations move it). Every field is checked first and named when wrong; then everything lands in one transaction.
/// </summary>
public static class ClusterRegistration
{
    public static ClusterRegistrationResult? Apply(string name, ClusterRegistrationBody? body, IInventoryRepository inventory, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(errors);
        if (body is null)
        {
            errors.Add("body", "A JSON body with kind, region and nodes is required.");
            return null;
        }
        if (string.IsNullOrWhiteSpace(name) || name.Length > InputLimits.Name)
            errors.Add("name", $"The cluster name in the path must be 1-{InputLimits.Name} characters.");
        var kind = errors.Enum<ClusterKind>("kind", body.Kind, required: true);
        errors.Text("region", body.Region, InputLimits.Expression, required: true);
        if (body.Nodes is not { Count: > 0 })
            errors.Add("nodes", "nodes must list at least one node.");
        foreach (var (field, count) in new[] { ("nodes", body.Nodes?.Count), ("links", body.Links?.Count), ("tenants", body.Tenants?.Count), ("services", body.Services?.Count) })
        {
            if (count > InputLimits.ListCount)
            {
                errors.Add(field, $"{field} must list at most {InputLimits.ListCount} entries (was {count}).");
                return null;
            }
        }

        var existingCluster = inventory.Clusters().FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));
        if (existingCluster is not null && kind is { } k && existingCluster.Kind != k)
            errors.Add("kind", $"Cluster {name} is registered as {existingCluster.Kind}; its kind cannot change to {k}.");
        var clusterId = existingCluster?.Id ?? ClusterId.New();

        // Nodes: by name within the cluster; a name another cluster uses is refused (links and services name nodes).
        var allNodes = inventory.Nodes();
        var nodes = new List<EdgeNode>();
        for (var i = 0; i < (body.Nodes?.Count ?? 0); i++)
        {
            var n = body.Nodes![i];
            var field = $"nodes[{i}]";
            errors.Text($"{field}.site", n?.Site, InputLimits.Name);
            errors.Text($"{field}.hostClass", n?.HostClass, InputLimits.Expression);
            if (errors.Text($"{field}.name", n?.Name, InputLimits.Name, required: true) is null || n?.Name is null)
                continue;
            if (nodes.Any(x => x.Name == n.Name))
                errors.Add($"{field}.name", $"Node {n.Name} is listed twice.");
            var existing = allNodes.FirstOrDefault(x => x.Name == n.Name);
            if (existing is not null && existing.ClusterId != clusterId)
                errors.Add($"{field}.name", $"Node {n.Name} belongs to another cluster.");
            var cpu = errors.Number($"{field}.cpuMillicores", n.CpuMillicores, min: 1);
            var memory = errors.Number($"{field}.memoryBytes", n.MemoryBytes, min: 1);
            var latitude = errors.Number($"{field}.latitude", n.Latitude, min: -90, max: 90);
            var longitude = errors.Number($"{field}.longitude", n.Longitude, min: -180, max: 180);
            if (cpu is null || memory is null || latitude is null || longitude is null)
                continue;
            nodes.Add(new EdgeNode(existing?.Id ?? NodeId.New(), clusterId, n.Name, string.IsNullOrWhiteSpace(n.Site) ? n.Name : n.Site,
                new NodeCapacity((int)cpu.Value, (long)memory.Value), new GeoLocation(latitude.Value, longitude.Value),
                string.IsNullOrWhiteSpace(n.HostClass) ? "edge-standard" : n.HostClass, existing is { IsRetired: false } ? existing.Status : NodeStatus.Ready));
        }
        NodeId? Resolve(string? nodeName) => nodes.FirstOrDefault(x => x.Name == nodeName)?.Id
            ?? (allNodes.Where(x => x.Name == nodeName && !x.IsRetired).ToList() is [var only] ? only.Id : null);

        // Links: by their two ends, in either order.
        var allLinks = inventory.Links();
        var links = new List<NetworkLink>();
        for (var i = 0; i < (body.Links?.Count ?? 0); i++)
        {
            var l = body.Links![i];
            var field = $"links[{i}]";
            var from = Resolve(l?.From);
            var to = Resolve(l?.To);
            if (from is null)
                errors.Add($"{field}.from", $"{field}.from must name a node of this body or of the inventory (was '{InputLimits.Echo(l?.From)}').");
            if (to is null)
                errors.Add($"{field}.to", $"{field}.to must name a node of this body or of the inventory (was '{InputLimits.Echo(l?.To)}').");
            else if (from == to)
                errors.Add($"{field}.to", $"A link joins two different nodes (both ends are {l!.To}).");
            var bandwidth = errors.Number($"{field}.bandwidthBitsPerSecond", l?.BandwidthBitsPerSecond, min: 0, exclusiveMin: true);
            var latency = errors.Number($"{field}.latencyMs", l?.LatencyMs, min: 0);
            if (from is not { } a || to is not { } b || a == b || bandwidth is null || latency is null)
                continue;
            var existing = allLinks.FirstOrDefault(x => x.Joins(a) && x.Joins(b));
            links.Add(new NetworkLink(existing?.Id ?? LinkId.New(), a, b, new Bandwidth(bandwidth.Value), latency.Value));
        }

        // Tenants that may place services on the cluster, by name.
        var tenants = inventory.Tenants();
        var granted = new List<Tenant>();
        for (var i = 0; i < (body.Tenants?.Count ?? 0); i++)
        {
            if (tenants.FirstOrDefault(t => t.Name == body.Tenants![i]) is not { } tenant)
                errors.Add($"tenants[{i}]", $"No tenant is named '{InputLimits.Echo(body.Tenants![i])}'.");
            else if (!tenant.MayUse(clusterId))
                granted.Add(new Tenant(tenant.Id, tenant.Name, [.. tenant.AllowedClusters, clusterId], tenant.DefaultObjective,
                    tenant.MaxConcurrentMigrations, tenant.MaxReservedBandwidthBitsPerSecond, tenant.AllowPostCopy));
        }

        // Services on the cluster's nodes: by name within their tenant; an existing one keeps its node.
        var allServices = inventory.Services();
        var allGroups = inventory.UserGroups();
        var services = new List<ServiceInstance>();
        var groups = new List<UserGroup>();
        for (var i = 0; i < (body.Services?.Count ?? 0); i++)
        {
            var s = body.Services![i];
            var field = $"services[{i}]";
            errors.Text($"{field}.tenant", s?.Tenant, InputLimits.Name);
            errors.Text($"{field}.node", s?.Node, InputLimits.Name);
            if (s?.Labels is { } labels)
            {
                if (labels.Count > InputLimits.LabelCount)
                    errors.Add($"{field}.labels", $"{field}.labels has at most {InputLimits.LabelCount} labels (was {labels.Count}).");
                else if (labels.FirstOrDefault(l => l.Key.Length > InputLimits.Label || (l.Value?.Length ?? 0) > InputLimits.Label) is { Key: not null } bad)
                    errors.Add($"{field}.labels", $"{field}.labels: '{InputLimits.Echo(bad.Key)}': a label's key and value are at most {InputLimits.Label} characters each.");
            }
            if (s?.Users?.Count > InputLimits.ListCount)
                errors.Add($"{field}.users", $"{field}.users must list at most {InputLimits.ListCount} entries.");
            if (errors.Text($"{field}.name", s?.Name, InputLimits.Name, required: true) is null || s?.Name is null)
                continue;
            var tenant = tenants.FirstOrDefault(t => t.Name == s.Tenant);
            if (tenant is null)
                errors.Add($"{field}.tenant", $"No tenant is named '{InputLimits.Echo(s!.Tenant)}'.");
            else if (!tenant.MayUse(clusterId) && !granted.Any(g => g.Id == tenant.Id))
                errors.Add($"{field}.tenant", $"Tenant {tenant.Name} may not use cluster {name}: list it under tenants.");
            var node = nodes.FirstOrDefault(x => x.Name == s.Node);
            if (node is null)
                errors.Add($"{field}.node", $"{field}.node must name a node of this cluster (was '{InputLimits.Echo(s!.Node)}').");
            var state = errors.Number($"{field}.stateBytes", s.StateBytes, min: 1);
            var dirty = errors.Number($"{field}.dirtyPagesPerSecond", s.DirtyPagesPerSecond, min: 0);
            var lambda = errors.Number($"{field}.messageArrivalRate", s.MessageArrivalRate, min: 0, required: false);
            var mu = errors.Number($"{field}.messageProcessingRate", s.MessageProcessingRate, min: 0, required: false);
            var down = errors.Number($"{field}.maxDowntimeMs", s.MaxDowntimeMs, min: 0, exclusiveMin: true);
            var total = errors.Number($"{field}.maxMigrationTimeMs", s.MaxMigrationTimeMs, min: 0, exclusiveMin: true);
            var latency = errors.Number($"{field}.maxUserLatencyMs", s.MaxUserLatencyMs, min: 0, exclusiveMin: true);
            var objective = errors.Enum<Objective>($"{field}.objective", s.Objective);
            var users = new List<(string Name, NodeId At, int Count)>();
            for (var j = 0; j < Math.Min(s!.Users?.Count ?? 0, InputLimits.ListCount); j++)
            {
                var u = s.Users![j];
                var ufield = $"{field}.users[{j}]";
                var at = Resolve(u?.AttachedTo);
                errors.Text($"{ufield}.name", u?.Name, InputLimits.Name, required: true);
                if (at is null)
                    errors.Add($"{ufield}.attachedTo", $"{ufield}.attachedTo must name a node (was '{InputLimits.Echo(u?.AttachedTo)}').");
                if (errors.Number($"{ufield}.count", u?.Count, min: 1) is { } count && u?.Name is { Length: > 0 and <= InputLimits.Name } && !string.IsNullOrWhiteSpace(u.Name) && at is not null)
                    users.Add((u.Name, at.Value, (int)count));
            }
            if (tenant is null || node is null || state is null || dirty is null || down is null || total is null || latency is null)
                continue;
            var existing = allServices.FirstOrDefault(x => x.Name == s.Name && x.TenantId == tenant.Id);
            var service = new ServiceInstance(existing?.Id ?? ServiceId.New(), tenant.Id, s.Name, existing?.NodeId ?? node.Id,
                new WorkloadProfile((long)state.Value, dirty.Value, lambda ?? 0, mu ?? 0),
                new KpiTargets(down.Value, total.Value, latency.Value), objective ?? tenant.DefaultObjective, s.Labels, existing?.Image ?? "",
                s.AllowPostCopy ?? existing?.AllowPostCopy ?? false);
            services.Add(service);
            foreach (var (userName, at, count) in users)
            {
                var group = allGroups.FirstOrDefault(g => g.ServiceId == service.Id && g.Name == userName);
                groups.Add(new UserGroup(group?.Id ?? UserGroupId.New(), service.Id, userName, at, count));
            }
        }

        if (errors.Any)
            return null;
        var cluster = new EdgeCluster(clusterId, name, kind!.Value, body.Region!.Trim());
        inventory.SaveAll(new EdgeInventory(granted, [cluster], nodes, links, services, groups));
        return new ClusterRegistrationResult(cluster, existingCluster is null, nodes.Count, links.Count, services.Count, [.. granted.Select(t => t.Name)]);
    }
}
