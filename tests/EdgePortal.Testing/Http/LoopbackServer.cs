using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Testing.Http;

/// <summary>
/// A small real HTTP server for a test's counterpart (a webhook receiver, an OTLP collector, a misbehaving registry, a
/// token service): Kestrel on 127.0.0.1 at a free port, quiet, started with what the test maps.
/// </summary>
public static class LoopbackServer
{
    /// <summary>Starts the app <paramref name="map"/> builds; HTTPS with <paramref name="certificate"/> when given.</summary>
    /// <returns>The started app (dispose it) and its base address, e.g. <c>http://127.0.0.1:41234</c>.</returns>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> map, X509Certificate2? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        if (certificate is not null)
            builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            if (certificate is not null)
                l.UseHttps(certificate);
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        try
        {
            map(app);
            await app.StartAsync().ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return (app, new Uri(address));
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
