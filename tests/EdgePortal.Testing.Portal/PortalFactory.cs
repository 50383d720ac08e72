using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Testing.Portal;

/// <summary>
/// The real portal (Program, AddEdgePortal, UseEdgePortal) in a test server, on a LiteDB file of the
/// test's choosing, with any further settings layered on top the way an operator would set them.
/// The portal starts with <see cref="BootstrapKey"/> as its bootstrap provider-admin API key, and every client the
/// factory creates sends it as a bearer token (a test that wants to be anonymous or another role replaces the header).
/// </summary>
/// <param name="databasePath">The LiteDB file.</param>
/// <param name="settings">Configuration on top (<c>environment</c> = <c>Production</c> runs it as a real provider would).</param>
/// <param name="clock">The portal's clock (a FakeTimeProvider for tests of what time does); the system clock otherwise.</param>
public sealed class PortalFactory(string databasePath, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("EdgePortal:Storage:Path", databasePath);
        builder.UseSetting("EdgePortal:Security:BootstrapApiKey", BootstrapKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (clock is not null)
            builder.ConfigureServices(services => services.AddSingleton(clock));
    }

    /// <summary>
    /// Settings for a simulated demo edge that runs <paramref name="speedFactor"/> times faster than real time with repeatable
    /// noise: a migration completes in well under a second, for tests that follow whole migrations.
    /// </summary>
    public static Dictionary<string, string?> FastEdge(double speedFactor = 50) => new()
    {
        ["EdgePortal:Simulator:SpeedFactor"] = speedFactor.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["EdgePortal:Simulator:RandomSeed"] = "7",
    };

    /// <summary>The provider-admin key every test portal is bootstrapped with.</summary>
    public const string BootstrapKey = "ep_test-bootstrap-key-0123456789abcdefghijklmnop";

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        Authorize(client, BootstrapKey);
    }

    /// <summary>
    /// Starts the portal on Kestrel at a free port (a real socket: real client addresses, WebSockets) and returns its address
    /// on 127.0.0.1.
    /// </summary>
    public Uri StartOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>Sends <paramref name="key"/> as the bearer token on every request of <paramref name="client"/> (null: anonymous).</summary>
    public static HttpClient Authorize(HttpClient client, string? key)
    {
        client.DefaultRequestHeaders.Authorization = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

/// <summary>A temp folder for a test's database files, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edgeportal-host-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
