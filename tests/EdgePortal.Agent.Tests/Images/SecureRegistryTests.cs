using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Oci;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Agent.Tests.Images;

/// <summary>
/// Checkpoint images are secrets (issue 14 item 5): a real docker-registry over TLS with Basic authentication; the agent
/// verifies its certificate against the configured CA, logs in from a password file, pushes, and deletes by digest.
/// </summary>
public sealed class SecureRegistryTests(SecureRegistryFixture registry) : IClassFixture<SecureRegistryFixture>, IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
    {
        ["EdgePortal:Agent:Registries:secure:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:secure:CertificateAuthorityFile"] = RegistryFixture.AuthorityFile,
        ["EdgePortal:Agent:Registries:secure:Username"] = registry.Username,
        ["EdgePortal:Agent:Registries:secure:PasswordFile"] = registry.PasswordFile,
        // The same registry without credentials, and trusted with the system's store instead of its CA.
        ["EdgePortal:Agent:Registries:anonymous:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:anonymous:CertificateAuthorityFile"] = RegistryFixture.AuthorityFile,
        ["EdgePortal:Agent:Registries:untrusted:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:untrusted:Username"] = registry.Username,
        ["EdgePortal:Agent:Registries:untrusted:PasswordFile"] = registry.PasswordFile,
    });

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task Push_WithCredentialsFromAFile_ThenDeleteByDigest_TheImageIsGone()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-counter-0_edge-counter-2026-12-07T19:00:00Z.tar", 64 * 1024);
        using var client = _agent.Client();
        var api = new AgentApiClient(client, "agent", _agent.BaseUri, TimeSpan.FromSeconds(30));

        var pushed = await api.BuildCheckpointImageAsync(Path.GetFileName(archive), Request("secure", "s-1"), CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, await ManifestStatusAsync(pushed.ManifestDigest, authenticated: true));
        Assert.Equal(HttpStatusCode.Unauthorized, await ManifestStatusAsync(pushed.ManifestDigest, authenticated: false));
        var deletion = new RegistryImageDeletion { Registry = "secure", Repository = "edgeportal/counter", Digest = pushed.ManifestDigest };
        Assert.True(await api.DeleteRegistryImageAsync(deletion, CancellationToken.None));
        Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync(pushed.ManifestDigest, authenticated: true));
        Assert.False(await api.DeleteRegistryImageAsync(deletion, CancellationToken.None));
    }

    [Theory]
    [InlineData("anonymous", "wants a user and password (401 Basic)")]
    [InlineData("untrusted", "SSL")]
    public async Task Push_WithoutCredentialsOrWithoutTheRegistrysCa_Refused(string name, string expected)
    {
        var archive = _agent.WriteCheckpoint($"checkpoint-counter-0_edge-counter-{name}.tar", 16 * 1024);
        using var client = _agent.Client();

        using var response = await client.PostAsJsonAsync($"checkpoints/{Path.GetFileName(archive)}/image", Request(name, "s-2"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Options_CredentialsOverPlainHttp_RefusedNamingTheRegistry()
    {
        var options = new AgentOptions();
        options.Registries["lab"] = new AgentRegistryOptions { Host = "registry:5000", PlainHttp = true, Username = "u", PasswordFile = registry.PasswordFile };

        var result = new AgentOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures ?? [], f => f.Contains("EdgePortal:Agent:Registries:lab: credentials over plain HTTP", StringComparison.Ordinal));
    }

    private static CheckpointImageRequest Request(string registryName, string tag) => new()
    {
        Registry = registryName,
        Repository = "edgeportal/counter",
        Tag = tag,
        ContainerName = "counter",
        PodName = "counter-0",
        Namespace = "edge",
    };

    private async Task<HttpStatusCode> ManifestStatusAsync(string digest, bool authenticated)
    {
        using var http = new HttpClient(Agent.Contracts.Tls.AgentTls.VerifyingHandler(new Agent.Contracts.Tls.PemAuthorities(RegistryFixture.AuthorityFile), "127.0.0.1"))
        {
            BaseAddress = registry.BaseUri,
        };
        using var head = new HttpRequestMessage(HttpMethod.Head, $"v2/edgeportal/counter/manifests/{digest}");
        head.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.Manifest));
        if (authenticated)
            head.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{registry.Username}:{(await File.ReadAllTextAsync(registry.PasswordFile)).Trim()}")));
        using var response = await http.SendAsync(head);
        return response.StatusCode;
    }
}
