using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>
/// The fake kubelet answers as pkg/kubelet/server/server.go does: its auth filter (401 "Unauthorized", 403 "Forbidden
/// (user=…, verb=create, resource=nodes, subresource=checkpoint)"), the feature gate ("404 page not found"), the checkpoint
/// handler's 404 texts, the optional <c>timeout</c> (the last one wins) and the archive names in RFC 3339 with colons.
/// </summary>
public sealed partial class KubeletConformanceTests : IAsyncLifetime
{
    private FakeKubeApiServer _api = null!;
    private FakeKubeletServer _kubelet = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _api = await SpecConformanceTests.StartWithOnePodAsync();
        _kubelet = await FakeKubeletServer.StartAsync("edge-1", _api.Kubelet);
        _http = new HttpClient(AgentTls.VerifyingHandler(new PemAuthorities(TestPki.Shared.AuthorityFile), _kubelet.ServerName)) { BaseAddress = _kubelet.BaseUri };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeKubeletServer.AgentToken);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _kubelet.DisposeAsync();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Checkpoint_WithoutTimeout_IsAcceptedAndNamesTheArchiveInRfc3339WithColons()
    {
        _api.Kubelet.Now = () => new DateTime(2026, 12, 7, 16, 5, 9, DateTimeKind.Utc);

        using var response = await _http.PostAsync("checkpoint/edge/api-0/api", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"items":["/var/lib/kubelet/checkpoints/checkpoint-api-0_edge-api-2026-12-07T16:05:09Z.tar"]}""", await response.Content.ReadAsStringAsync());
        Assert.Null(Assert.Single(_api.Kubelet.Checkpoints).TimeoutSeconds);
        Assert.Matches(KubeletArchiveName(), Path.GetFileName(_api.Kubelet.Checkpoints[0].Archive));
    }

    [Theory]
    [InlineData("checkpoint/edge/gone-0/api", "pod does not exist")]
    [InlineData("checkpoint/edge/api-0/sidecar", "container sidecar does not exist")]
    [InlineData("checkpoint/edge/api-0/api?timeout=soon", "cannot parse value of timeout parameter")]
    public async Task Checkpoint_KubeletRefuses_With404AndTheKubeletsOwnText(string path, string text)
    {
        using var response = await _http.PostAsync(path, null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(text, await response.Content.ReadAsStringAsync());
        Assert.Empty(_api.Kubelet.Checkpoints);
    }

    [Fact]
    public async Task Checkpoint_SeveralTimeouts_TheLastWins()
    {
        using var response = await _http.PostAsync("checkpoint/edge/api-0/api?timeout=5&timeout=9", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(9, Assert.Single(_api.Kubelet.Checkpoints).TimeoutSeconds);
    }

    [Theory]
    [InlineData(null, true, true, 401, "Unauthorized")]
    [InlineData("someone-elses-token", true, true, 401, "Unauthorized")]
    [InlineData(FakeKubeletServer.AgentToken, false, true, 403, "Forbidden (user=system:serviceaccount:edgeportal:edgeportal-agent, verb=create, resource=nodes, subresource=checkpoint)")]
    [InlineData(FakeKubeletServer.AgentToken, true, false, 404, "404 page not found")]
    public async Task Checkpoint_AuthFilterOrFeatureGate_AnswersAsTheKubelet(string? token, bool mayCheckpoint, bool gate, int code, string text)
    {
        _kubelet.AgentMayCheckpoint = mayCheckpoint;
        _kubelet.ContainerCheckpointGate = gate;
        using var request = new HttpRequestMessage(HttpMethod.Post, "checkpoint/edge/api-0/api?timeout=5");
        _http.DefaultRequestHeaders.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);

        using var response = await _http.SendAsync(request);

        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal(text, (await response.Content.ReadAsStringAsync()).TrimEnd('\n'));
        Assert.Empty(_api.Kubelet.Checkpoints);
    }

    /// <summary>checkpoint-&lt;pod&gt;_&lt;namespace&gt;-&lt;container&gt;-&lt;RFC 3339&gt;.tar, as pkg/kubelet names it.</summary>
    [GeneratedRegex(@"^checkpoint-[a-z0-9.-]+_[a-z0-9-]+-[a-z0-9-]+-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\.tar$")]
    private static partial Regex KubeletArchiveName();
}
