using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Agent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the DI namespace on purpose: the portal registers the runtime with one line and no using.
namespace Microsoft.Extensions.DependencyInjection;

public static class AgentEdgeServiceCollectionExtensions
{
    /// <summary>
    /// The runtime of <see cref="EdgePortal.Core.Domain.ClusterKind.Agent"/> clusters, configured under
    /// <c>EdgePortal:AgentEdge:Clusters:&lt;cluster name&gt;</c>; its probe is what the planner reads for those clusters
    /// (<see cref="RuntimeCapabilityCatalog"/>). With no cluster configured nothing is registered, so a portal without Agent clusters is unchanged.
    /// </summary>
    public static IServiceCollection AddAgentEdge(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(AgentEdgeOptions.Section);
        if (!section.GetSection("Clusters").GetChildren().Any())
            return services;
        services.AddOptions<AgentEdgeOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentEdgeOptions>, AgentEdgeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AgentEdgeRuntime>();
        services.AddSingleton<IEdgeRuntime>(sp => sp.GetRequiredService<AgentEdgeRuntime>());
        return services;
    }
}
