using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

public static class PostgreSqlStorage
{
    /// <summary>The table prefix of Quartz's clustered job store, whose tables the schema migrations create.</summary>
    public const string QuartzTablePrefix = "qrtz_";

    /// <summary>
    /// Every storage port over one PostgreSQL database, and a hosted service that opens it (running the schema
    /// migrations) at start, before the scheduler and anything else that needs the tables.
    /// </summary>
    public static IServiceCollection AddPostgreSqlStorage(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton(sp => new PostgreSqlDatabase(connectionString, sp.GetRequiredService<ILogger<PostgreSqlDatabase>>()));
        services.AddHostedService<PostgreSqlSchemaStartup>();
        services.AddSingleton<IInventoryRepository, PostgreSqlInventoryRepository>();
        services.AddSingleton<IMigrationRepository, PostgreSqlMigrationRepository>();
        services.AddSingleton<IMigrationLeaseStore, PostgreSqlMigrationLeaseStore>();
        services.AddSingleton<IHistoryPruner, PostgreSqlHistoryPruner>();
        services.AddSingleton<ICalibrationRepository, PostgreSqlCalibrationRepository>();
        services.AddSingleton<IScheduleRepository, PostgreSqlScheduleRepository>();
        services.AddSingleton<IMaintenanceWindowRepository, PostgreSqlMaintenanceWindowRepository>();
        services.AddSingleton<IAutomationDecisionRepository, PostgreSqlAutomationDecisionRepository>();
        services.AddSingleton<IDrainRepository, PostgreSqlDrainRepository>();
        services.AddSingleton<IUserRepository, PostgreSqlUserRepository>();
        services.AddSingleton<IApiKeyRepository, PostgreSqlApiKeyRepository>();
        services.AddSingleton<IAuditLog, PostgreSqlAuditLog>();
        services.AddSingleton<IReplicaLock, PostgreSqlReplicaLock>();
        return services;
    }

    /// <summary>Opens the database (and so migrates it) when the host starts, not at the first request.</summary>
    private sealed class PostgreSqlSchemaStartup(PostgreSqlDatabase database) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = database.Target;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Ready when PostgreSQL answers a query and its schema is at the version this EdgePortal needs.</summary>
public sealed class PostgreSqlHealthCheck(PostgreSqlDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => ProbeAsync(database.DataSource, database.Target, cancellationToken);

    /// <summary>One query through <paramref name="dataSource"/>: the schema version, or why there is no answer.</summary>
    public static async Task<HealthCheckResult> ProbeAsync(NpgsqlDataSource dataSource, string target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_migrations", connection);
            var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            return version == PostgreSqlSchema.CurrentVersion
                ? HealthCheckResult.Healthy($"PostgreSQL {target} at schema {version}")
                : HealthCheckResult.Unhealthy($"PostgreSQL {target} is at schema {version}, not {PostgreSqlSchema.CurrentVersion}");
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL {target} does not answer: {e.Message}", e);
        }
    }
}
