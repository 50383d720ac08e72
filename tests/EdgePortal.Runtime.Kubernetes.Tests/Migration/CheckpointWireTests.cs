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
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unknown desc = CRIU binary not found or too old)", "install CRIU on the node" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unimplemented desc = unknown method CheckpointContainer for service runtime.v1.RuntimeService)", "enable_criu_support" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unknown desc = checkpoint/restore support not available)", "enable_criu_support = true" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = Unknown desc = failed to checkpoint container 7c1f: running \"/usr/sbin/runc checkpoint\" failed: criu failed: type DUMP errno 0\nlog file: /var/lib/containers/storage/overlay-containers/7c1f/userdata/dump.log)", "the dump itself failed" },
        { 500, "text/plain", "checkpointing of edge/counter-5d8f7/counter failed (rpc error: code = DeadlineExceeded desc = context deadline exceeded)", "CRI deadline" },
        { 500, "text/plain", "checkpointing failed: no space left on device", "the container runtime reported an error" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Checkpoint_ContainerRuntimeFails_FailsWithTheOperatorMessage(int code, string contentType, string body, string expected)
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Kubelet.Next(new Fault.Answer(code, body, contentType));

        var failure = await CheckpointFailureAsync(k);

        Assert.Contains(expected, failure, StringComparison.Ordinal);
        Assert.Contains("The cluster said:", failure, StringComparison.Ordinal);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Checkpoint_KubeletDoesNotAuthenticateTheAgentsToken_SaysWebhookAuthenticationAndTheTokenFile()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        await File.WriteAllTextAsync(k.TokenFile, "a-token-the-api-server-never-issued");

        var failure = await CheckpointFailureAsync(k);

        Assert.Contains("refused by the kubelet (401 Unauthorized)", failure, StringComparison.Ordinal);
        Assert.Contains("EdgePortal:Agent:Kubelet:TokenFile", failure, StringComparison.Ordinal);
        Assert.Equal("a-token-the-api-server-never-issued", Assert.Single(k.Kubelet.Requests).Token);
    }

    [Fact]
    public async Task Checkpoint_AgentLacksNodesCheckpoint_Says403FromTheKubeletAndTheRoleToBind()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Kubelet.AgentMayCheckpoint = false;

        var failure = await CheckpointFailureAsync(k);

        Assert.Contains("refused by the kubelet (403 Forbidden)", failure, StringComparison.Ordinal);
        Assert.Contains("edgeportal-agent-checkpoint", failure, StringComparison.Ordinal);
        Assert.Contains($"user={FakeKubeletServer.AgentUser}", failure, StringComparison.Ordinal);
        Assert.Empty(k.Api.Kubelet.Checkpoints);
    }

    [Fact]
    public async Task Profile_ApiServerRbacRefusesThePodList_NamesTheRoleOfTheManagedNamespace()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Api.Faults.Next(Operation.ListPods, Fault.Status(403, "Forbidden",
            "pods is forbidden: User \"system:serviceaccount:edgeportal:edgeportal\" cannot list resource \"pods\" in API group \"\" in the namespace \"edge\""));

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome).Reason;
        Assert.Contains("403 Forbidden", failure, StringComparison.Ordinal);
        Assert.Contains("the Role edgeportal-portal in this namespace (deploy/managed/rbac-managed.yaml", failure, StringComparison.Ordinal);
        Assert.Contains("cannot list resource", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_FeatureGateOff_SaysSo()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Kubelet.ContainerCheckpointGate = false;

        var failure = await CheckpointFailureAsync(k);

        Assert.Contains("ContainerCheckpoint feature gate is off", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_PortalCallsNoKubeletAndNoNodeProxy_TheSourceNodesAgentAsksItsOwnKubelet()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        Assert.IsType<StepOutcome.Success>(outcome);
        var request = Assert.Single(k.Kubelet.Requests);
        Assert.Equal(FakeKubeletServer.AgentToken, request.Token);
        Assert.Empty(k.DestinationKubelet.Requests);
        Assert.DoesNotContain(k.Api.Requests, r => r.Path.Contains("/proxy/", StringComparison.Ordinal));
        k.Api.AssertNoRejections();
    }

    private static async Task<string> CheckpointFailureAsync(KubernetesHarness k)
    {
        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);
        var failure = Assert.IsType<StepOutcome.Failure>(outcome).Reason;
        Assert.Contains($"{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}/{KubernetesHarness.ContainerName} on node edge-1", failure, StringComparison.Ordinal);
        return failure;
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
        k.Kubelet.Next(new Fault.Answer(404, "container counter does not exist", "text/plain"));

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
        var request = Assert.Single(k.Kubelet.Requests);
        Assert.Equal($"/checkpoint/{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}/{KubernetesHarness.ContainerName}?timeout={sent.ToString(System.Globalization.CultureInfo.InvariantCulture)}", request.Target);
        Assert.Equal(sent, Assert.Single(k.Api.Kubelet.Checkpoints).TimeoutSeconds);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Checkpoint_KubeletNeverAnswers_FailsAfterTheCriDeadlineAndBothMargins()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var k = await KubernetesHarness.StartAsync(registry, clock, o => o.CheckpointTimeout = TimeSpan.FromSeconds(30));
        k.Kubelet.Next(new Fault.Hang());

        var checkpoint = k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);
        await k.Kubelet.FirstRequest.WaitAsync(Patience);
        // The kubelet's CRI deadline (30 s), the agent's wait for its answer (15 s more), the portal's for the agent's (15 s more).
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(checkpoint.IsCompleted, "the runtime gave up before the kubelet's deadline and both margins");
        clock.Advance(TimeSpan.FromSeconds(1));
        var outcome = await checkpoint.WaitAsync(Patience);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains("did not answer within", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("(CheckpointTimeout, the kubelet's CRI deadline", failure.Reason, StringComparison.Ordinal);
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
