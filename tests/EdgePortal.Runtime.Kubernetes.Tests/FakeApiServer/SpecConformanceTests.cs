using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>
/// The fake API server and the fake kubelet hold the runtime to upstream: a request whose path, method, query or body
/// drifts from the vendored Kubernetes OpenAPI v3 documents is refused (and recorded, so a migration test's
/// <see cref="FakeKubeApiServer.AssertNoRejections"/> fails). The kubelet's own answers: <see cref="KubeletConformanceTests"/>.
/// </summary>
public sealed class SpecConformanceTests : IAsyncLifetime
{
    private FakeKubeApiServer _api = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _api = await StartWithOnePodAsync();
        _http = new HttpClient { BaseAddress = _api.BaseUri };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FakeKubeApiServer.Token);
    }

    /// <summary>The fake with node edge-1 and its pod edge/api-0 (container api).</summary>
    internal static async Task<FakeKubeApiServer> StartWithOnePodAsync()
    {
        var api = await FakeKubeApiServer.StartAsync();
        api.State.AddNode(new k8s.Models.V1Node { Metadata = new k8s.Models.V1ObjectMeta { Name = "edge-1" } });
        api.Kubelet.Run(new k8s.Models.V1Pod
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "api-0", NamespaceProperty = "edge" },
            Spec = new k8s.Models.V1PodSpec { NodeName = "edge-1", Containers = [new k8s.Models.V1Container { Name = "api", Image = "example/api:1" }] },
        });
        return api;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public void Fake_EveryOperationItServes_IsAnOperationOfTheVendoredSpecification()
    {
        var upstream = OpenApiSpec.Vendored.Operations.Select(o => o.OperationId).ToHashSet(StringComparer.Ordinal);

        var missing = FakeKubeApiServer.OperationIds.Where(o => !upstream.Contains(o.Value)).ToList();

        Assert.Empty(missing);
        Assert.Equal(Enum.GetValues<Operation>().Length, FakeKubeApiServer.OperationIds.Count);
    }

    [Fact]
    public void VendoredSpecification_EveryOperationItHolds_IsOneTheFakeServes()
    {
        var served = FakeKubeApiServer.OperationIds.Values.ToHashSet(StringComparer.Ordinal);

        var unserved = OpenApiSpec.Vendored.Operations.Select(o => o.OperationId).Where(o => !served.Contains(o)).ToList();

        Assert.True(unserved.Count == 0, "operations vendored but not served: " + string.Join(", ", unserved));
    }

    [Theory]
    [InlineData("GET", "/api/v1/namespaces/edge/pods/api-0?bogus=1", HttpStatusCode.BadRequest, "has no query parameter 'bogus'")]
    [InlineData("GET", "/api/v1/namespaces/edge/pods?watch=yes", HttpStatusCode.BadRequest, "'watch' must be a boolean")]
    [InlineData("GET", "/api/v1/namespaces/edge/pods?limit=ten", HttpStatusCode.BadRequest, "'limit' must be a integer")]
    [InlineData("DELETE", "/api/v1/namespaces/edge/pods/api-0?force=true", HttpStatusCode.BadRequest, "has no query parameter 'force'")]
    [InlineData("GET", "/api/v1/namespaces/edge/pod/api-0", HttpStatusCode.NotFound, "does not serve")]
    [InlineData("PUT", "/api/v1/namespaces/edge/services/api", HttpStatusCode.NotFound, "does not serve")]
    public async Task Request_ShapeOutsideTheSpecification_IsRefusedAndRecorded(string method, string path, HttpStatusCode code, string said)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path.TrimStart('/')));

        Assert.Equal(code, response.StatusCode);
        Assert.Contains(said, CheckpointErrors.Message(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Single(_api.Rejections);
    }

    [Fact]
    public async Task CreatePod_UnknownFieldDeepInTheSpec_IsRefusedNamingTheField()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[{"name":"x","image":"i","imagePullPolicyy":"Always"}]}}""";

        using var response = await _http.PostAsync("api/v1/namespaces/edge/pods", new StringContent(pod, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"spec.containers.imagePullPolicyy\"", CheckpointErrors.Message(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Null(_api.State.Pod("edge", "x"));
    }

    [Fact]
    public async Task CreatePod_UnknownTopLevelField_IsRefusedByTheVendoredSchema()
    {
        const string pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"specs":{}}""";

        using var response = await _http.PostAsync("api/v1/namespaces/edge/pods", new StringContent(pod, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown field \"specs\"", CheckpointErrors.Message(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletePod_DeleteOptionsWithUnknownField_IsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "api/v1/namespaces/edge/pods/api-0")
        {
            Content = new StringContent("""{"kind":"DeleteOptions","apiVersion":"v1","gracePeriod":0}""", Encoding.UTF8, "application/json"),
        };

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(_api.State.Pod("edge", "api-0"));
    }

    [Fact]
    public async Task PatchPod_PlainJsonContentType_IsUnsupportedMediaType()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "api/v1/namespaces/edge/pods/api-0")
        {
            Content = new StringContent("""{"metadata":{"labels":{"a":"b"}}}""", Encoding.UTF8, "application/json"),
        };

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }
}
