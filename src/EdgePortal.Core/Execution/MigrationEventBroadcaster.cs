using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>Where the engine sends the events of each persisted transition.</summary>
public interface IMigrationEventPublisher
{
    void Publish(IReadOnlyList<MigrationEvent> events);
}

/// <summary>The live stream as its consumers (pages, the hub forwarder) see it.</summary>
public interface IMigrationEventStream
{
    /// <summary>
    /// Batches of events from now on, for one tenant (null: all tenants) or one migration. Take the
    /// snapshot after subscribing, so nothing falls between the two.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<MigrationEvent>> Subscribe(TenantId? tenant, MigrationId? migration = null,
        TimeSpan? batchInterval = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every tenant's events, but only those published in this process: what a forwarder that fans out to other
    /// replicas by itself (the SignalR backplane) must send, so that no client gets an event twice. A stream that
    /// knows no other replica has only its own.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<MigrationEvent>> SubscribeThisReplica(TimeSpan? batchInterval = null, CancellationToken cancellationToken = default)
        => Subscribe(null, null, batchInterval, cancellationToken);
}

/// <summary>
/// The in-process live stream of migration events. Each subscriber gets its own unbounded channel
/// (a slow page never holds up the engine or another page) filtered to a tenant or one migration,
/// and reads it as batches: the first event after a quiet spell comes at once, later ones are
/// coalesced for up to <see cref="BatchInterval"/> so a busy edge does not re-render a page per event.
/// With several replicas, events another replica published arrive through <see cref="PublishFromReplica"/>
/// and reach every subscriber but those of <see cref="SubscribeThisReplica"/>.
/// </summary>
public sealed class MigrationEventBroadcaster(TimeProvider clock) : IMigrationEventPublisher, IMigrationEventStream
{
    private readonly ConcurrentDictionary<Guid, Subscriber> _subscribers = new();

    public TimeSpan BatchInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public int SubscriberCount => _subscribers.Count;

    public void Publish(IReadOnlyList<MigrationEvent> events) => Deliver(events, fromThisReplica: true);

    /// <summary>Events another replica published (and persisted): delivered here, never published onwards.</summary>
    public void PublishFromReplica(IReadOnlyList<MigrationEvent> events) => Deliver(events, fromThisReplica: false);

    private void Deliver(IReadOnlyList<MigrationEvent> events, bool fromThisReplica)
    {
        if (events.Count == 0)
            return;
        foreach (var subscriber in _subscribers.Values)
            if (fromThisReplica || !subscriber.ThisReplicaOnly)
                foreach (var e in events)
                    if (subscriber.Wants(e))
                        subscriber.Channel.Writer.TryWrite(e);
    }

    public IAsyncEnumerable<IReadOnlyList<MigrationEvent>> Subscribe(TenantId? tenant, MigrationId? migration = null,
        TimeSpan? batchInterval = null, CancellationToken cancellationToken = default)
        => Subscribe(tenant, migration, batchInterval, thisReplicaOnly: false, cancellationToken);

    public IAsyncEnumerable<IReadOnlyList<MigrationEvent>> SubscribeThisReplica(TimeSpan? batchInterval = null, CancellationToken cancellationToken = default)
        => Subscribe(null, null, batchInterval, thisReplicaOnly: true, cancellationToken);

    private async IAsyncEnumerable<IReadOnlyList<MigrationEvent>> Subscribe(TenantId? tenant, MigrationId? migration, TimeSpan? batchInterval,
        bool thisReplicaOnly, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = Guid.NewGuid();
        var subscriber = new Subscriber(tenant, migration, thisReplicaOnly, System.Threading.Channels.Channel.CreateUnbounded<MigrationEvent>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false }));
        _subscribers[id] = subscriber;
        var interval = batchInterval ?? BatchInterval;
        try
        {
            var reader = subscriber.Channel.Reader;
            var batch = new List<MigrationEvent>();
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var e))
                    batch.Add(e);
                yield return batch.ToArray();
                batch.Clear();
                if (interval > TimeSpan.Zero)
                    await Task.Delay(interval, clock, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _subscribers.TryRemove(id, out _);
        }
    }

    private sealed record Subscriber(TenantId? Tenant, MigrationId? Migration, bool ThisReplicaOnly, Channel<MigrationEvent> Channel)
    {
        public bool Wants(MigrationEvent e) => (Tenant is null || Tenant == e.TenantId) && (Migration is null || Migration == e.MigrationId);
    }
}
