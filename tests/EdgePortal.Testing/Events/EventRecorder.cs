using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Testing;

/// <summary>Records what the engine publishes and lets a test await an event instead of sleeping.</summary>
public sealed class EventRecorder : IMigrationEventPublisher
{
    private readonly Lock _gate = new();
    private readonly List<MigrationEvent> _events = [];
    private readonly List<(Func<MigrationEvent, bool> Match, TaskCompletionSource<MigrationEvent> Done)> _waiters = [];

    public IReadOnlyList<MigrationEvent> Events
    {
        get { lock (_gate) return [.. _events]; }
    }

    public void Publish(IReadOnlyList<MigrationEvent> events)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                _events.Add(e);
                for (var i = _waiters.Count - 1; i >= 0; i--)
                    if (_waiters[i].Match(e))
                    {
                        _waiters[i].Done.TrySetResult(e);
                        _waiters.RemoveAt(i);
                    }
            }
        }
    }

    /// <summary>The first event (already recorded or still to come) that matches, or a timeout naming what was seen.</summary>
    public async Task<T> WaitFor<T>(Func<T, bool>? match = null, TimeSpan? timeout = null) where T : MigrationEvent
    {
        bool Matches(MigrationEvent e) => e is T t && (match?.Invoke(t) ?? true);
        TaskCompletionSource<MigrationEvent> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_events.FirstOrDefault(Matches) is { } seen)
                return (T)seen;
            _waiters.Add((Matches, done));
        }
        try
        {
            return (T)await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No {typeof(T).Name} arrived; saw: {string.Join(", ", Events.Select(e => e.GetType().Name))}");
        }
    }
}
