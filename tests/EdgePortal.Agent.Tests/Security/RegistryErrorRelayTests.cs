using System.Net;
using System.Net.Http.Json;
using EdgePortal.Testing.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgePortal.Agent.Tests.Security;

/// <summary>
/// A configured registry that misbehaves: every error it answers carries text the caller must never see (issue 14 item 2,
/// "no endpoint relays a response body"). The agent's 502 names the status and the distribution spec's error codes only.
/// A real docker-registry cannot be made to answer such bodies, so the registry here is a small Kestrel endpoint.
/// </summary>
public sealed class RegistryErrorRelayTests : IAsyncLifetime
{
    private const string Secret = "token=s3cr3t-from-the-registry";
    private WebApplication _registry = null!;
    private AgentHost _agent = null!;
    private volatile string _body = "";
    private volatile string _contentType = "application/json";

    public async Task InitializeAsync()
    {
        // No blob exists (HEAD 404, no body), and every other request fails with the body the test chose.
        (_registry, var address) = await LoopbackServer.StartAsync(server => server.Run(async c =>
        {
            if (HttpMethods.IsHead(c.Request.Method))
            {
                c.Response.StatusCode = 404;
                return;
            }
            c.Response.StatusCode = 500;
            c.Response.ContentType = _contentType;
            await c.Response.WriteAsync(_body);
        }));
        _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Registries:hostile:Host"] = $"127.0.0.1:{address.Port}",
            ["EdgePortal:Agent:Registries:hostile:PlainHttp"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        await _agent.DisposeAsync();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task BuildImage_RegistryErrorWithMessages_502NamesTheCodesAndRelaysNoText()
    {
        _body = $$$"""{"errors":[{"code":"UNKNOWN","message":"{{{Secret}}}","detail":{"auth":"{{{Secret}}}"}},{"code":"{{{Secret}}}"},{"code":"DENIED","message":"x"}]}""";

        var detail = await PushAsync("cp-json.tar");

        Assert.EndsWith("the registry refused to start upload to edgeportal/x: 500 InternalServerError UNKNOWN, DENIED", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildImage_RegistryErrorAsAPage_502RelaysNothingOfIt()
    {
        _contentType = "text/html";
        _body = $"<html><body>proxy error, upstream {Secret}</body></html>" + new string('x', 64 * 1024);

        var detail = await PushAsync("cp-html.tar");

        Assert.EndsWith("the registry refused to start upload to edgeportal/x: 500 InternalServerError", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", detail, StringComparison.Ordinal);
    }

    private async Task<string> PushAsync(string archive)
    {
        _agent.WriteCheckpoint(archive, 1024);
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync($"checkpoints/{archive}/image", new CheckpointImageRequest
        {
            Registry = "hostile", Repository = "edgeportal/x", Tag = "t", ContainerName = "c",
        });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        // Nothing of the registry's body anywhere in the answer, and the detail is the agent's own sentence.
        Assert.DoesNotContain("s3cr3t", body, StringComparison.Ordinal);
        Assert.DoesNotContain("proxy error", body, StringComparison.Ordinal);
        using var problem = System.Text.Json.JsonDocument.Parse(body);
        return problem.RootElement.GetProperty("detail").GetString()!;
    }
}
