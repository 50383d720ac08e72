using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Scheduling;

/// <summary>How a drain request ended.</summary>
public abstract record DrainStartResult
{
    public sealed record Started(DrainOperation Drain) : DrainStartResult;
    public sealed record NotFound(string Detail) : DrainStartResult;
    /// <summary>The node is already being drained.</summary>
    public sealed record Conflict(string Detail, DrainId Existing) : DrainStartResult;
}

/// <summary>
/// Drains nodes: cordons the node (nothing new is placed there), ranks its services by urgency
/// (<see cref="DrainOrder"/>), and keeps at most as many of their migrations submitted as the engine lets leave
/// one node at once, planning each when a slot frees (so each plan sees where the previous ones went). A
/// migration that fails rolls back in the engine (the service keeps serving on the node) and the drain reports
/// it; the others go on. Progress is stored and published as one <see cref="DrainOperation"/>. On start, drains
/// left running by the previous process resume. Every drain started or refused as a conflict is audited
/// (<see cref="AuditActions.NodeDrain"/>) here, under its requester, whoever asked: a person on the page or the API, or a
/// schedule (<c>schedule:&lt;name&gt;</c>) firing on time.
/// </summary>
public sealed class NodeDrainer(IInventoryRepository inventory, IMigrationRepository migrations, IDrainRepository drains,
    MigrationCoordinator coordinator, IMigrationEventStream stream, AutomationEventBroadcaster events,
    IOptionsMonitor<EngineOptions> engineOptions, IOptionsMonitor<AutomationOptions> automationOptions, AuditTrail audit, TimeProvider clock,
    ILogger<NodeDrainer> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<DrainId, Task> _running = new();
    private readonly Lock _gate = new();
    private CancellationToken _stopping;

    /// <summary>How often a drain looks at its migrations when no event woke it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    public DrainStartResult Start(NodeId nodeId, string requestedBy)
    {
        lock (_gate)
        {
            if (inventory.FindNode(nodeId) is not { IsRetired: false } node)
                return new DrainStartResult.NotFound($"No node has id {nodeId}.");
            var existing = drains.List(int.MaxValue).FirstOrDefault(d => d.NodeId == nodeId && d.State == DrainState.Running);
            if (existing is not null)
            {
                var conflict = new DrainStartResult.Conflict($"{node.Name} is already being drained (drain {existing.Id}).", existing.Id);
                audit.Record(requestedBy, AuditActions.NodeDrain, $"node {node.Name} ({node.Id})", conflict.Detail, succeeded: false);
                return conflict;
            }
            if (node.Status == NodeStatus.Ready)
                inventory.Save(node.WithStatus(NodeStatus.Cordoned));
            var topology = inventory.Topology();
            var ranked = DrainOrder.Rank(topology, topology.ServicesOn(nodeId), automationOptions.CurrentValue.LoadLatencyMs);
            var drain = new DrainOperation(DrainId.New(), nodeId, node.Name, requestedBy, clock.GetUtcNow(), null, DrainState.Running,
                [.. ranked.Select(r => new DrainItem(r.Service.Id, r.Service.Name, r.Urgency, DrainItemState.Pending, null, null))]);
            drain = drain.FinishIfDone(clock.GetUtcNow());
            drains.Save(drain);
            events.Publish(new DrainChanged(drain));
            logger.LogInformation("Draining {Node}: {Count} services, most urgent first ({RequestedBy})", node.Name, drain.Items.Count, requestedBy);
            audit.Record(requestedBy, AuditActions.NodeDrain, $"node {node.Name} ({node.Id})", $"drain {drain.Id}: {drain.Items.Count} service(s), most urgent first");
            if (drain.State == DrainState.Running)
                Launch(drain.Id);
            return new DrainStartResult.Started(drain);
        }
    }

    /// <summary>Completes when the drain has finished (or the host stops); for callers that want to wait.</summary>
    public Task WhenFinished(DrainId id) => _running.TryGetValue(id, out var task) ? task : Task.CompletedTask;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        foreach (var drain in drains.List(int.MaxValue).Where(d => d.State == DrainState.Running))
        {
            logger.LogInformation("Resuming the drain of {Node} ({Done} of {Count} done)", drain.NodeName, drain.Done, drain.Items.Count);
            Launch(drain.Id);
        }
        return Task.CompletedTask;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_running.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Launch(DrainId id)
        => _running[id] = Task.Run(async () =>
        {
            try
            {
                await RunAsync(id, _stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                logger.LogError(e, "Drain {DrainId} stopped on an unexpected error; it resumes on the next start", id);
            }
            finally
            {
                _running.TryRemove(id, out _);
            }
        });

    private async Task RunAsync(DrainId id, CancellationToken stopping)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var wake = new SemaphoreSlim(0);
        var listener = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in stream.Subscribe(null, cancellationToken: cancel.Token).ConfigureAwait(false))
                    wake.Release();
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                if (Advance(id))
                    return;
                await wake.WaitAsync(PollInterval, cancel.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            await listener.ConfigureAwait(false);
        }
    }

    /// <summary>One look at the drain: settle finished migrations, submit the next ones. True when the drain is over.</summary>
    private bool Advance(DrainId id)
    {
        var drain = drains.Find(id);
        if (drain is null || drain.State != DrainState.Running)
            return true;
        var before = drain;
        foreach (var item in drain.Items.Where(i => i.State == DrainItemState.Migrating))
        {
            var migration = migrations.Find(item.MigrationId!.Value);
            if (migration is null || !migration.IsTerminal)
                continue;
            drain = drain.WithItem(migration.State == MigrationState.Completed
                ? item with { State = DrainItemState.Moved, Message = $"Moved to {inventory.FindNode(migration.Destination)?.Name ?? migration.Destination.ToString()}." }
                : item with { State = DrainItemState.Failed, Message = $"{migration.State}: {migration.FailureReason ?? "the migration did not complete"}. It still serves from {drain.NodeName}." });
        }

        var engine = engineOptions.CurrentValue;
        var limit = Math.Min(engine.MaxOutboundPerNode, engine.MaxConcurrentPerCluster);
        var inFlight = drain.Items.Count(i => i.State == DrainItemState.Migrating);
        var next = new List<(DrainItem Item, ServiceInstance Service)>();
        foreach (var item in drain.Items.Where(i => i.State == DrainItemState.Pending).ToList())
        {
            if (inFlight + next.Count >= limit)
                break;
            var service = inventory.FindService(item.ServiceId);
            if (service is null)
            {
                drain = drain.WithItem(item with { State = DrainItemState.Failed, Message = "The service no longer exists." });
                continue;
            }
            if (service.NodeId != drain.NodeId)
            {
                drain = drain.WithItem(item with { State = DrainItemState.Moved, Message = "Already off the node." });
                continue;
            }
            next.Add((item, service));
        }
        // The services leaving the node together are one batch: planned together on the links they share.
        var results = next.Count == 0 ? [] : coordinator.StartBatch([.. next.Select(n => new MigrationRequest
        {
            ServiceId = n.Service.Id,
            Trigger = MigrationTrigger.Drain,
            RequestedBy = $"drain:{drain.RequestedBy}",
            // A drain must empty the node: the nearest plan is taken even when it misses a target.
            AcceptTargetMiss = true,
        })]);
        for (var i = 0; i < next.Count; i++)
        {
            var item = next[i].Item;
            switch (results[i])
            {
                case MigrationRequestResult.Accepted accepted:
                    drain = drain.WithItem(item with
                    {
                        State = DrainItemState.Migrating, MigrationId = accepted.Migration.Id, Message = accepted.Planning.Summary, BatchId = accepted.Migration.BatchId,
                    });
                    break;
                case MigrationRequestResult.Conflict conflict:
                    drain = drain.WithItem(item with { State = DrainItemState.Migrating, MigrationId = conflict.Existing, Message = conflict.Detail });
                    break;
                case MigrationRequestResult.Infeasible infeasible:
                    drain = drain.WithItem(item with { State = DrainItemState.Failed, Message = infeasible.Detail });
                    break;
                case MigrationRequestResult.NotFound notFound:
                    drain = drain.WithItem(item with { State = DrainItemState.Failed, Message = notFound.Detail });
                    break;
            }
        }
        drain = drain.FinishIfDone(clock.GetUtcNow());
        if (!ReferenceEquals(drain, before))
        {
            drains.Save(drain);
            events.Publish(new DrainChanged(drain));
            if (drain.State != DrainState.Running)
                logger.LogInformation("Drain of {Node} finished: {State}", drain.NodeName, drain.State);
        }
        return drain.State != DrainState.Running;
    }
}
