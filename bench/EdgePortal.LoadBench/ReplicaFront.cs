using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace EdgePortal.LoadBench;

/// <summary>
/// One address in front of the replicas, as the replicated deployment's ingress is: a reverse proxy (YARP) on
/// 127.0.0.1 that spreads new clients round-robin and keeps each on its replica with an affinity cookie (sticky
/// sessions: a SignalR negotiate and its WebSocket must reach the same replica). It runs in the bench process, so its
/// work is counted in the bench's CPU, not the portals'.
/// </summary>
internal sealed class ReplicaFront : IAsyncDisposable
{
    public const string AffinityCookie = ".EdgePortal.Replica";

    private readonly WebApplication _app;

    private ReplicaFront(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Hub WebSockets proxied to each replica (destination <c>replica-N</c>): how the clients spread.</summary>
    public ConcurrentDictionary<string, int> HubSockets { get; } = new();

    public static async Task<ReplicaFront> StartAsync(IReadOnlyList<Uri> replicas)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "portal", ClusterId = "replicas", Match = new RouteMatch { Path = "{**catch-all}" } }],
            [new ClusterConfig
            {
                ClusterId = "replicas",
                LoadBalancingPolicy = "RoundRobin",
                SessionAffinity = new SessionAffinityConfig { Enabled = true, Policy = "Cookie", AffinityKeyName = AffinityCookie },
                Destinations = replicas.Select((uri, i) => (uri, i))
                    .ToDictionary(r => $"replica-{r.i}", r => new DestinationConfig { Address = r.uri.ToString() }),
            }]);
        var app = builder.Build();
        ReplicaFront? front = null;
        app.MapReverseProxy(pipeline =>
        {
            // A custom pipeline replaces YARP's default one: affinity, then load balancing, then our count of where it went.
            pipeline.UseSessionAffinity();
            pipeline.UseLoadBalancing();
            pipeline.Use(async (context, next) =>
            {
                if (string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase) && context.Request.Path.StartsWithSegments("/hubs", StringComparison.Ordinal)
                    && context.Features.Get<IReverseProxyFeature>()?.AvailableDestinations is [var destination])
                    front!.HubSockets.AddOrUpdate(destination.DestinationId, 1, (_, n) => n + 1);
                await next();
            });
            pipeline.UsePassiveHealthChecks();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return front = new ReplicaFront(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
