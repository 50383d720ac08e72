using EdgePortal.Core.Domain;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// Seeds the demo edge on start when the database has no clusters yet. Idempotent: a database that
/// holds any cluster is left alone, and the seed is written in one transaction. Replicas starting together on one
/// fresh database seed it once: the check and the write hold the replicas' seed lock.
/// </summary>
public sealed class DemoEdgeSeeder(IInventoryRepository inventory, IOptions<SeedOptions> options, ILogger<DemoEdgeSeeder> logger,
    IReplicaLock? replicaLock = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Seed();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The replica lock every first-start seed takes.</summary>
    public const string SeedLock = "seed";

    /// <returns>Whether anything was written.</returns>
    public bool Seed()
    {
        if (!options.Value.DemoEdge)
        {
            logger.LogInformation("Demo edge seeding is off ({Key} = false)", SeedOptions.Section + ":DemoEdge");
            return false;
        }
        using var seeding = (replicaLock ?? new InProcessReplicaLock()).Acquire(SeedLock, TimeSpan.FromMinutes(2));
        if (!inventory.IsEmpty)
            return false;
        var demo = DemoEdge.Build();
        inventory.SaveAll(demo);
        logger.LogInformation("Seeded the demo edge: {Tenants} tenants, {Clusters} clusters, {Nodes} nodes, {Links} links, {Services} services",
            demo.Tenants.Count, demo.Clusters.Count, demo.Nodes.Count, demo.Links.Count, demo.Services.Count);
        return true;
    }
}
