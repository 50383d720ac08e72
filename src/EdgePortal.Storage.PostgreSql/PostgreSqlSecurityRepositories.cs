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
/// The audit table: inserts only (an existing id is refused, never overwritten), read newest first. Besides the
/// document it keeps <c>seq</c>, the order of appending, for whatever chains the entries together.
/// </summary>
internal sealed class PostgreSqlAuditLog(PostgreSqlDatabase database) : IAuditLog
{
    public void Append(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var connection = database.Open();
        using var command = new NpgsqlCommand(
            "INSERT INTO audit (id, at_ticks, actor, action, tenant_id, doc) VALUES (@id, @at, @actor, @action, @tenant, @doc)", connection);
        command.Parameters.AddWithValue("id", entry.Id);
        command.Parameters.AddWithValue("at", entry.At.UtcTicks);
        command.Parameters.AddWithValue("actor", entry.Actor);
        command.Parameters.AddWithValue("action", entry.Action);
        command.Parameters.AddWithValue("tenant", (object?)entry.TenantId ?? DBNull.Value);
        command.Parameters.Add(PostgreSqlDatabase.Jsonb("doc", PostgreSqlDatabase.Json(entry)));
        command.ExecuteNonQuery();
    }

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
