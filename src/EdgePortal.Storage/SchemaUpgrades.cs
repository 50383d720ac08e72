using LiteDB;

namespace EdgePortal.Storage;

/// <summary>
/// One step of the database's upgrade path, from <see cref="FromVersion"/> to the next. Steps work on
/// raw documents, so they keep working when the domain types they once described have moved on.
/// </summary>
internal interface ISchemaUpgrade
{
    int FromVersion { get; }
    string Description { get; }
    void Apply(ILiteDatabase database);
}

/// <summary>
/// Version 2 gave each service its own objective and labels; a version-1 service takes its tenant's
/// default objective and no labels.
/// </summary>
internal sealed class ServiceObjectiveAndLabels : ISchemaUpgrade
{
    public int FromVersion => 1;

    public string Description => "services: add objective (from the tenant's default) and labels";

    public void Apply(ILiteDatabase database)
    {
        var tenants = database.GetCollection(Collections.Tenants).FindAll()
            .ToDictionary(t => t["id"].AsString, t => t["defaultObjective"].IsNull ? "MinDowntime" : t["defaultObjective"].AsString);
        var services = database.GetCollection(Collections.Services);
        foreach (var service in services.FindAll().ToList())
        {
            if (!service.ContainsKey("objective"))
                service["objective"] = tenants.GetValueOrDefault(service["tenantId"].AsString, "MinDowntime");
            if (!service.ContainsKey("labels"))
                service["labels"] = new BsonDocument();
            services.Update(service);
        }
    }
}

/// <summary>
/// Version 3 orders migrations by a numeric <c>createdAtTicks</c> (UTC ticks): LiteDB compares strings with
/// culture collation, so the ISO text of <c>createdAt</c> does not sort by time.
/// </summary>
internal sealed class MigrationCreatedAtTicks : ISchemaUpgrade
{
    public int FromVersion => 2;

    public string Description => "migrations: add createdAtTicks for ordering";

    public void Apply(ILiteDatabase database)
    {
        var migrations = database.GetCollection(Collections.Migrations);
        foreach (var migration in migrations.FindAll().ToList())
        {
            migration[LiteDbMigrationRepository.CreatedAtTicks] = DateTimeOffset.Parse(migration["createdAt"].AsString, System.Globalization.CultureInfo.InvariantCulture).UtcTicks;
            migrations.Update(migration);
        }
    }
}

/// <summary>
/// Version 4 hash-chains the audit log: the entries written before it are linked in the order they were written (time, then
/// id, a version-7 Guid that grows with time), so a verification covers them too.
/// </summary>
internal sealed class AuditHashChain : ISchemaUpgrade
{
    public int FromVersion => 3;

    public string Description => "audit: link the existing entries into a hash chain";

    public void Apply(ILiteDatabase database)
    {
        var audit = database.GetCollection(SecurityCollections.Audit);
        var entries = audit.FindAll().Select(d => (Key: d["_id"], Entry: BsonJson.FromDocument<Core.Security.AuditEntry>(d)))
            .OrderBy(e => e.Entry.At.UtcTicks).ThenBy(e => e.Entry.Id).ToList();
        Core.Security.AuditEntry? head = null;
        foreach (var (key, entry) in entries)
        {
            head = Core.Security.AuditChain.Link(entry, head);
            var document = LiteDbAuditLog.ToDocument(head);
            document["_id"] = key;
            audit.Update(document);
        }
    }
}

/// <summary>
/// Version 5 pages one tenant's, cluster's or service's history off an index of its own: each migration carries
/// <c>tenantKey</c>, <c>clusterKey</c> and <c>serviceKey</c> (the owner's id and the creation time as one sortable key).
/// </summary>
internal sealed class MigrationOwnerKeys : ISchemaUpgrade
{
    public int FromVersion => 4;

    public string Description => "migrations: add tenantKey, clusterKey and serviceKey for paging one owner's history";

    public void Apply(ILiteDatabase database)
    {
        var migrations = database.GetCollection(Collections.Migrations);
        foreach (var migration in migrations.FindAll().ToList())
        {
            LiteDbMigrationRepository.AddKeys(migration, migration[LiteDbMigrationRepository.CreatedAtTicks].AsInt64);
            migrations.Update(migration);
        }
    }
}

internal static class Collections
{
    public const string Tenants = "tenants";
    public const string Clusters = "clusters";
    public const string Nodes = "nodes";
    public const string Links = "links";
    public const string Services = "services";
    public const string UserGroups = "userGroups";
    public const string Migrations = "migrations";
}
