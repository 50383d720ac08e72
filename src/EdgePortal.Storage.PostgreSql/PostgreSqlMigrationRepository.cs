using EdgePortal.Core.Domain;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

internal sealed class PostgreSqlMigrationRepository(PostgreSqlDatabase database) : IMigrationRepository
{
    /// <summary>The SQL list of the unfinished states, as the partial index spells it.</summary>
    internal const string UnfinishedSql = "('Queued', 'Running', 'RollingBack')";

    public void Save(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        using var connection = database.Open();
        // One statement: inserted, or updated only while the stored version is older (lease columns are left alone).
        using var command = new NpgsqlCommand("""
            INSERT INTO migrations (id, tenant_id, cluster_id, service_id, source_node_id, state, created_ticks, version, doc)
            VALUES (@id, @tenant, @cluster, @service, @source, @state, @created, @version, @doc)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, version = excluded.version, doc = excluded.doc
            WHERE migrations.version < excluded.version
            """, connection);
        command.Parameters.AddWithValue("id", migration.Id.Value);
        command.Parameters.AddWithValue("tenant", migration.TenantId.Value);
        command.Parameters.AddWithValue("cluster", migration.ClusterId.Value);
        command.Parameters.AddWithValue("service", migration.ServiceId.Value);
        command.Parameters.AddWithValue("source", migration.Source.Value);
        command.Parameters.AddWithValue("state", migration.State.ToString());
        command.Parameters.AddWithValue("created", migration.CreatedAt.UtcTicks);
        command.Parameters.AddWithValue("version", migration.Version);
        command.Parameters.Add(PostgreSqlDatabase.Jsonb("doc", PostgreSqlDatabase.Json(migration)));
        if (command.ExecuteNonQuery() == 1)
            return;
        using var stored = new NpgsqlCommand("SELECT version FROM migrations WHERE id = @id", connection);
        stored.Parameters.AddWithValue("id", migration.Id.Value);
        throw ConcurrencyConflictException.StaleMigration(migration.Id, migration.Version, (long)stored.ExecuteScalar()!);
    }

    public Migration? Find(MigrationId id) => Documents.Find<Migration>(database, "migrations", id.Value);

    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        var parameters = new List<NpgsqlParameter>();
        if (query.Tenant is { } tenant)
            Filter("tenant_id", tenant.Value);
        if (query.Cluster is { } cluster)
            Filter("cluster_id", cluster.Value);
        if (query.Service is { } service)
            Filter("service_id", service.Value);
        if (query.Batch is { } batch)
        {
            // The expression index of schema 3 (migrations_batch) carries it.
            where.Add("doc->>'batchId' = @batch");
            parameters.Add(new NpgsqlParameter("batch", batch.Value.ToString()));
        }
        if (query.States is { Count: > 0 } states)
        {
            where.Add("state = ANY(@states)");
            parameters.Add(new NpgsqlParameter("states", states.Select(s => s.ToString()).ToArray()));
        }
        var sql = Documents.NewestFirst("migrations", "created_ticks", where, parameters, query.Before, query.Limit);
        return database.Query<Migration>(sql, [.. parameters]);

        void Filter(string column, Guid value)
        {
            where.Add($"{column} = @{column}");
            parameters.Add(new NpgsqlParameter(column, value));
        }
    }

    public IReadOnlyList<Migration> Unfinished()
        => database.Query<Migration>($"SELECT doc FROM migrations WHERE state IN {UnfinishedSql} ORDER BY created_ticks, id");
}
