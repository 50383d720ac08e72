using System.Net;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Tests.Security;

public sealed class SharedTokenTests : IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync();

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task Healthz_WithoutToken_AnswersOk()
    {
        using var client = _agent.Client(token: null);

        var response = await client.GetAsync("healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("test-token-0123456789abcdeX")]
    [InlineData("test-token-0123456789abcdef-and-more")]
    public async Task Transfers_WithoutTheSharedToken_Answers401(string? token)
    {
        using var client = _agent.Client(token: null);
        if (token is not null)
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {token}");

        var response = await client.GetAsync("transfers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transfers_WithTheSharedToken_AnswersOk()
    {
        using var client = _agent.Client();

        var response = await client.GetAsync("transfers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ImagePut_WithoutToken_Answers401AndStoresNothing()
    {
        using var client = _agent.Client(token: null);

        var response = await client.PutAsync("images/intruder", new ByteArrayContent(new byte[1024]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(Directory.Exists(_agent.ImageDirectory) && Directory.EnumerateFiles(_agent.ImageDirectory).Any());
    }

    [Theory]
    [InlineData("short", "EdgePortal:Agent:Token")]
    [InlineData("a-long-enough-token-1234", null)]
    public void Validate_Token_NamesTheKeyWhenTooShort(string token, string? key)
    {
        var result = new AgentOptionsValidator().Validate(Options.DefaultName, new AgentOptions { Token = token });

        if (key is null)
            Assert.True(result.Succeeded);
        else
            Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RelativeFolders_NamesBothKeys()
    {
        var result = new AgentOptionsValidator().Validate(Options.DefaultName,
            new AgentOptions { Token = "a-long-enough-token-1234", CheckpointDirectory = "checkpoints", ImageDirectory = "" });

        Assert.Contains("EdgePortal:Agent:CheckpointDirectory", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("EdgePortal:Agent:ImageDirectory", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    public void Validate_PageServerTimeoutNotPositive_NamesTheKey(string timeout)
    {
        var result = new AgentOptionsValidator().Validate(Options.DefaultName,
            new AgentOptions { Token = "a-long-enough-token-1234", PageServerTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Contains("EdgePortal:Agent:PageServerTimeout must be positive", result.FailureMessage, StringComparison.Ordinal);
    }
}
