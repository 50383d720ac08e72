using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Core.Tests.Execution;

/// <summary>The broadcaster with several replicas: another replica's events reach pages here, never the forwarder that fans out by itself.</summary>
public sealed class ReplicatedEventStreamTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    private static async Task<List<MigrationEvent>> TakeAsync(IAsyncEnumerable<IReadOnlyList<MigrationEvent>> stream, int count)
    {
        var taken = new List<MigrationEvent>();
        await foreach (var batch in stream)
        {
            taken.AddRange(batch);
            if (taken.Count >= count)
                break;
        }
        return taken;
    }

    [Fact]
    public async Task PublishFromReplica_ReachesPageSubscribersButNotThisReplicasOwnStream()
    {
        var broadcaster = new MigrationEventBroadcaster(TimeProvider.System) { BatchInterval = TimeSpan.Zero };
        var tenant = TenantId.New();
        var remote = new MigrationStarted(MigrationId.New(), tenant, T0, 2);
        var local = new MigrationStarted(MigrationId.New(), tenant, T0, 2);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var page = TakeAsync(broadcaster.Subscribe(tenant, cancellationToken: timeout.Token), 2);
        var own = TakeAsync(broadcaster.SubscribeThisReplica(TimeSpan.Zero, timeout.Token), 1);
        while (broadcaster.SubscriberCount < 2)
            await Task.Yield();

        broadcaster.PublishFromReplica([remote]);
        broadcaster.Publish([local]);

        Assert.Equal([remote, local], await page);
        Assert.Equal([local], await own);
    }

    [Fact]
    public async Task SubscribeThisReplica_OnAStreamThatKnowsNoOtherReplica_IsEveryEvent()
    {
        IMigrationEventStream stream = new SingleProcessStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var events = await TakeAsync(stream.SubscribeThisReplica(cancellationToken: timeout.Token), 1);

        Assert.Single(events);
    }

    /// <summary>A stream written before replicas existed: it implements only <see cref="IMigrationEventStream.Subscribe"/>.</summary>
    private sealed class SingleProcessStream : IMigrationEventStream
    {
        public async IAsyncEnumerable<IReadOnlyList<MigrationEvent>> Subscribe(TenantId? tenant, MigrationId? migration = null, TimeSpan? batchInterval = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return [new MigrationStarted(MigrationId.New(), TenantId.New(), T0, 2)];
        }
    }
}
