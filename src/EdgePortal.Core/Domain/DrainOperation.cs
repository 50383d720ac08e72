namespace EdgePortal.Core.Domain;

public enum DrainState
{
    Running,
    /// <summary>Every service left the node.</summary>
    Completed,
    /// <summary>Finished, but some services could not be moved and still run on the node.</summary>
    CompletedWithFailures,
}

public enum DrainItemState
{
    Pending,
    Migrating,
    Moved,
    /// <summary>The migration failed and rolled back, or could not be planned: the service still serves from the drained node.</summary>
    Failed,
}

/// <summary>One service of a drain, in the order the drain moves them.</summary>
/// <param name="BatchId">The batch its migration was planned with (the drain's wave), whose plan <c>/batches/{id}</c> shows.</param>
public sealed record DrainItem(ServiceId ServiceId, string ServiceName, double Urgency, DrainItemState State, MigrationId? MigrationId, string? Message,
    BatchId? BatchId = null);

/// <summary>
/// Moving every service off a node as one operation: the node is cordoned, its services are migrated most
/// urgent first within the engine's limits, and each item says how it ended. Changes go through the methods below.
/// </summary>
public sealed record DrainOperation(
    DrainId Id,
    NodeId NodeId,
    string NodeName,
    string RequestedBy,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    DrainState State,
    IReadOnlyList<DrainItem> Items)
{
    public int Done => Items.Count(i => i.State is DrainItemState.Moved or DrainItemState.Failed);

    public double Progress => Items.Count == 0 ? 1 : (double)Done / Items.Count;

    public DrainOperation WithItem(DrainItem item)
    {
        if (State != DrainState.Running)
            throw new InvalidOperationException($"Drain {Id} is {State}; its items no longer change.");
        var index = Items.ToList().FindIndex(i => i.ServiceId == item.ServiceId);
        if (index < 0)
            throw new ArgumentException($"Service {item.ServiceId} is not part of drain {Id}.", nameof(item));
        var items = Items.ToList();
        items[index] = item;
        return this with { Items = items };
    }

    /// <summary>Ends the drain once no item is pending or migrating.</summary>
    public DrainOperation FinishIfDone(DateTimeOffset now)
    {
        if (State != DrainState.Running || Items.Any(i => i.State is DrainItemState.Pending or DrainItemState.Migrating))
            return this;
        return this with
        {
            FinishedAt = now,
            State = Items.Any(i => i.State == DrainItemState.Failed) ? DrainState.CompletedWithFailures : DrainState.Completed,
        };
    }
}
