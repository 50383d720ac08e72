using EdgePortal.Agent.Oci;
using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

public static class AgentHosting
{
    /// <summary>Everything the agent registers: options (validated at start), the registry client, peer streaming, progress.</summary>
    public static WebApplicationBuilder AddEdgePortalAgent(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AgentOptions>().Bind(builder.Configuration.GetSection(AgentOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TransferTracker>();
        services.AddSingleton<Criu.CriuWorkloads>();
        services.AddSingleton<Images.CriuImageStore>();
        services.AddSingleton<Addresses.HostNetwork>();
        services.AddSingleton<Addresses.ServiceAddresses>();
        services.AddSingleton(sp => new Criu.CriuDriver(sp.GetRequiredService<IOptions<AgentOptions>>().Value.CriuPath));
        // Transfers bound themselves through the caller's cancellation; large images take longer than HttpClient's 100 s.
        services.AddHttpClient<RegistryClient>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHttpClient(AgentEndpoints.PeerClient, c => c.Timeout = Timeout.InfiniteTimeSpan);
        // Received images are as large as the checkpoints they carry.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        return builder;
    }
}
