using EdgePortal.Core.Domain;
using NpgsqlTypes;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// Writes finished migrations in bulk with PostgreSQL's binary COPY (no version check): how the history bench fills a
/// database with years of history in minutes. Not for a running portal's own writes.
/// </summary>
public static class PostgreSqlHistoryLoader
{
    public static void Load(PostgreSqlDatabase database, IEnumerable<Migration> migrations)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(migrations);
        using var connection = database.Open();
        using (var copy = connection.BeginBinaryImport(
            "COPY migrations (id, tenant_id, cluster_id, service_id, source_node_id, state, created_ticks, version, doc) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var m in migrations)
            {
                copy.StartRow();
                copy.Write(m.Id.Value, NpgsqlDbType.Uuid);
                copy.Write(m.TenantId.Value, NpgsqlDbType.Uuid);
                copy.Write(m.ClusterId.Value, NpgsqlDbType.Uuid);
                copy.Write(m.ServiceId.Value, NpgsqlDbType.Uuid);
                copy.Write(m.Source.Value, NpgsqlDbType.Uuid);
                copy.Write(m.State.ToString(), NpgsqlDbType.Text);
                copy.Write(m.CreatedAt.UtcTicks, NpgsqlDbType.Bigint);
                copy.Write(m.Version, NpgsqlDbType.Bigint);
                copy.Write(PostgreSqlDatabase.Json(m), NpgsqlDbType.Jsonb);
            }
            copy.Complete();
        }
        using var analyze = new Npgsql.NpgsqlCommand("ANALYZE migrations", connection);
        analyze.ExecuteNonQuery();
    }
}
