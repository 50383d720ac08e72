using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Storage.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The repositories over the configured store: a LiteDB file (<c>EdgePortal:Storage:Provider = LiteDb</c>, the
    /// default; it opens and upgrades when first needed) or PostgreSQL (<c>PostgreSql</c>, with
    /// <c>EdgePortal:Storage:ConnectionString</c>; its schema migrations run at start under an advisory lock).
    /// </summary>
    public static IServiceCollection AddEdgePortalStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        var configured = StorageOptions.Read(configuration);
        if (configured.Provider == StorageProvider.PostgreSql && !string.IsNullOrWhiteSpace(configured.ConnectionString))
            return services.AddPostgreSqlStorage(configured.ConnectionString);
        return services.AddLiteDbStorage();
    }

    private static IServiceCollection AddLiteDbStorage(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var path = sp.GetRequiredService<IOptions<StorageOptions>>().Value.Path;
            var root = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;
            return new EdgeDatabase(Path.Combine(root, path), sp.GetRequiredService<ILogger<EdgeDatabase>>());
        });
        services.AddSingleton<IInventoryRepository, LiteDbInventoryRepository>();
        services.AddSingleton<IMigrationRepository, LiteDbMigrationRepository>();
        services.AddSingleton<IMigrationLeaseStore, LiteDbMigrationLeaseStore>();
        services.AddSingleton<IHistoryPruner, LiteDbHistoryPruner>();
        services.AddSingleton<ICalibrationRepository, LiteDbCalibrationRepository>();
        services.AddSchedulingRepositories();
        services.AddSecurityRepositories();
        return services;
    }

    /// <summary>LiteDB's explicit log checkpoints, for a host that runs (the portal; not a one-off command).</summary>
    public static IServiceCollection AddLiteDbUpkeep(this IServiceCollection services)
    {
        services.AddSingleton<LiteDbUpkeep>();
        services.AddHostedService(sp => sp.GetRequiredService<LiteDbUpkeep>());
        return services;
    }
}

/// <summary>Ready when the LiteDB file is open and at the current schema.</summary>
public sealed class DatabaseHealthCheck(EdgeDatabase database) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(database.Ping()
                ? HealthCheckResult.Healthy($"LiteDB {database.Path} open at schema {EdgeDatabase.CurrentVersion}")
                : HealthCheckResult.Unhealthy($"LiteDB {database.Path} is at an unexpected schema version"));
        }
        catch (Exception e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"LiteDB {database.Path} cannot be read", e));
        }
    }
}
