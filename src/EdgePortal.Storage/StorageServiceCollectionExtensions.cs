using EdgePortal.Core.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>The LiteDB file and the repositories over it; the file opens (and upgrades) when first needed.</summary>
    public static IServiceCollection AddEdgePortalStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Path), $"{StorageOptions.Section}:Path must name a file.")
            .ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var path = sp.GetRequiredService<IOptions<StorageOptions>>().Value.Path;
            var root = sp.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;
            return new EdgeDatabase(Path.Combine(root, path), sp.GetRequiredService<ILogger<EdgeDatabase>>());
        });
        services.AddSingleton<IInventoryRepository, LiteDbInventoryRepository>();
        services.AddSingleton<IMigrationRepository, LiteDbMigrationRepository>();
        services.AddSingleton<EdgePortal.Core.Calibration.ICalibrationRepository, LiteDbCalibrationRepository>();
        services.AddSchedulingRepositories();
        services.AddSecurityRepositories();
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
