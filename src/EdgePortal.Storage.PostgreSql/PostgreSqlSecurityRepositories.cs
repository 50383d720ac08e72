using EdgePortal.Core.Security;
using Npgsql;
using static EdgePortal.Storage.PostgreSql.Documents;

namespace EdgePortal.Storage.PostgreSql;

internal sealed class PostgreSqlUserRepository(PostgreSqlDatabase database) : IUserRepository
{
    public IReadOnlyList<PortalUser> List(Guid? tenant = null)
        => (tenant is { } t
                ? database.Query<PortalUser>("SELECT doc FROM users WHERE tenant_id = @tenant", new NpgsqlParameter("tenant", t))
                : All<PortalUser>(database, "users"))
            .OrderBy(u => u.UserName, StringComparer.OrdinalIgnoreCase).ToList();

    public PortalUser? Find(Guid id) => Find<PortalUser>(database, "users", id);

    public PortalUser? FindByName(string userName)
        => database.Query<PortalUser>("SELECT doc FROM users WHERE user_name_key = @key", new NpgsqlParameter("key", userName.ToLowerInvariant())).FirstOrDefault();

    public void Save(PortalUser user)
        => Upsert(database, "users", user.Id, user, new Column("user_name_key", user.UserName.ToLowerInvariant()), new Column("tenant_id", user.TenantId));

    public bool Delete(Guid id) => Documents.Delete(database, "users", id);

    public int Count() => (int)Scalar(database, "SELECT count(*) FROM users");
}

internal sealed class PostgreSqlApiKeyRepository(PostgreSqlDatabase database) : IApiKeyRepository
{
    public IReadOnlyList<ApiKey> List(Guid? tenant = null)
        => (tenant is { } t
                ? database.Query<ApiKey>("SELECT doc FROM api_keys WHERE tenant_id = @tenant", new NpgsqlParameter("tenant", t))
                : All<ApiKey>(database, "api_keys"))
            .OrderByDescending(k => k.CreatedAt).ToList();

    public ApiKey? Find(Guid id) => Find<ApiKey>(database, "api_keys", id);

    public ApiKey? FindByHash(string hash) => database.Query<ApiKey>("SELECT doc FROM api_keys WHERE hash = @hash", new NpgsqlParameter("hash", hash)).FirstOrDefault();

    public void Save(ApiKey key)
        => Upsert(database, "api_keys", key.Id, key, new Column("hash", key.Hash), new Column("tenant_id", key.TenantId), new Column("created_ticks", key.CreatedAt.UtcTicks));
}

/// <summary>
/// The audit table: inserts only (an existing id is refused, never overwritten), read newest first, hash-chained. An
/// append takes a transaction advisory lock, reads the head (highest <c>seq</c>) and stores <see cref="AuditChain.Link"/>
/// of the entry to it, so replicas appending at once never fork the chain; the unique <c>seq</c> backs that up.
/// </summary>
internal sealed class PostgreSqlAuditLog(PostgreSqlDatabase database) : IAuditLog
{
    /// <summary>The advisory lock key of audit appends ("EPaudit!" as ASCII).</summary>
    private const long AppendLock = 0x4550_6175_6469_7421;

    public AuditEntry Append(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return database.InTransaction((connection, transaction) =>
        {
            using (var gate = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({AppendLock})", connection, transaction))
                gate.ExecuteNonQuery();
            var head = Documents.Query<AuditEntry>(connection, transaction, "SELECT doc FROM audit ORDER BY seq DESC LIMIT 1").FirstOrDefault();
            var linked = AuditChain.Link(entry, head);
            using var command = new NpgsqlCommand(
                "INSERT INTO audit (id, seq, at_ticks, actor, action, tenant_id, doc) VALUES (@id, @seq, @at, @actor, @action, @tenant, @doc)", connection, transaction);
            command.Parameters.AddWithValue("id", linked.Id);
            command.Parameters.AddWithValue("seq", linked.Sequence);
            command.Parameters.AddWithValue("at", linked.At.UtcTicks);
            command.Parameters.AddWithValue("actor", linked.Actor);
            command.Parameters.AddWithValue("action", linked.Action);
            command.Parameters.AddWithValue("tenant", (object?)linked.TenantId ?? DBNull.Value);
            command.Parameters.Add(PostgreSqlDatabase.Jsonb("doc", PostgreSqlDatabase.Json(linked)));
            command.ExecuteNonQuery();
            return linked;
        });
    }

    public IReadOnlyList<AuditEntry> Chain(long afterSequence, int limit)
        => database.Query<AuditEntry>("SELECT doc FROM audit WHERE seq > @after ORDER BY seq LIMIT @limit",
            new NpgsqlParameter("after", afterSequence), new NpgsqlParameter("limit", (long)Math.Clamp(limit, 1, 10_000)));

    public IReadOnlyList<AuditEntry> Query(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        if (query.From is { } from)
            Add("at_ticks >= @from", "from", from.UtcTicks);
        if (query.To is { } to)
            Add("at_ticks <= @to", "to", to.UtcTicks);
        if (!string.IsNullOrWhiteSpace(query.Action))
            Add("action = @action", "action", query.Action);
        if (query.Tenant is { } tenant)
            Add("tenant_id = @tenant", "tenant", tenant.Value);
        if (!string.IsNullOrWhiteSpace(query.Actor))
            Add("strpos(lower(actor), lower(@actor)) > 0", "actor", query.Actor);
        var sql = NewestFirst("audit", "at_ticks", where, parameters, query.Before, Math.Clamp(query.Limit, 1, 10_000));
        return database.Query<AuditEntry>(sql, [.. parameters]);

        void Add(string condition, string name, object value)
        {
            where.Add(condition);
            parameters.Add(new NpgsqlParameter(name, value));
        }
    }
}
