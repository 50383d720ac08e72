using EdgePortal.Agent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Tests.Security;

/// <summary>A production agent does not start unless it serves mutual TLS, and never with a shared token.</summary>
public sealed class AgentStartTests
{
    [Fact]
    public async Task Start_ProductionWithoutCertificates_RefusedNamingTheKeys()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", new Dictionary<string, string?> { ["urls"] = "https://127.0.0.1:0" }));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Tls:CertificateFile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PodmanMisconfigured_RefusedNamingEachKey()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", WithCertificates(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Podman:Enabled"] = "true",
            ["EdgePortal:Agent:Podman:Url"] = "http://podman.example/",
            ["EdgePortal:Agent:Podman:Root"] = "/var/lib/containers/storage",
            ["EdgePortal:Agent:Podman:Compression"] = "lz4",
        })));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Podman:Url must be the host's Podman API socket", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Podman:Root, RunRoot and TmpDir are for the local CLI", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Podman:Compression must be none, gzip or zstd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_ProductionWithTlsDisabled_Refused()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["EdgePortal:Agent:Tls:Disabled"] = "true",
        }));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Tls:Disabled is for Development only", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("change-me")]
    [InlineData("CHANGEME-0123456789abcdef")]
    public async Task Start_PlaceholderToken_RefusedNamingTheKey(string token)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", WithCertificates(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Token"] = token,
        })));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Token is set to a known placeholder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_AnyToken_RefusedAsNoLongerUsed()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", WithCertificates(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Token"] = "k3J9x-unique-random-value-0192",
        })));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Token is no longer used", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PlainHttpUrlWithCertificates_RefusedHttpsOnly()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", WithCertificates(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
        })));

        Assert.Contains(e.Failures, f => f.Contains("urls must all be https://", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_PeerWithPlainHttpUrl_RefusedNamingThePeer()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync("Production", WithCertificates(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Peers:edge-2:Url"] = "http://10.0.0.12:8471/",
        })));

        Assert.Contains(e.Failures, f => f.Contains("EdgePortal:Agent:Peers:edge-2:Url must be the https base URL", StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> WithCertificates(Dictionary<string, string?> settings)
    {
        var identity = TestPki.Shared.Issue("start-test");
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "https://127.0.0.1:0",
            ["EdgePortal:Agent:Tls:CertificateFile"] = identity.CertificateFile,
            ["EdgePortal:Agent:Tls:KeyFile"] = identity.KeyFile,
            ["EdgePortal:Agent:Tls:ClientAuthorityFile"] = TestPki.Shared.AuthorityFile,
            ["EdgePortal:Agent:Tls:PortalClientNames:0"] = TestPki.PortalName,
        };
        foreach (var (k, v) in settings)
            all[k] = v;
        return all;
    }

    private static async Task StartAsync(string environment, Dictionary<string, string?> settings)
    {
        var folder = Directory.CreateTempSubdirectory("edgeportal-agent-start-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EdgePortal:Agent:CheckpointDirectory"] = folder,
                ["EdgePortal:Agent:ImageDirectory"] = folder,
            });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.AddEdgePortalAgent();
            await using var app = builder.Build();
            app.MapEdgePortalAgent();
            await app.StartAsync();
            await app.StopAsync();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
