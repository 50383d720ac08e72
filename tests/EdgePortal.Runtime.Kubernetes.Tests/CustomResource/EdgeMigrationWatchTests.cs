using System.Threading.Channels;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Portal;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePortal.Runtime.Kubernetes.Tests.CustomResource;

/// <summary>The watch of EdgeMigrations against the fake API server: bookmarks, resume after a dropped stream, relist on 410 Gone.</summary>
public sealed class EdgeMigrationWatchTests
{
    [Fact]
    public async Task RunAsync_WatchExpiredThenDropped_RelistsResumesAndMissesNoChange()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        using var folder = new TempFolder();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.WriteKubeconfig(folder.Path)));
        server.EdgeMigrations.Create(Resource("a"));
        // The first watch is answered 410 Gone; the second ends (as a server timeout does) after its first event.
        server.Faults.Next(Operation.WatchEdgeMigrations, new Fault.Gone());
        server.Faults.Next(Operation.WatchEdgeMigrations, new Fault.DropAfter(1, Graceful: true));
        var seen = Channel.CreateUnbounded<string>();
        var watch = new EdgeMigrationWatch(client, NullLogger.Instance, TimeProvider.System) { InitialBackoff = TimeSpan.FromMilliseconds(10) };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var running = watch.RunAsync(
            items => seen.Writer.WriteAsync("list " + string.Join(",", items.Select(i => i.Name()))).AsTask(),
            (type, item) => seen.Writer.WriteAsync($"{type} {item.Name()}").AsTask(),
            stop.Token);
        Assert.Equal("list a", await seen.Reader.ReadAsync(stop.Token));
        Assert.Equal("list a", await seen.Reader.ReadAsync(stop.Token));
        await server.WhenRequest(r => r.Operation == Operation.WatchEdgeMigrations && server.RequestsOf(Operation.WatchEdgeMigrations).Count == 2);
        server.EdgeMigrations.Create(Resource("b"));
        Assert.Equal("Added b", await seen.Reader.ReadAsync(stop.Token));
        server.EdgeMigrations.Create(Resource("c"));
        Assert.Equal("Added c", await seen.Reader.ReadAsync(stop.Token));
        server.EdgeMigrations.Delete("skyfleet", "a");
        Assert.Equal("Deleted a", await seen.Reader.ReadAsync(stop.Token));

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.Equal(1, watch.Relists);
        Assert.True(watch.Resumes >= 1, $"resumes: {watch.Resumes}");
        var watches = server.RequestsOf(Operation.WatchEdgeMigrations);
        Assert.All(watches, w => Assert.Equal("true", w["allowWatchBookmarks"]));
        // The third watch resumed from the resourceVersion of the last event the second one delivered (b), not from a list.
        Assert.Equal(server.EdgeMigrations.Get("skyfleet", "b")!.ResourceVersion(), watches[2]["resourceVersion"]);
        Assert.Equal(2, server.RequestsOf(Operation.ListEdgeMigrations).Count);
        server.AssertNoRejections();
    }

    [Fact]
    public async Task RunAsync_CrdNotInstalledYet_KeepsTryingAndWatchesOnceItIs()
    {
        await using var server = await FakeKubeApiServer.StartAsync();
        using var folder = new TempFolder();
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.WriteKubeconfig(folder.Path)));
        // What the API server answers for a group/version no CRD serves.
        server.Faults.Next(Operation.ListEdgeMigrations, Fault.Status(404, "NotFound", "the server could not find the requested resource"), times: 2);
        server.EdgeMigrations.Create(Resource("a"));
        var seen = Channel.CreateUnbounded<string>();
        var watch = new EdgeMigrationWatch(client, NullLogger.Instance, TimeProvider.System) { MaxBackoff = TimeSpan.FromMilliseconds(20) };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var running = watch.RunAsync(items => seen.Writer.WriteAsync("list " + string.Join(",", items.Select(i => i.Name()))).AsTask(),
            (type, item) => seen.Writer.WriteAsync($"{type} {item.Name()}").AsTask(), stop.Token);

        Assert.Equal("list a", await seen.Reader.ReadAsync(stop.Token));
        Assert.Equal(2, watch.Unavailable);
        Assert.Equal(3, server.RequestsOf(Operation.ListEdgeMigrations).Count);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    private static EdgeMigration Resource(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "skyfleet" },
        Spec = new EdgeMigrationSpec { Service = "flight-control", Tenant = "SkyFleet Drones" },
    };
}
