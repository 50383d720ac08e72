using EdgePortal.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// The runtime of <see cref="EdgePortal.Core.Domain.ClusterKind.Kubernetes"/> clusters, configured under
    /// <c>EdgePortal:Kubernetes:Clusters:&lt;cluster name&gt;</c>. With no cluster configured nothing is registered, so a
    /// portal without Kubernetes clusters (the demo) is unchanged.
    /// </summary>
    public static IServiceCollection AddKubernetesEdge(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(KubernetesEdgeOptions.Section);
        if (!section.GetSection("Clusters").GetChildren().Any())
            return services;
        services.AddOptions<KubernetesEdgeOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KubernetesEdgeOptions>, KubernetesEdgeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKubernetesClients, KubernetesClients>();
        services.AddSingleton<IEdgeRuntime, KubernetesEdgeRuntime>();
        return services;
    }
}
