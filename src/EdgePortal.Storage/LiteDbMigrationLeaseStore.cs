using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

/// <summary>
/// Leases in a collection of their own (one document per leased migration: owner, token, expiry, and the cluster,
/// source node and tenant the limits count by), so that saving the aggregate never touches them. A LiteDB file has one
/// process, so a claim is atomic under the database's write gate.
/// </summary>
internal sealed class LiteDbMigrationLeaseStore(EdgeDatabase database) : IMigrationLeaseStore
{
    public const string Collection = "migrationLeases";
    private const string ExpiresTicks = "expiresTicks";

    private ILiteCollection<BsonDocument> Leases => database.Database.GetCollection(Collection);
    private ILiteCollection<BsonDocument> Migrations => database.Database.GetCollection(Collections.Migrations);

    public static void EnsureIndexes(ILiteDatabase db) => db.GetCollection(Collection).EnsureIndex(ExpiresTicks, "$." + ExpiresTicks);

    /// <summary>
    /// A LiteDB file has one process, so every lease found when it opens was held by that process's previous life (a crash
    /// or a kill): they are released, so that the restarted engine resumes or rolls its migrations back at once rather
    /// than after the lease duration. Tokens stay, so later claims still get larger ones.
    /// </summary>
    public static void ReleasePreviousLife(ILiteDatabase db)
    {
        var leases = db.GetCollection(Collection);
        foreach (var lease in leases.Find(Query.GT("$." + ExpiresTicks, 0L)).ToList())
        {
            lease["owner"] = BsonValue.Null;
            lease[ExpiresTicks] = 0L;
            leases.Update(lease);
        }
    }

    public IReadOnlyList<MigrationLease> ClaimQueued(string owner, DateTimeOffset now, TimeSpan duration, ClaimLimits limits, int max, ClaimScope? scope = null)
    {
        Validate(owner, duration);
        ArgumentNullException.ThrowIfNull(limits);
        lock (database.WriteGate)
        {
            var held = ActiveDocuments(now);
            var perCluster = Count(held.Values, "clusterId");
            var perNode = Count(held.Values, "sourceNodeId");
            var perTenant = Count(held.Values, "tenantId");
            var claimed = new List<MigrationLease>();
            var queued = Migrations.Query().Where(Query.EQ("$.state", nameof(MigrationState.Queued)))
                .OrderBy("$." + LiteDbMigrationRepository.CreatedAtTicks).ToEnumerable()
                .Select(d => BsonJson.FromDocument<Migration>(d)).OrderBy(m => MigrationQuery.CursorOf(m)).ToList();
            foreach (var migration in queued)
            {
                if (claimed.Count >= max)
                    break;
                if (held.ContainsKey(migration.Id.Value) || scope?.Allows(migration) == false)
                    continue;
                var cluster = migration.ClusterId.ToString();
                var node = migration.Source.ToString();
                var tenant = migration.TenantId.ToString();
                if (perCluster.GetValueOrDefault(cluster) >= limits.MaxPerCluster || perNode.GetValueOrDefault(node) >= limits.MaxOutboundPerNode
                    || limits.TenantLimit(migration.TenantId) is { } tenantMax && perTenant.GetValueOrDefault(tenant) >= tenantMax)
                    continue;
                claimed.Add(Claim(migration, owner, now, duration));
                perCluster[cluster] = perCluster.GetValueOrDefault(cluster) + 1;
                perNode[node] = perNode.GetValueOrDefault(node) + 1;
                perTenant[tenant] = perTenant.GetValueOrDefault(tenant) + 1;
            }
            return claimed;
        }
    }

    public IReadOnlyList<MigrationLease> ClaimAbandoned(string owner, DateTimeOffset now, TimeSpan duration, int max)
    {
        Validate(owner, duration);
        lock (database.WriteGate)
        {
            var held = ActiveDocuments(now);
            return Migrations.Query()
                .Where(Query.In("$.state", new BsonValue(nameof(MigrationState.Running)), new BsonValue(nameof(MigrationState.RollingBack))))
                .ToEnumerable().Where(d => !held.ContainsKey(d["_id"].AsGuid)).Select(d => BsonJson.FromDocument<Migration>(d))
                .OrderBy(m => MigrationQuery.CursorOf(m)).Take(max).Select(m => Claim(m, owner, now, duration)).ToList();
        }
    }

    public MigrationLease? Renew(MigrationLease lease, DateTimeOffset now, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Validate(lease.Owner, duration);
        lock (database.WriteGate)
        {
            if (!Holds(lease, out var document))
                return null;
            document[ExpiresTicks] = (now + duration).UtcTicks;
            Leases.Update(document);
            return lease with { ExpiresAt = now + duration };
        }
    }

    public bool Release(MigrationLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (database.WriteGate)
        {
            if (!Holds(lease, out var document))
                return false;
            // The token stays, so that the next claim's token is still larger than every one handed out before.
            document["owner"] = BsonValue.Null;
            document[ExpiresTicks] = 0L;
            Leases.Update(document);
            return true;
        }
    }

    public IReadOnlyList<MigrationLease> Active(DateTimeOffset now)
    {
        lock (database.WriteGate)
            return ActiveDocuments(now).Values.Select(ToLease).OrderBy(l => l.MigrationId.Value.ToString("d"), StringComparer.Ordinal).ToList();
    }

    /// <summary>Unexpired, held leases of unfinished migrations, by migration id.</summary>
    private Dictionary<Guid, BsonDocument> ActiveDocuments(DateTimeOffset now)
    {
        var active = new Dictionary<Guid, BsonDocument>();
        foreach (var lease in Leases.Find(Query.GT("$." + ExpiresTicks, now.UtcTicks)))
        {
            if (lease["owner"].IsNull)
                continue;
            var state = Migrations.FindById(lease["_id"]) is { } migration ? Enum.Parse<MigrationState>(migration["state"].AsString) : MigrationState.Completed;
            if (LiteDbMigrationRepository.UnfinishedStates.Contains(state))
                active[lease["_id"].AsGuid] = lease;
        }
        return active;
    }

    private MigrationLease Claim(Migration migration, string owner, DateTimeOffset now, TimeSpan duration)
    {
        var token = Leases.FindById(migration.Id.Value) is { } previous ? previous["token"].AsInt64 + 1 : 1L;
        var document = new BsonDocument
        {
            ["_id"] = migration.Id.Value,
            ["owner"] = owner,
            ["token"] = token,
            [ExpiresTicks] = (now + duration).UtcTicks,
            ["clusterId"] = migration.ClusterId.ToString(),
            ["sourceNodeId"] = migration.Source.ToString(),
            ["tenantId"] = migration.TenantId.ToString(),
        };
        Leases.Upsert(document);
        return ToLease(document);
    }

    private bool Holds(MigrationLease lease, out BsonDocument document)
    {
        document = Leases.FindById(lease.MigrationId.Value);
        return document is not null && !document["owner"].IsNull && document["owner"].AsString == lease.Owner && document["token"].AsInt64 == lease.Token;
    }

    private static MigrationLease ToLease(BsonDocument document)
        => new(MigrationId.From(document["_id"].AsGuid), document["owner"].AsString, document["token"].AsInt64,
            new DateTimeOffset(document[ExpiresTicks].AsInt64, TimeSpan.Zero));

    private static Dictionary<string, int> Count(IEnumerable<BsonDocument> leases, string field)
        => leases.GroupBy(l => l[field].AsString).ToDictionary(g => g.Key, g => g.Count());

    private static void Validate(string owner, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
    }
}
