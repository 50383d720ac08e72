using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>The checkpoint request as the kubelet receives it, every answer it can give mapped to an operator message, and its deadlines.</summary>
[Collection(RegistryCollection.Name)]
public sealed class CheckpointWireTests(RegistryFixture registry)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static TheoryData<int, string, string, string> Answers => new()
    {
        { 401, "application/json", FakeKubeApiServer.StatusJson(401, "Unauthorized", "Unauthorized"), "did not accept EdgePortal's credentials" },
        { 403, "application/json", FakeKubeApiServer.StatusJson(403, "Forbidden", "nodes \"edge-1\" is forbidden: User \"system:serviceaccount:edgeportal:edgeportal\" cannot create resource \"nodes/proxy\" in API group \"\" at the cluster scope"), "lacks create on nodes/proxy" },
        { 403, "text/plain", "Forbidden (user=kube-apiserver-kubelet-client, verb=create, resource=nodes, subresource(s)=[checkpoint])", "kubelet client user lacks create on nodes/checkpoint" },
        { 404, "text/plain", "404 page not found", "ContainerCheckpoint feature gate is off" },
        { 404, "application/json", FakeKubeApiServer.StatusJson(404, "NotFound", "nodes \"edge-1\" not found"), "the API server knows no node edge-1" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unknown desc = CRIU binary not found or too old)", "install CRIU on the node" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unimplemented desc = unknown method CheckpointContainer for service runtime.v1.RuntimeService)", "enable_criu_support" },
        { 500, "text/plain", "checkpointing failed: no space left on device", "the container runtime reported an error" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Checkpoint_KubeletOrApiServerRefuses_FailsWithTheOperatorMessage(int code, string contentType, string body, string expected)
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Api.Faults.Next(Operation.Checkpoint, new Fault.Answer(code, body, contentType));

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains(expected, failure.Reason, StringComparison.Ordinal);
        Assert.Contains($"{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}/{KubernetesHarness.ContainerName} on node edge-1", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("The cluster said:", failure.Reason, StringComparison.Ordinal);
        k.Api.AssertNoRejections();
    }

    [Theory]
    [InlineData("/var/snap/microk8s/common/var/lib/kubelet/checkpoints", null, false)]
    [InlineData("/var/snap/microk8s/common/var/lib/kubelet/checkpoints", "/var/snap/microk8s/common/var/lib/kubelet/checkpoints", true)]
    [InlineData("/var/lib/kubelet/checkpoints/../../../etc", null, false)]
    public async Task Checkpoint_ArchiveOutsideTheKubeletCheckpointDirectory_IsRefusedNamingTheKey(string kubeletDirectory, string? configured, bool accepted)
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.KubeletCheckpointDirectory = configured ?? o.KubeletCheckpointDirectory);
        k.Api.Kubelet.CheckpointDirectory = kubeletDirectory;

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        if (accepted)
            Assert.StartsWith(kubeletDirectory + "/checkpoint-", Assert.IsType<StepOutcome.Success>(outcome).Artifacts?.ArchivePath, StringComparison.Ordinal);
        else
            Assert.Contains("(KubeletCheckpointDirectory)", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_KubeletFindsNoContainer_SaysNoSuchPodOrContainer()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Api.Faults.Next(Operation.Checkpoint, new Fault.Answer(404, "container \"counter\" not found: rpc error: code = NotFound", "text/plain"));

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        Assert.Contains("found no such pod or container", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(45, 45)]
    [InlineData(90.2, 91)]
    [InlineData(600, 600)]
    public async Task Checkpoint_Timeout_IsSentAsWholeSecondsRoundedUp(double configured, int sent)
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.CheckpointTimeout = TimeSpan.FromSeconds(configured));

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        Assert.IsType<StepOutcome.Success>(outcome);
        var request = Assert.Single(k.Api.RequestsOf(Operation.Checkpoint));
        Assert.Equal($"/api/v1/nodes/edge-1/proxy/checkpoint/{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}/{KubernetesHarness.ContainerName}", request.Path);
        Assert.Equal(sent.ToString(System.Globalization.CultureInfo.InvariantCulture), request["timeout"]);
        Assert.Equal(sent, Assert.Single(k.Api.Kubelet.Checkpoints).TimeoutSeconds);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Checkpoint_KubeletNeverAnswers_FailsAtTheTimeoutPlusGrace()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var k = await KubernetesHarness.StartAsync(registry, clock, o => o.CheckpointTimeout = TimeSpan.FromSeconds(30));
        k.Api.Faults.Next(Operation.Checkpoint, new Fault.Hang());

        var checkpoint = k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);
        await k.Api.WhenRequest(r => r.Operation == Operation.Checkpoint).WaitAsync(Patience);
        clock.Advance(TimeSpan.FromSeconds(44));
        Assert.False(checkpoint.IsCompleted, "the runtime gave up before CheckpointTimeout + 15 s");
        clock.Advance(TimeSpan.FromSeconds(1));
        var outcome = await checkpoint.WaitAsync(Patience);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains("did not answer within", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("(CheckpointTimeout)", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clients_CheckpointTimeoutOfTwoMinutes_RaiseTheHttpTimeoutAboveTheDefault100Seconds()
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.CheckpointTimeout = TimeSpan.FromMinutes(2));

        var configuration = KubernetesClients.Configuration(k.Options);

        Assert.Equal(k.Api.BaseUri.ToString().TrimEnd('/'), configuration.Host.TrimEnd('/'));
        Assert.True(configuration.HttpClientTimeout > TimeSpan.FromSeconds(100), $"HTTP timeout {configuration.HttpClientTimeout}");
        Assert.True(configuration.HttpClientTimeout >= k.Options.CheckpointTimeout + TimeSpan.FromSeconds(15), $"HTTP timeout {configuration.HttpClientTimeout}");
    }

    [Fact]
    public async Task Probe_TokenRefused_SaysTheCredentialsWereNotAccepted()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        var path = k.Api.WriteKubeconfig(k.Folder, "wrong", token: "not-the-token-of-the-fake-server");
        var edge = new KubernetesEdgeOptions();
        edge.Clusters[KubernetesHarness.ClusterName] = new KubernetesClusterOptions { KubeconfigPath = path, Context = "wrong", Namespace = KubernetesHarness.Namespace, Registry = "r:5000", AgentTls = TestPki.Shared.PortalTls };
        using var clients = new KubernetesClients(Microsoft.Extensions.Options.Options.Create(edge));
        var runtime = new KubernetesEdgeRuntime(clients, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesEdgeRuntime>.Instance);

        var probe = await runtime.ProbeAsync(KubernetesHarness.Cluster, CancellationToken.None);

        Assert.False(probe.Reachable);
        Assert.Contains("401 Unauthorized", probe.Summary, StringComparison.Ordinal);
        Assert.Contains("credentials were not accepted", probe.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_TwoReadyNodes_SummarisesThemAndColdOnly()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);

        var probe = await k.Runtime.ProbeAsync(KubernetesHarness.Cluster, CancellationToken.None);

        Assert.True(probe.Reachable, probe.Summary);
        Assert.Equal("Kubernetes, 2 nodes, 2 Ready; Cold migrations only", probe.Summary);
        k.Api.AssertNoRejections();
    }
}
