using System.Security.Authentication;
using EdgePortal.Agent.Oci;
using EdgePortal.Agent.Security;
using EdgePortal.Agent.Transfer;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

public static class AgentHosting
{
    /// <summary>
    /// Everything the agent registers: options (validated at start: no certificates, no start), mutual TLS on every Kestrel
    /// endpoint (a client certificate of the callers' CA required in the handshake), the registry client, peer streaming, progress.
    /// </summary>
    public static WebApplicationBuilder AddEdgePortalAgent(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AgentOptions>().Bind(builder.Configuration.GetSection(AgentOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AgentTrust>();
        services.AddSingleton<Peers.PeerAgents>();
        services.AddSingleton<TransferTracker>();
        // Journaled beside the images: a restarted agent still knows the processes it may migrate and the trees it restored.
        services.AddSingleton(sp => new Criu.CriuWorkloads(
            Path.Combine(sp.GetRequiredService<IOptions<AgentOptions>>().Value.ImageDirectory, Criu.CriuWorkloads.JournalName),
            sp.GetRequiredService<ILogger<Criu.CriuWorkloads>>()));
        services.AddSingleton<Images.CriuImageStore>();
        services.AddSingleton<Addresses.HostNetwork>();
        services.AddSingleton<Addresses.ServiceAddresses>();
        services.AddSingleton<Podman.PodmanDriver>();
        services.AddSingleton<Kubelet.NodeKubelet>();
        services.AddSingleton(sp => new Criu.CriuDriver(sp.GetRequiredService<IOptions<AgentOptions>>().Value.CriuPath));
        // Transfers bound themselves through the caller's cancellation; large images take longer than HttpClient's 100 s.
        // A registry's redirect is not followed: the agent talks to the configured host only.
        services.AddHttpClient<RegistryClient>(c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        // The upload cap is the largest any endpoint allows; the authorization middleware lowers it per endpoint before reading.
        builder.WebHost.ConfigureKestrel((context, k) =>
        {
            k.Limits.MaxRequestBodySize = context.Configuration.GetValue($"{AgentOptions.Section}:{nameof(AgentOptions.MaxUploadBytes)}", 8L << 30);
            k.ConfigureHttpsDefaults(https =>
            {
                var trust = k.ApplicationServices.GetRequiredService<AgentTrust>();
                if (!trust.Enabled)
                    return;
                https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
                https.ServerCertificateSelector = (_, _) => trust.Identity!.Current;
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                https.CheckCertificateRevocation = false;
                https.ClientCertificateValidation = (certificate, chain, _) => trust.IsTrustedClient(certificate, chain);
            });
        });
        return builder;
    }
}
