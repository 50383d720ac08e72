using EdgePortal.Core.Domain;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// Leases as columns of the migration's row (owner, token, expiry in UTC ticks), untouched by saves of the aggregate.
/// A claim of queued migrations takes a transaction-scoped advisory lock, so that claims by several replicas are
/// counted against the limits one after the other; rows are read <c>FOR UPDATE SKIP LOCKED</c>, so a claim never
/// waits behind a row another transaction is writing.
/// </summary>
internal sealed class PostgreSqlMigrationLeaseStore(PostgreSqlDatabase database) : IMigrationLeaseStore
{
    /// <summary>The advisory lock key of claims ("EPclaims" as ASCII).</summary>
    private const long ClaimLock = 0x4550_636C_6169_6D73;

    private const string Held = $"lease_owner IS NOT NULL AND lease_expires_ticks > @now AND state IN {PostgreSqlMigrationRepository.UnfinishedSql}";
    private const string Free = "(lease_owner IS NULL OR lease_expires_ticks <= @now)";

    public IReadOnlyList<MigrationLease> ClaimQueued(string owner, DateTimeOffset now, TimeSpan duration, ClaimLimits limits, int max, ClaimScope? scope = null)
    {
        Validate(owner, duration);
        ArgumentNullException.ThrowIfNull(limits);
        if (max <= 0)
            return [];
        return database.InTransaction((connection, transaction) =>
        {
            Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({ClaimLock})");
            var perCluster = new Dictionary<Guid, int>();
            var perNode = new Dictionary<Guid, int>();
            var perTenant = new Dictionary<Guid, int>();
            foreach (var (_, cluster, node, tenant) in Rows(connection, transaction, $"SELECT id, cluster_id, source_node_id, tenant_id FROM migrations WHERE {Held}", now))
                Count(cluster, node, tenant);
            var chosen = new List<Guid>();
            var scoped = scope is null ? "" : " AND (created_ticks <= @before OR id = ANY(@own)) AND NOT (id = ANY(@held))";
            foreach (var (id, cluster, node, tenant) in Rows(connection, transaction,
                $"SELECT id, cluster_id, source_node_id, tenant_id FROM migrations WHERE state = 'Queued' AND {Free}{scoped} ORDER BY created_ticks, id FOR UPDATE SKIP LOCKED", now,
                scope is null ? null : command =>
                {
                    command.Parameters.AddWithValue("before", scope.OthersQueuedBefore.UtcTicks);
                    command.Parameters.AddWithValue("own", scope.Own.Select(m => m.Value).ToArray());
                    command.Parameters.AddWithValue("held", scope.Held.Select(m => m.Value).ToArray());
                }))
            {
                if (chosen.Count >= max)
                    break;
                if (perCluster.GetValueOrDefault(cluster) >= limits.MaxPerCluster || perNode.GetValueOrDefault(node) >= limits.MaxOutboundPerNode
                    || limits.TenantLimit(TenantId.From(tenant)) is { } tenantMax && perTenant.GetValueOrDefault(tenant) >= tenantMax)
                    continue;
                chosen.Add(id);
                Count(cluster, node, tenant);
            }
            return Take(connection, transaction, chosen, owner, now + duration);

            void Count(Guid cluster, Guid node, Guid tenant)
            {
                perCluster[cluster] = perCluster.GetValueOrDefault(cluster) + 1;
                perNode[node] = perNode.GetValueOrDefault(node) + 1;
                perTenant[tenant] = perTenant.GetValueOrDefault(tenant) + 1;
            }
        });
    }

    public IReadOnlyList<MigrationLease> ClaimAbandoned(string owner, DateTimeOffset now, TimeSpan duration, int max)
    {
        Validate(owner, duration);
        if (max <= 0)
            return [];
        return database.InTransaction((connection, transaction) =>
        {
            var ids = Rows(connection, transaction,
                    $"SELECT id, cluster_id, source_node_id, tenant_id FROM migrations WHERE state IN ('Running', 'RollingBack') AND {Free} ORDER BY created_ticks, id LIMIT {max} FOR UPDATE SKIP LOCKED", now)
                .Select(r => r.Id).ToList();
            return Take(connection, transaction, ids, owner, now + duration);
        });
    }

    public MigrationLease? Renew(MigrationLease lease, DateTimeOffset now, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Validate(lease.Owner, duration);
        using var connection = database.Open();
        using var command = new NpgsqlCommand(
            "UPDATE migrations SET lease_expires_ticks = @expires WHERE id = @id AND lease_owner = @owner AND lease_token = @token", connection);
        Identify(command, lease);
        command.Parameters.AddWithValue("expires", (now + duration).UtcTicks);
        return command.ExecuteNonQuery() == 1 ? lease with { ExpiresAt = now + duration } : null;
    }

    public bool Release(MigrationLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var connection = database.Open();
        using var command = new NpgsqlCommand(
            "UPDATE migrations SET lease_owner = NULL, lease_expires_ticks = NULL WHERE id = @id AND lease_owner = @owner AND lease_token = @token", connection);
        Identify(command, lease);
        return command.ExecuteNonQuery() == 1;
    }

    public IReadOnlyList<MigrationLease> Active(DateTimeOffset now)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand($"SELECT id, lease_owner, lease_token, lease_expires_ticks FROM migrations WHERE {Held} ORDER BY id", connection);
        command.Parameters.AddWithValue("now", now.UtcTicks);
        return ReadLeases(command);
    }

    /// <summary>Gives the chosen rows to <paramref name="owner"/>, each with a token one above its last.</summary>
    private static List<MigrationLease> Take(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Guid> ids, string owner, DateTimeOffset expires)
    {
        if (ids.Count == 0)
            return [];
        using var command = new NpgsqlCommand("""
            UPDATE migrations SET lease_owner = @owner, lease_token = lease_token + 1, lease_expires_ticks = @expires
            WHERE id = ANY(@ids) RETURNING id, lease_owner, lease_token, lease_expires_ticks
            """, connection, transaction);
        command.Parameters.AddWithValue("owner", owner);
        command.Parameters.AddWithValue("expires", expires.UtcTicks);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        var leases = ReadLeases(command).ToDictionary(l => l.MigrationId.Value);
        return ids.Select(id => leases[id]).ToList();
    }

    private static List<MigrationLease> ReadLeases(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var leases = new List<MigrationLease>();
        while (reader.Read())
            leases.Add(new MigrationLease(MigrationId.From(reader.GetGuid(0)), reader.GetString(1), reader.GetInt64(2),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
        return leases;
    }

    private static List<(Guid Id, Guid Cluster, Guid Node, Guid Tenant)> Rows(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, DateTimeOffset now,
        Action<NpgsqlCommand>? bind = null)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("now", now.UtcTicks);
        bind?.Invoke(command);
        using var reader = command.ExecuteReader();
        var rows = new List<(Guid, Guid, Guid, Guid)>();
        while (reader.Read())
            rows.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3)));
        return rows;
    }

    private static void Identify(NpgsqlCommand command, MigrationLease lease)
    {
        command.Parameters.AddWithValue("id", lease.MigrationId.Value);
        command.Parameters.AddWithValue("owner", lease.Owner);
        command.Parameters.AddWithValue("token", lease.Token);
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static void Validate(string owner, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
    }
}
