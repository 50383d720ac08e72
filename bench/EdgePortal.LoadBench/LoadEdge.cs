using EdgePortal.Core.Domain;
using EdgePortal.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.LoadBench;

/// <summary>
/// The synthetic edge the load runs against: simulated clusters of well-provisioned nodes (a 10 Gbit/s ring with
/// chords inside each cluster, 10 Gbit/s between clusters), tenants allowed on every cluster, and many small
/// services (1–5 MB of state, a few dirty pages per second, loose targets) whose users sit on another node of the
/// same cluster, so that every service has a feasible plan and destinations spread over the nodes. Every tenant
/// minimises downtime: with MinResources the designer stretches a small service's transfer towards the 60 s target,
/// and the run would measure how long the slowest plan takes rather than how the portal copes. Deterministic
/// for a seed; written through the storage project's own repositories, exactly as the portal reads it.
/// </summary>
internal static class LoadEdge
{
    private const long MB = 1_000_000;

    public static EdgeInventory Build(int tenants, int clusters, int nodesPerCluster, int services, int seed)
    {
        var random = new Random(seed);
        var clusterList = Enumerable.Range(0, clusters)
            .Select(c => new EdgeCluster(ClusterId.New(), $"load-{c}", ClusterKind.Simulated, $"Load region {c}"))
            .ToList();
        var nodes = new List<EdgeNode>(clusters * nodesPerCluster);
        var links = new List<NetworkLink>();
        var byCluster = new List<EdgeNode>[clusters];
        for (var c = 0; c < clusters; c++)
        {
            byCluster[c] = [];
            for (var n = 0; n < nodesPerCluster; n++)
            {
                var node = new EdgeNode(NodeId.New(), clusterList[c].Id, $"load-{c}-node-{n:00}", $"site {c}.{n}",
                    new NodeCapacity(256_000, 1_000_000_000_000), new GeoLocation(45 + c * 0.1 + n * 0.001, 7 + n * 0.001));
                byCluster[c].Add(node);
                nodes.Add(node);
            }
            var ring = byCluster[c];
            for (var n = 0; n < ring.Count; n++)
                links.Add(Link(ring[n], ring[(n + 1) % ring.Count], 10, 0.5 + random.NextDouble()));
            for (var n = 0; n < ring.Count / 2; n++)
                links.Add(Link(ring[n], ring[n + ring.Count / 2], 10, 1 + random.NextDouble()));
        }
        for (var c = 0; c + 1 < clusters; c++)
            links.Add(Link(byCluster[c][0], byCluster[c + 1][0], 10, 3));

        var allowed = clusterList.Select(c => c.Id).ToList();
        var tenantList = Enumerable.Range(0, tenants)
            .Select(t => new Tenant(TenantId.New(), $"load-tenant-{t:00}", allowed, Objective.MinDowntime))
            .ToList();

        var serviceList = new List<ServiceInstance>(services);
        var users = new List<UserGroup>(services);
        var targets = new KpiTargets(maxDowntimeMs: 5_000, maxMigrationTimeMs: 60_000, maxUserLatencyMs: 50);
        for (var s = 0; s < services; s++)
        {
            var tenant = tenantList[s % tenants];
            var ring = byCluster[s % clusters];
            var home = random.Next(ring.Count);
            var profile = new WorkloadProfile((1 + random.Next(5)) * MB, 5 + 15 * random.NextDouble(), cpuMillicores: 100);
            var service = new ServiceInstance(ServiceId.New(), tenant.Id, $"load-svc-{s:0000}", ring[home].Id, profile, targets,
                tenant.DefaultObjective, new Dictionary<string, string> { ["bench"] = "hub-load" });
            serviceList.Add(service);
            var away = (home + 1 + random.Next(ring.Count - 1)) % ring.Count;
            users.Add(new UserGroup(UserGroupId.New(), service.Id, $"users-{s:0000}", ring[away].Id, 10));
        }
        return new EdgeInventory(tenantList, clusterList, nodes, links, serviceList, users);
    }

    /// <summary>
    /// Writes the inventory into a fresh store (the LiteDB file or PostgreSQL database <paramref name="storage"/> names:
    /// <c>EdgePortal:Storage:*</c>) through AddEdgePortalStorage, then closes it. Returns what one
    /// <see cref="IInventoryRepository.Topology"/> read of it costs here after a write of one service (mean of 10, one thread; a
    /// finished migration writes its service), and what the first, full read cost.
    /// </summary>
    public static (double Milliseconds, double AllocatedMb, double FullReadMs) Write(IReadOnlyDictionary<string, string> storage, EdgeInventory inventory)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(storage.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddEdgePortalStorage(configuration);
        using var provider = services.BuildServiceProvider();
        var repository = provider.GetRequiredService<IInventoryRepository>();
        if (!repository.IsEmpty)
            throw new InvalidOperationException("The bench's store is not a fresh database.");
        repository.SaveAll(inventory);
        var stored = repository.Services().Count;
        if (stored != inventory.Services.Count)
            throw new InvalidOperationException($"Wrote {inventory.Services.Count} services but read back {stored}.");
        var full = System.Diagnostics.Stopwatch.GetTimestamp();
        _ = repository.Topology();
        var fullReadMs = System.Diagnostics.Stopwatch.GetElapsedTime(full).TotalMilliseconds;
        // Each read after a write of one service, as after a finished migration (moved there and back: the edge ends as written).
        var service = inventory.Services[0];
        var away = inventory.Nodes.First(n => n.Id != service.NodeId && n.ClusterId == inventory.Nodes.First(m => m.Id == service.NodeId).ClusterId);
        const int Reads = 10; // even: the last write puts the service back
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < Reads; i++)
        {
            repository.Save(i % 2 == 0 ? service.MovedTo(away.Id) : service);
            _ = repository.Topology();
        }
        return (System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds / Reads,
            (GC.GetAllocatedBytesForCurrentThread() - allocated) / 1e6 / Reads, fullReadMs);
    }

    private static NetworkLink Link(EdgeNode a, EdgeNode b, double gigabits, double latencyMs)
        => new(LinkId.New(), a.Id, b.Id, Bandwidth.FromGigabits(gigabits), latencyMs);
}
