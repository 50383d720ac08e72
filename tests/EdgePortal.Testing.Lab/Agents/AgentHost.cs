using System.Formats.Tar;
using System.Net.Http.Headers;
using EdgePortal.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Testing.Lab;

/// <summary>A real agent on Kestrel, 127.0.0.1 and a random port, over temp checkpoint and image folders.</summary>
public sealed class AgentHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";

    private readonly WebApplication _app;

    private AgentHost(WebApplication app, string folder)
    {
        _app = app;
        Folder = folder;
    }

    public string Folder { get; }
    public string CheckpointDirectory => Path.Combine(Folder, "checkpoints");
    public string ImageDirectory => Path.Combine(Folder, "images");
    public Uri BaseUri { get; private set; } = null!;

    /// <param name="settings">More configuration (e.g. EdgePortal:Agent:NetworkNamespace for an agent of a lab host).</param>
    public static async Task<AgentHost> StartAsync(string token = Token, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var folder = Directory.CreateTempSubdirectory("edgeportal-agent-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Token"] = token,
            ["EdgePortal:Agent:CheckpointDirectory"] = Path.Combine(folder, "checkpoints"),
            ["EdgePortal:Agent:ImageDirectory"] = Path.Combine(folder, "images"),
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.AddEdgePortalAgent();
        var app = builder.Build();
        app.MapEdgePortalAgent();
        await app.StartAsync();
        var host = new AgentHost(app, folder);
        host.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return host;
    }

    public HttpClient Client(string? token = Token)
    {
        var client = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(1) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
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

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
