using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

internal sealed class LiteDbMigrationRepository(EdgeDatabase database) : IMigrationRepository
{
    /// <summary>A numeric copy of createdAt (UTC ticks) that sorts by time, unlike the ISO text.</summary>
    internal const string CreatedAtTicks = "createdAtTicks";

    internal static readonly MigrationState[] UnfinishedStates = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(Collections.Migrations);

    public void Save(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        var document = BsonJson.ToDocument(migration, migration.Id.Value);
        document[CreatedAtTicks] = migration.CreatedAt.UtcTicks;
        // The version check and the write are one step: the file has one writer at a time, and so has this section.
        lock (database.WriteGate)
        {
            if (Collection.FindById(migration.Id.Value) is { } stored && stored["version"].AsInt64 >= migration.Version)
                throw ConcurrencyConflictException.StaleMigration(migration.Id, migration.Version, stored["version"].AsInt64);
            Collection.Upsert(document);
        }
    }

    public Migration? Find(MigrationId id)
        => Collection.FindById(id.Value) is { } document ? BsonJson.FromDocument<Migration>(document) : null;

    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        var q = Collection.Query();
        if (query.Tenant is { } tenant)
            q = q.Where(Query.EQ("$.tenantId", tenant.Value.ToString()));
        if (query.Cluster is { } cluster)
            q = q.Where(Query.EQ("$.clusterId", cluster.Value.ToString()));
        if (query.Service is { } service)
            q = q.Where(Query.EQ("$.serviceId", service.Value.ToString()));
        if (query.States is { Count: > 0 } states)
            q = q.Where(Query.In("$.state", states.Select(s => new BsonValue(s.ToString()))));
        return LiteDbPages.NewestFirst(q, CreatedAtTicks, query.Before, query.Limit).Select(BsonJson.FromDocument<Migration>).ToList();
    }

    public IReadOnlyList<Migration> Unfinished()
        => List(new MigrationQuery(States: UnfinishedStates, Limit: int.MaxValue)).OrderBy(MigrationQuery.CursorOf).ToList();
}
