using System.Collections.Concurrent;

namespace EdgePortal.Runtime.Replay;

/// <summary>
/// Open broker connections kept between steps, per broker (not per migration), so that the downtime steps of a replay
/// (the cutoff, the switch) do not wait for a new connection. A step rents one for its duration and returns it; a
/// connection the broker closed is dropped. After a restart the pool is empty and the first step connects: nothing a
/// migration needs is here, only connections.
/// </summary>
public sealed class ReplayBrokerPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<ReplayBroker>> _idle = new(StringComparer.Ordinal);

    public async Task<Rented> RentAsync(ReplayBrokerOptions options, CancellationToken ct)
    {
        var key = options.Uri ?? "";
        if (_idle.TryGetValue(key, out var bag))
            while (bag.TryTake(out var broker))
            {
                if (broker.IsOpen)
                    return new Rented(this, key, broker);
                await broker.DisposeAsync().ConfigureAwait(false);
            }
        return new Rented(this, key, await ReplayBroker.ConnectAsync(options, ct).ConfigureAwait(false));
    }

    private async ValueTask ReturnAsync(string key, ReplayBroker broker)
    {
        if (broker.IsOpen)
            _idle.GetOrAdd(key, _ => []).Add(broker);
        else
            await broker.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bag in _idle.Values)
            while (bag.TryTake(out var broker))
                await broker.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A connection for one step; disposing gives it back.</summary>
    public sealed class Rented(ReplayBrokerPool pool, string key, ReplayBroker broker) : IAsyncDisposable
    {
        public ReplayBroker Broker { get; } = broker;

        public ValueTask DisposeAsync() => pool.ReturnAsync(key, Broker);
    }
}
