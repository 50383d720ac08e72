using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Scheduling;

/// <summary>Something the automation did: what the Schedules and Automation pages follow live.</summary>
public abstract record AutomationEvent;

public sealed record ScheduleRunRecorded(ScheduleRun Run) : AutomationEvent;

/// <summary>A schedule was created, edited, paused, resumed or deleted (null: deleted).</summary>
public sealed record ScheduleChanged(ScheduleId Id, Schedule? Schedule) : AutomationEvent;

public sealed record DecisionRecorded(AutomationDecision Decision) : AutomationEvent;

public sealed record DrainChanged(DrainOperation Drain) : AutomationEvent;

public interface IAutomationEventStream
{
    /// <summary>Events from now on, until cancelled.</summary>
    IAsyncEnumerable<AutomationEvent> Subscribe(CancellationToken cancellationToken = default);
}

/// <summary>In-process fan-out of automation events: one unbounded channel per subscriber, so a slow page holds up nobody.</summary>
public sealed class AutomationEventBroadcaster : IAutomationEventStream
{
    private readonly ConcurrentDictionary<Guid, Channel<AutomationEvent>> _subscribers = new();

    public int SubscriberCount => _subscribers.Count;

    public void Publish(AutomationEvent e)
    {
        foreach (var channel in _subscribers.Values)
            channel.Writer.TryWrite(e);
    }

    public async IAsyncEnumerable<AutomationEvent> Subscribe([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateUnbounded<AutomationEvent>(new UnboundedChannelOptions { SingleReader = true });
        _subscribers[id] = channel;
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (channel.Reader.TryRead(out var e))
                    yield return e;
        }
        finally
        {
            _subscribers.TryRemove(id, out _);
        }
    }
}
