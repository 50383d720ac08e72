using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Web.Components.Shared;

/// <summary>
/// A page's live view of a stream of events (migrations, automation), the way the Aspire dashboard consumes its resources:
/// subscribe first, then take the snapshot (so no event falls between the two), then consume batches in a
/// background task until the page disposes the feed. The page applies each batch through
/// <c>InvokeAsync</c>; a batch handler that fails stops the feed and is reported once, not retried in a loop.
/// </summary>
public sealed class LiveFeed : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _consumer = Task.CompletedTask;

    private LiveFeed()
    {
    }

    /// <summary>
    /// Subscribes to <paramref name="stream"/> (one tenant or all, one migration or all), runs
    /// <paramref name="snapshot"/> once the subscription is in place, then hands every batch to
    /// <paramref name="onBatch"/> on a background task.
    /// </summary>
    /// <param name="onFault">Told when a batch handler throws; the feed stops there.</param>
    public static LiveFeed Start(IMigrationEventStream stream, TenantId? tenant, MigrationId? migration, Action snapshot,
        Func<IReadOnlyList<MigrationEvent>, CancellationToken, Task> onBatch, Action<Exception> onFault)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Start(token => stream.Subscribe(tenant, migration, cancellationToken: token), snapshot,
            (batch, token) => batch.Count > 0 ? onBatch(batch, token) : Task.CompletedTask, onFault);
    }

    /// <summary>
    /// Subscribes through <paramref name="subscribe"/>, runs <paramref name="snapshot"/> once the subscription is in
    /// place, then hands every item to <paramref name="onItem"/> on a background task.
    /// </summary>
    public static LiveFeed Start<T>(Func<CancellationToken, IAsyncEnumerable<T>> subscribe, Action snapshot,
        Func<T, CancellationToken, Task> onItem, Action<Exception> onFault)
    {
        ArgumentNullException.ThrowIfNull(subscribe);
        var feed = new LiveFeed();
        var items = subscribe(feed._stop.Token).GetAsyncEnumerator(feed._stop.Token);
        // The first MoveNextAsync runs the subscription up to its first wait: from here on, events are kept for us.
        var first = items.MoveNextAsync();
        try
        {
            snapshot();
        }
        catch
        {
            feed._stop.Cancel();
            feed._consumer = Drain(items, first);
            throw;
        }
        feed._consumer = Task.Run(() => feed.ConsumeAsync(items, first, onItem, onFault));
        return feed;
    }

    private async Task ConsumeAsync<T>(IAsyncEnumerator<T> batches, ValueTask<bool> next,
        Func<T, CancellationToken, Task> onBatch, Action<Exception> onFault)
    {
        try
        {
            while (await next.ConfigureAwait(false))
            {
                await onBatch(batches.Current, _stop.Token).ConfigureAwait(false);
                next = batches.MoveNextAsync();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            try
            {
                onFault(e);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // The page went away while it was being told.
            }
        }
        catch (Exception)
        {
            // Disposed mid-batch (the circuit is gone): nothing is listening any more.
        }
        finally
        {
            await batches.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task Drain<T>(IAsyncEnumerator<T> batches, ValueTask<bool> pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await batches.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _consumer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
