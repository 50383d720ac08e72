using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent.Contracts;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Agent.Tests.Images;

/// <summary>
/// A registry with token authentication (docker-registry's <c>auth: token</c> and a token service on another port): the
/// agent answers the Bearer challenge at the configured token service only, with the user and password from its files,
/// and gets a token for each scope it is asked (push, then delete).
/// </summary>
public sealed class TokenRegistryTests(TokenRegistryFixture registry) : IClassFixture<TokenRegistryFixture>, IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
    {
        ["EdgePortal:Agent:Registries:token:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:token:CertificateAuthorityFile"] = RegistryFixture.AuthorityFile,
        ["EdgePortal:Agent:Registries:token:Username"] = registry.Username,
        ["EdgePortal:Agent:Registries:token:PasswordFile"] = registry.PasswordFile,
        ["EdgePortal:Agent:Registries:token:TokenRealm"] = registry.Realm,
        // The same registry, its token service not configured: the credentials must not go where the 401 points.
        ["EdgePortal:Agent:Registries:unlisted:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:unlisted:CertificateAuthorityFile"] = RegistryFixture.AuthorityFile,
        ["EdgePortal:Agent:Registries:unlisted:Username"] = registry.Username,
        ["EdgePortal:Agent:Registries:unlisted:PasswordFile"] = registry.PasswordFile,
    });

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task Push_BearerChallenge_TokenFromTheConfiguredServiceThenDeleteWithADeleteScopedToken()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-counter-0_edge-counter-2026-12-07T20:00:00Z.tar", 32 * 1024);
        using var client = _agent.Client();
        var api = new AgentApiClient(client, "agent", _agent.BaseUri, TimeSpan.FromSeconds(30));
        var issuedBefore = registry.Issued;

        var pushed = await api.BuildCheckpointImageAsync(Path.GetFileName(archive), new CheckpointImageRequest
        {
            Registry = "token",
            Repository = "edgeportal/counter",
            Tag = "t-1",
            ContainerName = "counter",
            PodName = "counter-0",
            Namespace = "edge",
        }, CancellationToken.None);
        var deletion = new RegistryImageDeletion { Registry = "token", Repository = "edgeportal/counter", Digest = pushed.ManifestDigest };

        Assert.True(await api.DeleteRegistryImageAsync(deletion, CancellationToken.None));
        Assert.False(await api.DeleteRegistryImageAsync(deletion, CancellationToken.None));
        Assert.True(registry.Issued - issuedBefore >= 2, $"{registry.Issued - issuedBefore} tokens: one for push and pull, one for delete");
    }

    [Fact]
    public async Task Push_TokenServiceNotConfigured_RefusedWithoutSendingTheCredentials()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-counter-0_edge-counter-unlisted.tar", 16 * 1024);
        using var client = _agent.Client();
        var issuedBefore = registry.Issued;

        using var response = await client.PostAsJsonAsync($"checkpoints/{Path.GetFileName(archive)}/image", new CheckpointImageRequest
        {
            Registry = "unlisted",
            Repository = "edgeportal/counter",
            Tag = "t-2",
            ContainerName = "counter",
            PodName = "counter-0",
            Namespace = "edge",
        });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("TokenRealm", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(issuedBefore, registry.Issued);
    }
}
