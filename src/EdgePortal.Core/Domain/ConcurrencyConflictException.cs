namespace EdgePortal.Core.Domain;

/// <summary>
/// A save lost a race: the stored copy had already moved on (optimistic concurrency). The caller's copy is stale;
/// read the aggregate again and decide anew rather than retrying the same write.
/// </summary>
public sealed class ConcurrencyConflictException(string message) : InvalidOperationException(message)
{
    public static ConcurrencyConflictException StaleMigration(MigrationId id, long saving, long stored)
        => new($"Migration {id} was saved at version {stored} by someone else; this copy is at version {saving}, so its changes would overwrite theirs.");
}
