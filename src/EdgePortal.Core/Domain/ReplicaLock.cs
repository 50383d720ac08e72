namespace EdgePortal.Core.Domain;

/// <summary>
/// Mutual exclusion across every replica that shares the store: what must happen once however many replicas start
/// together (seeding a fresh database) takes it. Within one process for LiteDB (a LiteDB file has one process); a
/// PostgreSQL advisory lock with PostgreSQL.
/// </summary>
public interface IReplicaLock
{
    /// <summary>Waits for the lock named <paramref name="name"/> (at most <paramref name="timeout"/>, then throws <see cref="TimeoutException"/>); dispose to release it.</summary>
    IDisposable Acquire(string name, TimeSpan timeout);
}

/// <summary>The lock of a single process: one semaphore per name.</summary>
public sealed class InProcessReplicaLock : IReplicaLock
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public IDisposable Acquire(string name, TimeSpan timeout)
    {
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        if (!gate.Wait(timeout))
            throw new TimeoutException($"The lock '{name}' was not free within {timeout.TotalSeconds:0} s.");
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                gate.Release();
        }
    }
}
