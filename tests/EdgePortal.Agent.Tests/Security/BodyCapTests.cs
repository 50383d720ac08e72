using System.Net;
using System.Net.Http.Json;

namespace EdgePortal.Agent.Tests.Security;

/// <summary>Request bodies are capped per endpoint kind, and a body over its cap is refused before it is read.</summary>
public sealed class BodyCapTests : IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
    {
        ["EdgePortal:Agent:MaxRequestBodyBytes"] = "2048",
        ["EdgePortal:Agent:MaxUploadBytes"] = "65536",
    });

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task ReceiveImages_DeclaredLengthOverTheUploadCap_413Unread()
    {
        using var client = _agent.Client();
        var body = new CountingContent(128 * 1024);

        var response = await client.PutAsync("criu/images/big-1", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MaxUploadBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // Nothing received: no images, no transfer started.
        Assert.False(Directory.Exists(Path.Combine(_agent.ImageDirectory, "criu", "big-1")));
        Assert.Equal("[]", await client.GetStringAsync("transfers"));
    }

    [Fact]
    public async Task ReceiveImages_ChunkedBodyOverTheUploadCap_CutAndRefused()
    {
        using var client = _agent.Client();
        var body = new CountingContent(128 * 1024, declareLength: false, tar: true);

        var response = await client.PutAsync("criu/images/big-2", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Request body too large", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(Path.Combine(_agent.ImageDirectory, "criu", "big-2")));
    }

    [Fact]
    public async Task JsonEndpoint_BodyOverTheJsonCap_413Unread()
    {
        using var client = _agent.Client();

        using var json = new StringContent(System.Text.Json.JsonSerializer.Serialize(new CriuDumpCall { Id = new string('a', 4096) }), System.Text.Encoding.UTF8, "application/json");

        var response = await client.PostAsync("criu/dumps", json);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MaxRequestBodyBytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonEndpoint_ChunkedBodyOverTheJsonCap_413()
    {
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = new string('a', 4096) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    /// <summary>A body of about <c>n</c> bytes (zeros, or a tar holding one file of n random bytes), with or without a declared length.</summary>
    private sealed class CountingContent(int n, bool declareLength = true, bool tar = false) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            if (tar)
            {
                var data = new byte[n];
                new Random(3).NextBytes(data);
                await using var writer = new System.Formats.Tar.TarWriter(stream, leaveOpen: true);
                await writer.WriteEntryAsync(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "pages-1.img") { DataStream = new MemoryStream(data) });
                return;
            }
            var chunk = new byte[4096];
            for (var sent = 0; sent < n; sent += chunk.Length)
                await stream.WriteAsync(chunk);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = n;
            return declareLength;
        }
    }
}
