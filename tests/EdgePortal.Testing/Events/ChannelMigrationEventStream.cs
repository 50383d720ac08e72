using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Testing;

/// <summary>
/// A live stream the test drives: every subscriber gets its own unbounded <see cref="Channel{T}"/>, and each
/// <see cref="Publish"/> writes the events a subscriber's filter wants to it as one batch, at once (no batching
/// delay, no clock). It is also the engine's and the coordinator's publisher, so what they commit reaches the pages.
/// </summary>
public sealed class ChannelMigrationEventStream : IMigrationEventStream, IMigrationEventPublisher
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _subscriptions = [];

    /// <summary>How many subscriptions are open now (a page that disposed its feed has closed its own).</summary>
    public int SubscriberCount
    {
        get { lock (_gate) return _subscriptions.Count; }
    }

    /// <summary>The migration each open subscription is filtered to (null: all).</summary>
    public IReadOnlyList<MigrationId?> MigrationFilters
    {
        get { lock (_gate) return [.. _subscriptions.Select(s => s.Migration)]; }
    }

    public void Publish(IReadOnlyList<MigrationEvent> events)
    {
        lock (_gate)
        {
            foreach (var subscription in _subscriptions)
            {
                var wanted = events.Where(subscription.Wants).ToArray();
                if (wanted.Length > 0)
                    subscription.Batches.Writer.TryWrite(wanted);
            }
        }
    }

    public async IAsyncEnumerable<IReadOnlyList<MigrationEvent>> Subscribe(TenantId? tenant, MigrationId? migration = null,
        TimeSpan? batchInterval = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var subscription = new Subscription(tenant, migration, Channel.CreateUnbounded<IReadOnlyList<MigrationEvent>>(
            new UnboundedChannelOptions { SingleReader = true }));
        lock (_gate)
            _subscriptions.Add(subscription);
        try
        {
            await foreach (var batch in subscription.Batches.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                yield return batch;
        }
        finally
        {
            lock (_gate)
                _subscriptions.Remove(subscription);
        }
    }

    private sealed record Subscription(TenantId? Tenant, MigrationId? Migration, Channel<IReadOnlyList<MigrationEvent>> Batches)
    {
        public bool Wants(MigrationEvent e) => (Tenant is null || Tenant == e.TenantId) && (Migration is null || Migration == e.MigrationId);
    }
}
