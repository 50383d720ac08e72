using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// Versioned schema migrations. Each version is one transaction recorded in <c>schema_migrations</c>; the whole run
/// holds a session advisory lock, so replicas starting together migrate once. A version, once released, never
/// changes: a later change is a new version.
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>The advisory lock key of schema migrations ("EPschema" as ASCII).</summary>
    private const long MigrationLock = 0x4550_7363_6865_6D61;

    private static readonly Migration[] Migrations =
    [
        new(1, "documents, leases, history and keys", Version1),
        new(2, "Quartz.NET clustered job store (qrtz_*), from Quartz's own PostgreSQL script", QuartzJobStore),
        new(3, "migrations by batch (the batch's plan on one page)", Version3),
    ];

    public static int CurrentVersion => Migrations[^1].Version;

    public static void Migrate(NpgsqlDataSource dataSource, string target, ILogger logger)
    {
        using var connection = dataSource.OpenConnection();
        Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLock})");
        try
        {
            Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version integer PRIMARY KEY,
                  description text NOT NULL,
                  applied_at timestamptz NOT NULL DEFAULT now())
                """);
            var applied = AppliedVersion(connection, null);
            if (applied > CurrentVersion)
                throw new InvalidOperationException(
                    $"The PostgreSQL database {target} has schema version {applied}, newer than this EdgePortal understands ({CurrentVersion}). " +
                    "Upgrade EdgePortal or point EdgePortal:Storage:ConnectionString at another database.");
            foreach (var migration in Migrations.Where(m => m.Version > applied))
            {
                using var transaction = connection.BeginTransaction();
                logger.LogInformation("Migrating PostgreSQL database {Target} to schema {Version}: {Description}", target, migration.Version, migration.Description);
                migration.Apply(connection, transaction);
                using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, description) VALUES (@v, @d)", connection, transaction);
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("d", migration.Description);
                record.ExecuteNonQuery();
                transaction.Commit();
            }
        }
        finally
        {
            Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLock})");
        }
    }

    public static int AppliedVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand(
            "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM schema_migrations) END",
            connection, transaction);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Version1(NpgsqlConnection connection, NpgsqlTransaction transaction) => Execute(connection, transaction, """
        CREATE TABLE change_counters (name text PRIMARY KEY, version bigint NOT NULL);
        INSERT INTO change_counters (name, version) VALUES ('inventory', 0), ('calibrations', 0);

        CREATE TABLE tenants (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE clusters (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE nodes (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE links (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE user_groups (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE services (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX services_tenant ON services (tenant_id);

        CREATE TABLE migrations (
          id uuid PRIMARY KEY,
          tenant_id uuid NOT NULL,
          cluster_id uuid NOT NULL,
          service_id uuid NOT NULL,
          source_node_id uuid NOT NULL,
          state text NOT NULL,
          created_ticks bigint NOT NULL,
          version bigint NOT NULL,
          doc jsonb NOT NULL,
          lease_owner text NULL,
          lease_token bigint NOT NULL DEFAULT 0,
          lease_expires_ticks bigint NULL);
        CREATE INDEX migrations_newest ON migrations (created_ticks DESC, id DESC);
        CREATE INDEX migrations_tenant ON migrations (tenant_id, created_ticks DESC, id DESC);
        CREATE INDEX migrations_cluster ON migrations (cluster_id, created_ticks DESC, id DESC);
        CREATE INDEX migrations_service ON migrations (service_id, created_ticks DESC, id DESC);
        CREATE INDEX migrations_unfinished ON migrations (created_ticks, id) WHERE state IN ('Queued', 'Running', 'RollingBack');

        CREATE TABLE schedules (id uuid PRIMARY KEY, doc jsonb NOT NULL);
        CREATE TABLE schedule_runs (id uuid PRIMARY KEY, schedule_id uuid NOT NULL, at_ticks bigint NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX schedule_runs_schedule ON schedule_runs (schedule_id, at_ticks DESC, id DESC);
        CREATE INDEX schedule_runs_time ON schedule_runs (at_ticks);
        CREATE TABLE maintenance_windows (id uuid PRIMARY KEY, cluster_id uuid NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX maintenance_windows_cluster ON maintenance_windows (cluster_id);
        CREATE TABLE automation_decisions (id uuid PRIMARY KEY, service_id uuid NOT NULL, at_ticks bigint NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX automation_decisions_newest ON automation_decisions (at_ticks DESC, id DESC);
        CREATE INDEX automation_decisions_service ON automation_decisions (service_id, at_ticks DESC, id DESC);
        CREATE TABLE drains (id uuid PRIMARY KEY, at_ticks bigint NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX drains_newest ON drains (at_ticks DESC, id DESC);

        CREATE TABLE users (id uuid PRIMARY KEY, user_name_key text NOT NULL UNIQUE, tenant_id uuid NULL, doc jsonb NOT NULL);
        CREATE INDEX users_tenant ON users (tenant_id);
        CREATE TABLE api_keys (id uuid PRIMARY KEY, hash text NOT NULL UNIQUE, tenant_id uuid NULL, created_ticks bigint NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
        -- seq: the entry's place in the hash chain (AuditChain), given under an advisory lock; unique backs that up.
        CREATE TABLE audit (
          id uuid PRIMARY KEY,
          seq bigint NOT NULL UNIQUE,
          at_ticks bigint NOT NULL,
          actor text NOT NULL,
          action text NOT NULL,
          tenant_id uuid NULL,
          doc jsonb NOT NULL);
        CREATE INDEX audit_newest ON audit (at_ticks DESC, id DESC);
        CREATE INDEX audit_action ON audit (action, at_ticks DESC, id DESC);
        CREATE INDEX audit_tenant ON audit (tenant_id, at_ticks DESC, id DESC);

        CREATE TABLE calibrations (id uuid PRIMARY KEY, host_class_key text NOT NULL, at_ticks bigint NOT NULL, doc jsonb NOT NULL);
        CREATE INDEX calibrations_newest ON calibrations (at_ticks DESC, id DESC);

        -- ASP.NET Core data-protection keys, shared so that a cookie issued by one replica is read by every other.
        CREATE TABLE data_protection_keys (friendly_name text PRIMARY KEY, xml text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
        """);

    private static void Version3(NpgsqlConnection connection, NpgsqlTransaction transaction) => Execute(connection, transaction, """
        CREATE INDEX migrations_batch ON migrations ((doc->>'batchId'), created_ticks DESC, id DESC) WHERE doc->>'batchId' IS NOT NULL;
        """);

    /// <summary>
    /// Quartz's clustered ADO.NET job store needs its tables before the scheduler starts. The script is the one the
    /// Quartz package embeds for PostgreSQL (what its own <c>CreateIfMissing</c> provisioning runs), so the tables
    /// match the Quartz version the portal ships with; '{0}' and '{1}' are its table-prefix placeholders and '--;;'
    /// separates its statements.
    /// </summary>
    private static void QuartzJobStore(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        const string resource = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";
        using var stream = typeof(Quartz.IScheduler).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The Quartz package no longer embeds {resource}; add the job store's tables by a migration of their own.");
        using var reader = new StreamReader(stream);
        var script = reader.ReadToEnd().Replace("{0}", QuartzTablePrefix, StringComparison.Ordinal).Replace("{1}", QuartzTablePrefix, StringComparison.Ordinal);
        var statement = new System.Text.StringBuilder();
        foreach (var line in script.Split('\n').Select(l => l.TrimEnd('\r')).Append("--;;"))
        {
            if (line.Trim() == "--;;")
            {
                if (statement.Length > 0)
                    Execute(connection, transaction, statement.ToString());
                statement.Clear();
            }
            else if (!line.TrimStart().StartsWith("--", StringComparison.Ordinal) && line.Trim().Length > 0)
                statement.AppendLine(line);
        }
    }

    /// <summary>The job store's table prefix (Quartz folds its unquoted upper-case names to these).</summary>
    public const string QuartzTablePrefix = PostgreSqlStorage.QuartzTablePrefix;

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private sealed record Migration(int Version, string Description, Action<NpgsqlConnection, NpgsqlTransaction> Apply);
}
