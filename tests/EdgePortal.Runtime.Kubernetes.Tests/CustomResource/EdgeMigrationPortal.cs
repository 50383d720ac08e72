using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing.Portal;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Runtime.Kubernetes.Tests.CustomResource;

/// <summary>
/// The real portal (the demo edge, simulated) managing one Kubernetes cluster, the fake API server, with the EdgeMigration
/// controller on: namespace <see cref="Namespace"/> acts for the demo's SkyFleet tenant.
/// </summary>
public sealed class EdgeMigrationPortal : IAsyncDisposable
{
    public const string Cluster = "edge-k8s";
    public const string Namespace = "skyfleet";

    private readonly TempFolder _folder = new();

    private EdgeMigrationPortal(FakeKubeApiServer server) => Server = server;

    public FakeKubeApiServer Server { get; }
    public PortalFactory Portal { get; private set; } = null!;
    public IServiceProvider Services => Portal.Services;
    public FakeEdgeMigrationStore Resources => Server.EdgeMigrations;

    /// <param name="speedFactor">How much faster than real time the simulated edge runs.</param>
    /// <param name="settings">Further settings on top.</param>
    public static async Task<EdgeMigrationPortal> StartAsync(double speedFactor = 50, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var server = await FakeKubeApiServer.StartAsync();
        var portal = new EdgeMigrationPortal(server);
        var all = PortalFactory.FastEdge(speedFactor);
        all[$"EdgePortal:Kubernetes:Clusters:{Cluster}:KubeconfigPath"] = server.WriteKubeconfig(portal._folder.Path);
        all[$"EdgePortal:Kubernetes:Clusters:{Cluster}:Registry"] = "registry.test:5000";
        all[$"EdgePortal:Kubernetes:Clusters:{Cluster}:AgentScheme"] = "http";
        all["EdgePortal:Kubernetes:EdgeMigrations:Enabled"] = "true";
        all[$"EdgePortal:Kubernetes:EdgeMigrations:NamespaceTenants:{Namespace}"] = DemoEdge.SkyFleet.ToString();
        all["EdgePortal:Kubernetes:EdgeMigrations:ResyncInterval"] = "00:00:01";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;
        portal.Portal = new PortalFactory(portal._folder.File("portal.db"), all);
        _ = portal.Portal.Services; // starts the host: the controller begins to watch
        return portal;
    }

    /// <summary>An EdgeMigration of <paramref name="service"/> as <c>kubectl apply</c> creates it.</summary>
    public EdgeMigration Apply(string name, string service, string tenant = "SkyFleet Drones", string ns = Namespace, Action<EdgeMigrationSpec>? spec = null)
    {
        var resource = new EdgeMigration
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Spec = new EdgeMigrationSpec { Service = service, Tenant = tenant },
        };
        spec?.Invoke(resource.Spec);
        return Resources.Create(resource);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await Portal.DisposeAsync();
        await Server.DisposeAsync();
        _folder.Dispose();
    }
}
