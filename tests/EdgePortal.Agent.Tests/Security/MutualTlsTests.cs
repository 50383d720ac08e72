using System.Net;
using System.Net.Http.Json;

namespace EdgePortal.Agent.Tests.Security;

/// <summary>The agent trusts no one by default: mutual TLS with the configured CA, and a peer's certificate only for receiving.</summary>
public sealed class MutualTlsTests : TwoAgents
{
    [Theory]
    [InlineData("GET", "healthz")]
    [InlineData("POST", "criu/dumps")]
    [InlineData("PUT", "criu/images/m-1")]
    [InlineData("GET", "criu/capabilities")]
    public async Task AnyEndpoint_NoClientCertificate_RefusedInTheHandshake(string method, string path)
    {
        using var client = Source.ClientAs(null);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(request));
    }

    [Fact]
    public async Task AnyEndpoint_ClientCertificateOfAnotherCa_RefusedInTheHandshake()
    {
        // Same name as the portal's, issued by a CA the agent does not trust.
        using var other = new TestPki("another-ca");
        using var client = Source.ClientAs(other.Issue(TestPki.PortalName, server: false));

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("criu/capabilities"));
    }

    [Fact]
    public async Task Health_PortalCertificate_Answers()
    {
        using var client = Source.Client();

        Assert.Equal("ok", await client.GetStringAsync("healthz"));
    }

    [Theory]
    [InlineData("POST", "criu/dumps")]
    [InlineData("POST", "criu/images/m-1/send")]
    [InlineData("POST", "criu/images/m-1/restore")]
    [InlineData("DELETE", "criu/images/m-1")]
    [InlineData("POST", "net/addresses/add")]
    [InlineData("PUT", "criu/workloads/svc")]
    [InlineData("POST", "checkpoints/cp.tar/image")]
    [InlineData("GET", "transfers")]
    public async Task NonReceiveEndpoint_PeerAgentCertificate_Is403(string method, string path)
    {
        // The destination's own certificate, as it presents it when it streams to the source: receive-only.
        using var client = Source.ClientAs(TestPki.Shared.Issue(Destination.Name));
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) };

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Receive-only", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Source.ImageDirectory, "criu", "m-1")));
    }

    [Fact]
    public async Task ReceiveEndpoint_PeerAgentCertificate_IsServed()
    {
        using var client = Source.ClientAs(TestPki.Shared.Issue(Destination.Name));

        // Not a tar: served, and rejected for its content (400), not for its caller.
        var response = await client.PutAsync("criu/images/m-1", new ByteArrayContent("not a tar"u8.ToArray()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Bad images", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyEndpoint_CertificateOfTheCaNamingNobodyConfigured_Is403()
    {
        using var client = Source.ClientAs(TestPki.Shared.Issue("stranger", server: false));

        var response = await client.PutAsync("criu/images/m-1", new ByteArrayContent([1, 2, 3]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Unknown client", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendImages_PeerOutsideTheConfiguration_400NamingPeer()
    {
        Directory.CreateDirectory(Path.Combine(Source.ImageDirectory, "criu", "m-2"));
        using var client = Source.Client();

        foreach (var peer in new[] { Destination.BaseUri.AbsoluteUri, "evil", "https://203.0.113.9:8471/" })
        {
            var response = await client.PostAsJsonAsync("criu/images/m-2/send", new CriuSendCall { Peer = peer });

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"peer\"", body, StringComparison.Ordinal);
            Assert.Contains("EdgePortal:Agent:Peers", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BuildImage_RegistryOrPeerOutsideTheConfiguration_400NamingTheField()
    {
        Source.WriteCheckpoint("cp.tar", 1024);
        using var client = Source.Client();

        var registry = await client.PostAsJsonAsync("checkpoints/cp.tar/image", new CheckpointImageRequest
        {
            Registry = "127.0.0.1:5000", Repository = "edgeportal/x", Tag = "t", ContainerName = "c",
        });
        var peer = await client.PostAsJsonAsync("checkpoints/cp.tar/image", new CheckpointImageRequest
        {
            Peer = Destination.BaseUri.AbsoluteUri, Repository = "edgeportal/x", Tag = "t", ContainerName = "c",
        });

        Assert.Equal(HttpStatusCode.BadRequest, registry.StatusCode);
        Assert.Contains("\"registry\"", await registry.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, peer.StatusCode);
        Assert.Contains("\"peer\"", await peer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dump_PageServerOutsideTheConfiguration_400NamingPageServer()
    {
        using var client = Source.Client();

        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall
        {
            Id = "d-1", Pid = Environment.ProcessId, PageServer = new CriuPageServerCall { Address = "203.0.113.9", Port = 7000 },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"pageServer\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Source.ImageDirectory, "criu", "d-1")));
    }
}
