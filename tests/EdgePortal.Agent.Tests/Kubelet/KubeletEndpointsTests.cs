using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Tests.Kubelet;

/// <summary>
/// A Kubernetes node's agent endpoints refuse what they must never do: pull by tag, delete outside the kubelet's archives,
/// delete from a registry it has not configured, ask a kubelet it has not configured; and the configuration names its keys.
/// </summary>
public sealed class KubeletEndpointsTests : IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
    {
        ["EdgePortal:Agent:Registries:checkpoints:Host"] = "127.0.0.1:1",
        ["EdgePortal:Agent:Registries:checkpoints:PlainHttp"] = "true",
    });

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Theory]
    [InlineData("quay.io/example/counter:1.0")]
    [InlineData("counter@sha256:0123")]
    [InlineData("quay.io/example/counter@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef --insecure")]
    public async Task ImagePull_NotByDigest_400NamingTheImage(string image)
    {
        using var client = _agent.Client();

        using var response = await client.PostAsJsonAsync("kubelet/image-pulls", new ImagePullCall { Image = image });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"image\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..%2Fsecret.tar")]
    [InlineData("dump.log")]
    public async Task DeleteCheckpoint_NotAKubeletArchiveName_400(string id)
    {
        var outside = Path.Combine(_agent.Folder, "secret.tar");
        await File.WriteAllTextAsync(outside, "x");
        using var client = _agent.Client();

        using var response = await client.DeleteAsync($"checkpoints/{id}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(File.Exists(outside));
    }

    [Fact]
    public async Task DeleteCheckpoint_Archive_DeletedThenNotFound()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-counter-0_edge-counter-2026-12-07T16:05:09Z.tar", 1024);
        using var client = _agent.Client();
        var api = new AgentApiClient(client, "edge-1", _agent.BaseUri, TimeSpan.FromSeconds(20));

        Assert.True(await api.DeleteCheckpointAsync(Path.GetFileName(archive), CancellationToken.None));
        Assert.False(File.Exists(archive));
        Assert.False(await api.DeleteCheckpointAsync(Path.GetFileName(archive), CancellationToken.None));
    }

    [Fact]
    public async Task RegistryImageDeletion_UnknownRegistryOrNoDigest_400NamingTheField()
    {
        using var client = _agent.Client();

        using var unknown = await client.PostAsJsonAsync("registry/image-deletions",
            new RegistryImageDeletion { Registry = "elsewhere.example:5000", Repository = "edgeportal/counter", Digest = "sha256:" + new string('a', 64) });
        using var tag = await client.PostAsJsonAsync("registry/image-deletions",
            new RegistryImageDeletion { Registry = "checkpoints", Repository = "edgeportal/counter", Digest = "latest" });

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("a host is never accepted", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tag.StatusCode);
        Assert.Contains("\"digest\"", await tag.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubeletCheckpoint_NoKubeletConfigured_503NamingTheKey()
    {
        using var client = _agent.Client();

        using var response = await client.PostAsJsonAsync("kubelet/checkpoints",
            new KubeletCheckpointCall { Namespace = "edge", Pod = "counter-0", Container = "counter", TimeoutSeconds = 30 });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("EdgePortal:Agent:Kubelet:Url", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubeletCheckpoint_BadNames_400NamingEachField()
    {
        using var client = _agent.Client();

        using var response = await client.PostAsJsonAsync("kubelet/checkpoints",
            new KubeletCheckpointCall { Namespace = "Edge", Pod = "../x", Container = "", TimeoutSeconds = 0 });

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.All(["\"namespace\"", "\"pod\"", "\"container\"", "\"timeoutSeconds\""], field => Assert.Contains(field, body, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:10250/", "/etc/hosts", "Kubelet:Url")]
    [InlineData("https://127.0.0.1:10250/", null, "Kubelet:CertificateAuthorityFile")]
    public void Options_KubeletWithoutTls_RefusedNamingTheKey(string url, string? authority, string key)
    {
        var options = new AgentOptions { Kubelet = { Url = url, CertificateAuthorityFile = authority } };

        var result = new AgentOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures ?? [], f => f.Contains($"EdgePortal:Agent:{key}", StringComparison.Ordinal));
    }
}
