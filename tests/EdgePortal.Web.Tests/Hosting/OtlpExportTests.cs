using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgePortal.Testing.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// The portal with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, as an operator sets it, against a tiny OTLP/HTTP receiver on
/// Kestrel (<c>POST /v1/traces</c>): a migration's trace reaches it, with the standard variables and nothing else.
/// </summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly ConcurrentQueue<(string? ContentType, byte[] Body)> _received = new();
    private WebApplication _collector = null!;
    private PortalFactory _portal = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        (_collector, var address) = await LoopbackServer.StartAsync(server => server.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            _received.Enqueue((context.Request.ContentType, body.ToArray()));
            // An empty ExportTraceServiceResponse: full success.
            context.Response.ContentType = "application/x-protobuf";
        }));
        var collector = address.ToString().TrimEnd('/');

        var settings = PortalFactory.FastEdge();
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector;
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        _portal = new PortalFactory(_folder.File("otlp.db"), settings);
        _client = _portal.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _portal.DisposeAsync();
        await _collector.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task StartMigration_OtlpEndpointSet_TheCollectorReceivesItsTrace()
    {
        var services = await _client.GetFromJsonAsync<JsonElement>("/api/v1/services");
        var service = services.EnumerateArray().First(s => s.GetProperty("name").GetString() == "flight-control").GetProperty("id").GetGuid();
        var started = await _client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = service, acceptTargetMiss = true });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid().ToString();

        // The batch exporter sends every few seconds: wait (the condition) until the migration's root and its execute span
        // have arrived, at most a minute.
        var rootName = Encoding.UTF8.GetBytes("migrate flight-control");
        var idBytes = Encoding.UTF8.GetBytes(id);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !(Arrived(rootName) && Arrived("execute"u8.ToArray()) && Arrived(idBytes)))
            await Task.Delay(100);

        Assert.True(Arrived(rootName), $"No OTLP export carried the migration's root span ({_received.Count} exports arrived).");
        Assert.True(Arrived("execute"u8.ToArray()) && Arrived(idBytes), "The migration's execute span or its id did not arrive.");
        Assert.True(Arrived("edgeportal"u8.ToArray()), "The exports do not name the service (resource service.name).");
        Assert.All(_received, r => Assert.Equal("application/x-protobuf", r.ContentType));
    }

    private bool Arrived(byte[] text) => _received.Any(r => r.Body.AsSpan().IndexOf(text) >= 0);
}
