using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

internal sealed class LiteDbMigrationRepository(EdgeDatabase database) : IMigrationRepository
{
    /// <summary>A numeric copy of createdAt (UTC ticks) that sorts by time, unlike the ISO text.</summary>
    internal const string CreatedAtTicks = "createdAtTicks";

    private static readonly MigrationState[] UnfinishedStates = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(Collections.Migrations);

    public void Save(Migration migration)
    {
        var document = BsonJson.ToDocument(migration, migration.Id.Value);
        document[CreatedAtTicks] = migration.CreatedAt.UtcTicks;
        Collection.Upsert(document);
    }

    public Migration? Find(MigrationId id)
        => Collection.FindById(id.Value) is { } document ? BsonJson.FromDocument<Migration>(document) : null;

    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        var filters = new List<BsonExpression>();
        if (query.Tenant is { } tenant)
            filters.Add(Query.EQ("$.tenantId", tenant.Value.ToString()));
        if (query.Cluster is { } cluster)
            filters.Add(Query.EQ("$.clusterId", cluster.Value.ToString()));
        if (query.Service is { } service)
            filters.Add(Query.EQ("$.serviceId", service.Value.ToString()));
        if (query.States is { Count: > 0 } states)
            filters.Add(Query.In("$.state", states.Select(s => new BsonValue(s.ToString()))));

        var q = Collection.Query();
        foreach (var filter in filters)
            q = q.Where(filter);
        return q.OrderByDescending("$." + CreatedAtTicks).Limit(query.Limit).ToEnumerable()
            .Select(BsonJson.FromDocument<Migration>).ToList();
    }

    public IReadOnlyList<Migration> Unfinished()
        => List(new MigrationQuery(States: UnfinishedStates, Limit: int.MaxValue)).OrderBy(m => m.CreatedAt).ToList();
}
