using EdgePortal.Core.Domain;

namespace EdgePortal.Storage;

/// <summary>
/// Writes finished migrations in bulk, straight into the collection (one transaction per batch, no version check): how
/// the history bench fills a file with years of history in minutes. Not for a running portal's own writes.
/// </summary>
public static class LiteDbHistoryLoader
{
    public static void Load(EdgeDatabase database, IEnumerable<Migration> migrations, int batchSize = 5_000)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(migrations);
        var collection = database.Database.GetCollection(Collections.Migrations);
        foreach (var batch in migrations.Chunk(batchSize))
        {
            collection.InsertBulk(batch.Select(LiteDbMigrationRepository.ToDocument), batchSize);
            database.Checkpoint();
        }
    }
}
