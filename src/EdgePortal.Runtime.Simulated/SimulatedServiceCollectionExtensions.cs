using EdgePortal.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

public static class SimulatedServiceCollectionExtensions
{
    /// <summary>
    /// The embedded simulated edge: the demo seed on first start, and the digital twin that runs the steps of
    /// migrations on <see cref="EdgePortal.Core.Domain.ClusterKind.Simulated"/> clusters (options in <c>EdgePortal:Simulator</c>).
    /// </summary>
    public static IServiceCollection AddSimulatedEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SeedOptions>().Bind(configuration.GetSection(SeedOptions.Section)).ValidateOnStart();
        services.AddSingleton<DemoEdgeSeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoEdgeSeeder>());

        services.AddOptions<SimulatorOptions>().Bind(configuration.GetSection(SimulatorOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SimulatedEdge>();
        services.AddSingleton<IEdgeRuntime, SimulatedEdgeRuntime>();
        services.AddUserMobility(configuration);
        return services;
    }
}
