using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

internal sealed class LiteDbMigrationRepository(EdgeDatabase database) : IMigrationRepository
{
    /// <summary>A numeric copy of createdAt (UTC ticks) that sorts by time, unlike the ISO text.</summary>
    internal const string CreatedAtTicks = "createdAtTicks";

    /// <summary>Owner id + creation time (<see cref="LiteDbPages.OwnerKey"/>): one owner's history, newest first, straight off an index.</summary>
    internal const string TenantKey = "tenantKey";
    internal const string ClusterKey = "clusterKey";
    internal const string ServiceKey = "serviceKey";

    internal static readonly MigrationState[] UnfinishedStates = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(Collections.Migrations);

    public void Save(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        var document = ToDocument(migration);
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

    /// <remarks>
    /// One index carries each query, the rest filter in memory: the batch index when a batch is asked for, the state index when only unfinished states are asked for
    /// (there are few), else the most specific owner key (service, cluster, tenant), else the time index.
    /// </remarks>
    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var states = query.States is { Count: > 0 } s ? s.Select(x => x.ToString()).ToHashSet() : null;
        var tenant = query.Tenant?.Value.ToString();
        var cluster = query.Cluster?.Value.ToString();
        var service = query.Service?.Value.ToString();
        var batch = query.Batch?.Value.ToString();
        bool Keep(BsonDocument d) => (states is null || states.Contains(d["state"].AsString)) && (tenant is null || d["tenantId"].AsString == tenant)
            && (cluster is null || d["clusterId"].AsString == cluster) && (service is null || d["serviceId"].AsString == service)
            && (batch is null || (d["batchId"].IsString && d["batchId"].AsString == batch));

        List<BsonDocument> page;
        if (batch is not null)
            // A batch holds at most a thousand migrations: its index finds them, and they are ordered here.
            page = NewestFirst(Collection.Find(Query.EQ("$.batchId", new BsonValue(batch))).Where(Keep));
        else if (states is not null && query.States!.All(UnfinishedStates.Contains))
            page = NewestFirst(Collection.Find(Query.In("$.state", states.Select(x => new BsonValue(x)))).Where(Keep));
        else if (query.Service is { } byService)
            page = LiteDbPages.NewestFirstOf(Collection, ServiceKey, byService.Value, CreatedAtTicks, query.Before, query.Limit, Keep);
        else if (query.Cluster is { } byCluster)
            page = LiteDbPages.NewestFirstOf(Collection, ClusterKey, byCluster.Value, CreatedAtTicks, query.Before, query.Limit, Keep);
        else if (query.Tenant is { } byTenant)
            page = LiteDbPages.NewestFirstOf(Collection, TenantKey, byTenant.Value, CreatedAtTicks, query.Before, query.Limit, Keep);
        else
            page = LiteDbPages.NewestFirst(Collection.Query(), CreatedAtTicks, query.Before, query.Limit, Keep);
        return page.Select(BsonJson.FromDocument<Migration>).ToList();

        // A few documents found off an index (the unfinished, or one batch's): paged here, newest first.
        List<BsonDocument> NewestFirst(IEnumerable<BsonDocument> found) => found
            .Select(d => (Key: new HistoryCursor(d[CreatedAtTicks].AsInt64, d["_id"].AsGuid), Document: d))
            .Where(r => query.Before is not { } b || b.Precedes(r.Key)).OrderByDescending(r => r.Key).Take(Math.Max(query.Limit, 0)).Select(r => r.Document).ToList();
    }

    /// <summary>The document as stored: the domain's JSON shape, plus the ordering key and the owner keys.</summary>
    internal static BsonDocument ToDocument(Migration migration)
    {
        var document = BsonJson.ToDocument(migration, migration.Id.Value);
        AddKeys(document, migration.CreatedAt.UtcTicks);
        return document;
    }

    /// <summary>Adds the keys from the document's own fields (also what the schema 4 upgrade does to older documents).</summary>
    internal static void AddKeys(BsonDocument document, long createdTicks)
    {
        document[CreatedAtTicks] = createdTicks;
        document[TenantKey] = LiteDbPages.OwnerKey(Guid.Parse(document["tenantId"].AsString), createdTicks);
        document[ClusterKey] = LiteDbPages.OwnerKey(Guid.Parse(document["clusterId"].AsString), createdTicks);
        document[ServiceKey] = LiteDbPages.OwnerKey(Guid.Parse(document["serviceId"].AsString), createdTicks);
    }

    public IReadOnlyList<Migration> Unfinished()
        => List(new MigrationQuery(States: UnfinishedStates, Limit: int.MaxValue)).OrderBy(MigrationQuery.CursorOf).ToList();
}
