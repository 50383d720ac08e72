using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.ScaleOut.Tests;

/// <summary>Live events cross replicas: a hub client on any replica gets every event of a migration another replica runs, once.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class LiveEventReplicaTests(ReplicaFixture fixture)
{
    /// <summary>ar-anchors of the demo edge (ids are derived from names, the same on every machine), tenant ARena Play.</summary>
    private static readonly Guid ArAnchors = Guid.Parse("39e1d528-90de-5fca-9436-3a1b7168d38d");

    private static async Task<(HubConnection Hub, ConcurrentQueue<MigrationEvent> Events)> ListenAsync(PortalProcess portal, Guid tenant)
    {
        var events = new ConcurrentQueue<MigrationEvent>();
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.BaseAddress, "hubs/migrations"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(portal.ApiKey))
            .AddJsonProtocol(o => DomainJson.Configure(o.PayloadSerializerOptions))
            .Build();
        hub.On<MigrationEvent[]>("MigrationEvents", batch =>
        {
            foreach (var e in batch)
                events.Enqueue(e);
        });
        await hub.StartAsync();
        await hub.InvokeAsync("SubscribeTenant", tenant);
        return (hub, events);
    }

    [Fact]
    public async Task Migration_RunByOneReplica_HubClientsOnEveryReplicaGetEachEventOnceInOrder()
    {
        await using var replicas = await Replicas.StartAsync(fixture, 2);
        var service = await replicas[1].GetAsync<System.Text.Json.JsonElement>($"api/v1/services/{ArAnchors}");
        var tenant = service.GetProperty("tenantId").GetGuid();
        var (remoteHub, remote) = await ListenAsync(replicas[1], tenant);
        var (localHub, local) = await ListenAsync(replicas[0], tenant);
        await using var _ = remoteHub;
        await using var __ = localHub;

        var started = await replicas[0].PostAsync("api/v1/migrations", new { serviceId = ArAnchors, acceptTargetMiss = true });
        var id = MigrationId.From(started.GetProperty("id").GetGuid());

        foreach (var events in new[] { remote, local })
        {
            var received = await Eventually.HoldsAsync(() => Task.FromResult(events.Where(e => e.MigrationId == id).ToList()),
                list => list.Any(e => e is MigrationFinished), TimeSpan.FromSeconds(60), "the migration's finished event");
            Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Sequence));
            Assert.IsType<MigrationQueued>(received[0]);
            Assert.Equal(MigrationState.Completed, Assert.IsType<MigrationFinished>(received[^1]).State);
        }
        Assert.Equal(local.Where(e => e.MigrationId == id).Select(e => e.Sequence), remote.Where(e => e.MigrationId == id).Select(e => e.Sequence));
    }
}
