using EdgePortal.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// The planner, the engine (a hosted service), the runtimes' capabilities (probed in the background) and the live event stream. Runtimes and storage register
    /// themselves; the host provides IMeterFactory (ASP.NET Core does; elsewhere call AddMetrics()).
    /// </summary>
    public static IServiceCollection AddEdgePortalCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        // A single process's lock; a store shared by replicas (PostgreSQL) registers its own.
        services.TryAddSingleton<EdgePortal.Core.Domain.IReplicaLock, EdgePortal.Core.Domain.InProcessReplicaLock>();
        services.TryAddSingleton(_ => ReplicaIdentity.ForThisProcess());
        services.AddOptions<EngineOptions>().Bind(configuration.GetSection(EngineOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddOptions<Capacity.BurstPlanningOptions>().Bind(configuration.GetSection(Capacity.BurstPlanningOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Capacity.BurstPlanningOptions>, Capacity.BurstPlanningOptionsValidator>();

        services.AddOptions<Retention.RetentionOptions>().Bind(configuration.GetSection(Retention.RetentionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Retention.RetentionOptions>, Retention.RetentionOptionsValidator>();
        services.AddSingleton<Retention.HistoryRetention>();

        services.AddSingleton<MigrationEventBroadcaster>();
        services.AddSingleton<IMigrationEventPublisher>(sp => sp.GetRequiredService<MigrationEventBroadcaster>());
        services.AddSingleton<IMigrationEventStream>(sp => sp.GetRequiredService<MigrationEventBroadcaster>());
        services.AddSingleton<MigrationMetrics>();
        services.AddSingleton<Security.AuditTrail>();
        services.AddSingleton<MigrationEngine>();
        services.AddSingleton<MigrationCoordinator>();
        services.AddHostedService(sp => sp.GetRequiredService<MigrationEngine>());

        services.AddOptions<CapabilityOptions>().Bind(configuration.GetSection(CapabilityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CapabilityOptions>, CapabilityOptionsValidator>();
        services.AddSingleton<RuntimeCapabilityCatalog>();
        services.AddHostedService<RuntimeCapabilityRefresher>();
        return services;
    }
}
