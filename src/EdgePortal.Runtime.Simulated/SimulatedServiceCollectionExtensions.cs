using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Runtime.Simulated;

public static class SimulatedServiceCollectionExtensions
{
    /// <summary>The embedded simulated edge: the demo seed on first start.</summary>
    public static IServiceCollection AddSimulatedEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SeedOptions>().Bind(configuration.GetSection(SeedOptions.Section)).ValidateOnStart();
        services.AddSingleton<DemoEdgeSeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoEdgeSeeder>());
        return services;
    }
}
