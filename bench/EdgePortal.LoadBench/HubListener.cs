using EdgePortal.Core.Domain;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.LoadBench;

/// <summary>One delivery of one event to one client, stamped on arrival (UTC ticks, like the event's own <c>At</c>).</summary>
internal readonly record struct Delivery(long ReceivedTicks, long AtTicks, Guid Migration, Guid Tenant, long Sequence, EventType Type,
    MigrationState? FinalState);

internal enum EventType : byte
{
    Queued,
    Started,
    StepStarted,
    StepCompleted,
    StepFailed,
    RollbackStarted,
    Finished,
}

/// <summary>
/// A hub client as an operator's tool would be: one connection, subscribed to one tenant. The handler only stamps
/// and stores what arrives (one clock read per batch), so the client's own work adds as little as possible to the
/// latency it measures; everything else is computed after the run.
/// </summary>
internal sealed class HubListener : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly List<Delivery> _deliveries = new(4096);
    private readonly Lock _gate = new();
    private readonly Action<Delivery>? _observer;
    private int _batches;
    private int _closed;
    private volatile bool _disposing;

    private HubListener(int index, Guid tenant, HubConnection connection, Action<Delivery>? observer)
    {
        Index = index;
        Tenant = tenant;
        _connection = connection;
        _observer = observer;
        _connection.On<MigrationEvent[]>("MigrationEvents", OnBatch);
        _connection.Closed += _ =>
        {
            if (!_disposing)
                Interlocked.Increment(ref _closed);
            return Task.CompletedTask;
        };
    }

    public int Index { get; }
    public Guid Tenant { get; }
    public int Batches => Volatile.Read(ref _batches);
    /// <summary>Times the connection closed before the bench closed it.</summary>
    public int Closed => Volatile.Read(ref _closed);

    /// <param name="observer">Sees each delivery as it arrives (the bench's one observer per tenant tracks completion).</param>
    public static async Task<HubListener> ConnectAsync(int index, Uri hubUrl, Guid tenant, Action<Delivery>? observer, CancellationToken cancellationToken)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hubUrl)
            .AddJsonProtocol(o => DomainJson.Configure(o.PayloadSerializerOptions))
            .Build();
        var listener = new HubListener(index, tenant, connection, observer);
        await connection.StartAsync(cancellationToken);
        await connection.InvokeAsync("SubscribeTenant", tenant, cancellationToken);
        return listener;
    }

    /// <summary>What arrived, in arrival order. Call after the run.</summary>
    public IReadOnlyList<Delivery> Deliveries
    {
        get { lock (_gate) return [.. _deliveries]; }
    }

    private void OnBatch(MigrationEvent[] batch)
    {
        var now = DateTimeOffset.UtcNow.UtcTicks;
        Interlocked.Increment(ref _batches);
        lock (_gate)
        {
            foreach (var e in batch)
            {
                var delivery = new Delivery(now, e.At.UtcTicks, e.MigrationId.Value, e.TenantId.Value, e.Sequence, TypeOf(e),
                    (e as MigrationFinished)?.State);
                _deliveries.Add(delivery);
                _observer?.Invoke(delivery);
            }
        }
    }

    private static EventType TypeOf(MigrationEvent e) => e switch
    {
        MigrationQueued => EventType.Queued,
        MigrationStarted => EventType.Started,
        StepStarted => EventType.StepStarted,
        StepCompleted => EventType.StepCompleted,
        StepFailed => EventType.StepFailed,
        RollbackStarted => EventType.RollbackStarted,
        MigrationFinished => EventType.Finished,
        _ => throw new InvalidOperationException($"Unknown event {e.GetType().Name}."),
    };

    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        try
        {
            await _connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or OperationCanceledException)
        {
        }
    }
}
