using EdgePortal.Core.Execution;
using EdgePortal.Storage;
using EdgePortal.Storage.PostgreSql;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// What lets several portal replicas act as one: with <c>EdgePortal:Redis:Configuration</c>, the SignalR Redis
/// backplane (a hub client on any replica gets every event), the live event stream relayed through Redis (pages on
/// any replica see migrations another runs) and cancels carried to the replica that drives the migration; with PostgreSQL storage, data-protection keys in the database (a cookie
/// from one replica works on every other); and readiness that names each dependency.
/// </summary>
public static class ReplicaHosting
{
    public static IServiceCollection AddEdgePortalReplicas(this IServiceCollection services, IConfiguration configuration, ISignalRServerBuilder signalR,
        IHealthChecksBuilder health, string readyTag)
    {
        ArgumentNullException.ThrowIfNull(signalR);
        ArgumentNullException.ThrowIfNull(health);
        services.AddOptions<RedisOptions>().Bind(configuration.GetSection(RedisOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();

        if (StorageOptions.Read(configuration).Provider == StorageProvider.PostgreSql)
            health.AddCheck<PostgreSqlHealthCheck>("postgresql", tags: [readyTag]);
        else
        {
            health.AddCheck<DatabaseHealthCheck>("database", tags: [readyTag]);
            services.AddLiteDbUpkeep();
        }

        var redis = RedisOptions.Read(configuration);
        if (redis.Enabled)
        {
            services.AddSingleton<RedisConnection>();
            services.AddSingleton<RedisMigrationEventRelay>();
            services.AddSingleton<IMigrationEventPublisher>(sp => sp.GetRequiredService<RedisMigrationEventRelay>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisMigrationEventRelay>());
            services.AddSingleton<RedisCancelRelay>();
            services.AddSingleton<IMigrationCancelForwarder>(sp => sp.GetRequiredService<RedisCancelRelay>());
            services.AddHostedService(sp => sp.GetRequiredService<RedisCancelRelay>());
            signalR.AddStackExchangeRedis(redis.Configuration!, o =>
            {
                o.Configuration.ChannelPrefix = RedisChannel.Literal("edgeportal");
                o.Configuration.AbortOnConnectFail = false;
            });
            health.AddCheck<RedisHealthCheck>("redis", tags: [readyTag]);
        }
        return services;
    }

    /// <summary>Keeps the data-protection keys in PostgreSQL, where every replica reads them.</summary>
    public static IDataProtectionBuilder PersistKeysToPostgreSql(this IDataProtectionBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<PostgreSqlDatabase>((options, database) => options.XmlRepository = new PostgreSqlXmlRepository(database));
        return builder;
    }
}
