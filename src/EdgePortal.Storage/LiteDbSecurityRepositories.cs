using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Storage;

/// <summary>Accounts and API keys: new collections without changing any existing document, so no upgrade step.</summary>
internal static class SecurityCollections
{
    public const string Users = "users";
    public const string ApiKeys = "apiKeys";
    public const string Audit = "audit";
    public const string AtTicks = "atTicks";
    public const string Sequence = "sequence";

    public static void EnsureIndexes(ILiteDatabase database)
    {
        var users = database.GetCollection(Users);
        users.EnsureIndex("userNameKey", "LOWER($.userName)", unique: true);
        users.EnsureIndex("tenantId", "$.tenantId");
        var keys = database.GetCollection(ApiKeys);
        keys.EnsureIndex("hash", "$.hash", unique: true);
        keys.EnsureIndex("tenantId", "$.tenantId");
        var audit = database.GetCollection(Audit);
        audit.EnsureIndex(AtTicks, "$." + AtTicks);
        audit.EnsureIndex("action", "$.action");
        audit.EnsureIndex("tenantId", "$.tenantId");
        // Two appends can never take one place in the chain.
        audit.EnsureIndex(Sequence, "$." + Sequence, unique: true);
    }

    public static IServiceCollection AddSecurityRepositories(this IServiceCollection services)
    {
        services.AddSingleton<IUserRepository, LiteDbUserRepository>();
        services.AddSingleton<IApiKeyRepository, LiteDbApiKeyRepository>();
        services.AddSingleton<IAuditLog, LiteDbAuditLog>();
        return services;
    }
}

internal sealed class LiteDbUserRepository(EdgeDatabase database) : IUserRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SecurityCollections.Users);

    public IReadOnlyList<PortalUser> List(Guid? tenant = null)
        => (tenant is { } t ? Collection.Find(Query.EQ("$.tenantId", t.ToString())) : Collection.FindAll())
            .Select(BsonJson.FromDocument<PortalUser>).OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).ToList();

    public PortalUser? Find(Guid id) => Collection.FindById(id) is { } d ? BsonJson.FromDocument<PortalUser>(d) : null;

    public PortalUser? FindByName(string userName)
        => Collection.FindOne(Query.EQ("LOWER($.userName)", userName.ToLowerInvariant())) is { } d ? BsonJson.FromDocument<PortalUser>(d) : null;

    public void Save(PortalUser user) => Collection.Upsert(BsonJson.ToDocument(user, user.Id));

    public bool Delete(Guid id) => Collection.Delete(id);

    public int Count() => Collection.Count();
}

internal sealed class LiteDbApiKeyRepository(EdgeDatabase database) : IApiKeyRepository
{
    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SecurityCollections.ApiKeys);

    public IReadOnlyList<ApiKey> List(Guid? tenant = null)
        => (tenant is { } t ? Collection.Find(Query.EQ("$.tenantId", t.ToString())) : Collection.FindAll())
            .Select(BsonJson.FromDocument<ApiKey>).OrderByDescending(k => k.CreatedAt).ToList();

    public ApiKey? Find(Guid id) => Collection.FindById(id) is { } d ? BsonJson.FromDocument<ApiKey>(d) : null;

    public ApiKey? FindByHash(string hash) => Collection.FindOne(Query.EQ("$.hash", hash)) is { } d ? BsonJson.FromDocument<ApiKey>(d) : null;

    public void Save(ApiKey key) => Collection.Upsert(BsonJson.ToDocument(key, key.Id));
}

/// <summary>
/// The audit collection: inserts only (an existing id is never overwritten), each linked to the head of the hash chain under
/// one lock (one process owns the LiteDB file), read newest first.
/// </summary>
internal sealed class LiteDbAuditLog(EdgeDatabase database) : IAuditLog
{
    private readonly Lock _append = new();

    private ILiteCollection<BsonDocument> Collection => database.Database.GetCollection(SecurityCollections.Audit);

    public AuditEntry Append(AuditEntry entry)
    {
        lock (_append)
        {
            var head = Collection.Query().OrderByDescending("$." + SecurityCollections.Sequence).Limit(1).FirstOrDefault() is { } last
                ? BsonJson.FromDocument<AuditEntry>(last) : null;
            var linked = AuditChain.Link(entry, head);
            Collection.Insert(ToDocument(linked));
            return linked;
        }
    }

    internal static BsonDocument ToDocument(AuditEntry entry)
    {
        var document = BsonJson.ToDocument(entry, entry.Id);
        document[SecurityCollections.AtTicks] = entry.At.UtcTicks;
        return document;
    }

    /// <remarks>
    /// Only the time bounds go to LiteDB, so that its time index carries the query newest first and stops after a page;
    /// action, tenant and actor filter the stream (a filter index would make LiteDB sort every matching entry first).
    /// </remarks>
    public IReadOnlyList<AuditEntry> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var q = Collection.Query();
        if (query.From is { } from)
            q = q.Where(LiteDB.Query.GTE("$." + SecurityCollections.AtTicks, from.UtcTicks));
        if (query.To is { } to)
            q = q.Where(LiteDB.Query.LTE("$." + SecurityCollections.AtTicks, to.UtcTicks));
        var action = string.IsNullOrWhiteSpace(query.Action) ? null : query.Action;
        var tenant = query.Tenant?.Value.ToString();
        var actor = string.IsNullOrWhiteSpace(query.Actor) ? null : query.Actor;
        bool Keep(BsonDocument d) => (action is null || d["action"].AsString == action) && (tenant is null || d["tenantId"].AsString == tenant)
            && (actor is null || d["actor"].AsString.Contains(actor, StringComparison.OrdinalIgnoreCase));
        return LiteDbPages.NewestFirst(q, SecurityCollections.AtTicks, query.Before, Math.Clamp(query.Limit, 1, 10_000), Keep)
            .Select(BsonJson.FromDocument<AuditEntry>).ToList();
    }

    public IReadOnlyList<AuditEntry> Chain(long afterSequence, int limit)
        => Collection.Query().Where(LiteDB.Query.GT("$." + SecurityCollections.Sequence, afterSequence))
            .OrderBy("$." + SecurityCollections.Sequence).Limit(Math.Clamp(limit, 1, 10_000)).ToEnumerable()
            .Select(BsonJson.FromDocument<AuditEntry>).ToList();
}
