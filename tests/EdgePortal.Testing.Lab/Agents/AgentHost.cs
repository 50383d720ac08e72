using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgePortal.Agent;
using EdgePortal.Agent.Contracts.Tls;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Testing.Lab;

/// <summary>How to start one agent of <see cref="AgentHost.StartManyAsync"/>.</summary>
/// <param name="Name">The agent's name: its certificate's, and its peers' name for it (the portal's node name).</param>
/// <param name="Settings">More configuration (e.g. EdgePortal:Agent:NetworkNamespace for an agent of a lab host).</param>
/// <param name="PageServerAddress">The address its page server listens on, as its peers are configured with it.</param>
/// <param name="Address">The loopback address it listens on (default 127.0.0.1; 127.0.0.2 … for several nodes on one port).</param>
/// <param name="Port">Its port; null: a free one.</param>
public sealed record AgentSpec(string Name, IReadOnlyDictionary<string, string?>? Settings = null, string? PageServerAddress = null,
    string? Address = null, int? Port = null)
{
    internal string Host => Address ?? "127.0.0.1";
}

/// <summary>
/// A real agent on Kestrel, https://127.0.0.1 and a free port, over temp checkpoint and image folders, serving mutual TLS with
/// a certificate of <see cref="TestPki.Shared"/> named <see cref="Name"/>, trusting the portal's client certificate of that CA
/// and its peers (the other agents started with it) as receive-only callers.
/// </summary>
public sealed class AgentHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AgentHost(WebApplication app, string folder, string name, Uri baseUri)
    {
        _app = app;
        Folder = folder;
        Name = name;
        BaseUri = baseUri;
    }

    public string Name { get; }
    public string Folder { get; }
    public string CheckpointDirectory => Path.Combine(Folder, "checkpoints");
    public string ImageDirectory => Path.Combine(Folder, "images");
    public Uri BaseUri { get; }

    /// <summary>The agent's services (its options, trust, peers), for tests that look inside.</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="settings">More configuration (e.g. EdgePortal:Agent:NetworkNamespace for an agent of a lab host).</param>
    public static async Task<AgentHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, string name = "agent") =>
        (await StartManyAsync(new AgentSpec(name, settings)))[0];

    /// <summary>One agent as <paramref name="spec"/> says (its address and port).</summary>
    public static async Task<AgentHost> StartAsync(AgentSpec spec) => (await StartManyAsync(spec))[0];

    /// <summary>Agents that know each other as peers (by their names), started together.</summary>
    public static async Task<IReadOnlyList<AgentHost>> StartManyAsync(params AgentSpec[] specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var ports = specs.Select(s => s.Port ?? FreePort()).ToList();
        var hosts = new List<AgentHost>();
        try
        {
            for (var i = 0; i < specs.Length; i++)
            {
                var peers = new Dictionary<string, string?>();
                for (var j = 0; j < specs.Length; j++)
                {
                    if (j == i)
                        continue;
                    var key = $"EdgePortal:Agent:Peers:{specs[j].Name}";
                    peers[$"{key}:Url"] = $"https://{specs[j].Host}:{ports[j]}/";
                    peers[$"{key}:PageServerAddress"] = specs[j].PageServerAddress
                        ?? specs[j].Settings?.GetValueOrDefault("EdgePortal:Agent:PageServerAddress") ?? "127.0.0.1";
                }
                hosts.Add(await StartOneAsync(specs[i], ports[i], peers));
            }
            return hosts;
        }
        catch
        {
            foreach (var h in hosts)
                await h.DisposeAsync();
            throw;
        }
    }

    private static async Task<AgentHost> StartOneAsync(AgentSpec spec, int port, Dictionary<string, string?> peers)
    {
        var pki = TestPki.Shared;
        var identity = pki.Issue(spec.Name);
        var folder = Directory.CreateTempSubdirectory("edgeportal-agent-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls($"https://{spec.Host}:{port}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:CheckpointDirectory"] = Path.Combine(folder, "checkpoints"),
            ["EdgePortal:Agent:ImageDirectory"] = Path.Combine(folder, "images"),
            ["EdgePortal:Agent:Tls:CertificateFile"] = identity.CertificateFile,
            ["EdgePortal:Agent:Tls:KeyFile"] = identity.KeyFile,
            ["EdgePortal:Agent:Tls:ClientAuthorityFile"] = pki.AuthorityFile,
            ["EdgePortal:Agent:Tls:PortalClientNames:0"] = TestPki.PortalName,
        });
        builder.Configuration.AddInMemoryCollection(peers);
        if (spec.Settings is not null)
            builder.Configuration.AddInMemoryCollection(spec.Settings);
        builder.AddEdgePortalAgent();
        var app = builder.Build();
        app.MapEdgePortalAgent();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(folder, recursive: true);
            throw;
        }
        return new AgentHost(app, folder, spec.Name, new Uri($"https://{spec.Host}:{port}/"));
    }

    /// <summary>A client of this agent as the portal: the portal's certificate, trusting the test CA and this agent's name only.</summary>
    public HttpClient Client() => ClientAs(TestPki.Shared.Portal);

    /// <summary>A client presenting <paramref name="identity"/> (null: no certificate), trusting the test CA and this agent's name only.</summary>
    public HttpClient ClientAs(PemFiles? identity)
    {
        var pki = TestPki.Shared;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions =
            {
                ClientCertificates = identity is null ? null : [identity.Load()],
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificate is X509Certificate2 server
                    && AgentTls.IsTrusted(server, AgentTls.LoadAuthorities(pki.AuthorityFile), AgentTls.ServerAuth, chain) && AgentTls.HasName(server, Name),
            },
        };
        return new HttpClient(handler) { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(1) };
    }

    /// <summary>Writes a checkpoint archive like the kubelet's (an uncompressed tar of CRIU image files) of about <paramref name="bytes"/>.</summary>
    public string WriteCheckpoint(string name, int bytes, int seed = 5)
    {
        var source = Directory.CreateTempSubdirectory("edgeportal-criu-").FullName;
        var random = new Random(seed);
        var pages = new byte[bytes];
        random.NextBytes(pages);
        File.WriteAllBytes(Path.Combine(source, "pages-1.img"), pages);
        File.WriteAllText(Path.Combine(source, "config.dump"), """{"id":"abc","name":"counter"}""");
        File.WriteAllText(Path.Combine(source, "spec.dump"), """{"ociVersion":"1.0.0"}""");
        var path = Path.Combine(CheckpointDirectory, name);
        TarFile.CreateFromDirectory(source, path, includeBaseDirectory: false);
        Directory.Delete(source, recursive: true);
        return path;
    }

    /// <summary>A port nobody listens on now (the agent binds it a moment later: peers must know each other's URLs before they start).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
