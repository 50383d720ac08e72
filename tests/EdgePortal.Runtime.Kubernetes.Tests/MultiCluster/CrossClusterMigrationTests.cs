using System.Net;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.MultiCluster;

/// <summary>
/// Cold from edge-1 in cluster A to edge-2 in cluster B (issue 16 item 4): two fake API servers, each with its own
/// kubeconfig, agents on both nodes, the real registry (A reaches it as its Registry, B's nodes under another name given
/// by A's <c>Peers:B:Registry</c>), and B's hand-over webhook on a real HTTP listener.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class CrossClusterMigrationTests(RegistryFixture registry) : IAsyncLifetime
{
    internal const string Secret = "hand-over-secret-0123456789";
    private KubernetesHarness _k = null!;
    private HandOverReceiver _webhook = null!;

    /// <summary>The registry as B's nodes name it: the same docker-registry, another host name.</summary>
    private string PeerRegistry => $"localhost:{registry.BaseUri.Port}";

    public async Task InitializeAsync()
    {
        _webhook = await HandOverReceiver.StartAsync();
        _k = await StartAsync(registry, _webhook, PeerRegistry);
    }

    /// <summary>A and B with the registry shared through A's peer entry, B's webhook at <paramref name="webhook"/>.</summary>
    internal static Task<KubernetesHarness> StartAsync(RegistryFixture registry, HandOverReceiver webhook, string? peerRegistry) =>
        KubernetesHarness.StartTwoClustersAsync(registry,
            a =>
            {
                if (peerRegistry is not null)
                    a.Peers[KubernetesHarness.DestinationClusterName] = new KubernetesPeerOptions { Registry = peerRegistry };
            },
            b =>
            {
                b.Registry = "registry-b.edge.local:5000";
                b.HandOver.Webhook = new HandOverWebhookOptions { Url = webhook.Url, Secret = Secret, RetryDelay = TimeSpan.FromMilliseconds(20) };
            });

    public async Task DisposeAsync()
    {
        await _k.DisposeAsync();
        await _webhook.DisposeAsync();
    }

    private V1Pod? InB(string name) => _k.DestinationApi.State.Pod(KubernetesHarness.Namespace, name);

    private void AssertNoRejections() =>
        Assert.True(_k.Api.Rejections.Count == 0 && _k.DestinationApi.Rejections.Count == 0,
            $"A: {string.Join(" | ", _k.Api.Rejections)}; B: {string.Join(" | ", _k.DestinationApi.Rejections)}");

    [Fact]
    public async Task Execute_ColdFromClusterAToClusterB_RestoresInBSwitchesBsServiceAndDeletesTheSourceOnlyThen()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);

        var outcomes = (await _k.RunAsync(id, StepKind.SwitchTraffic)).ToList();

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));
        // Restored in B, on edge-2, from the registry as B's nodes name it, by digest; nothing created in A.
        var restored = InB(target)!;
        Assert.Equal("edge-2", restored.Spec.NodeName);
        var digest = ((StepOutcome.Success)outcomes.Single(o => o.Kind == StepKind.Transfer).Outcome).Artifacts!.ImageDigest;
        Assert.Equal($"{PeerRegistry}/edgeportal/counter@{digest}", restored.Spec.Containers[0].Image);
        Assert.Equal(HttpStatusCode.OK, await KubernetesHarness.ManifestStatusAsync(registry, digest!));
        Assert.Equal($"{KubernetesHarness.ClusterName}/{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}", restored.Metadata.Annotations[KubernetesLabels.RestoredFrom]);
        Assert.Null(_k.Pod(target));
        // B's own Service selects it; A's no longer lists the source, which still exists until the clean-up.
        Assert.Equal([target], Endpoints(_k.DestinationApi));
        Assert.Empty(Endpoints(_k.Api));
        Assert.NotNull(_k.Pod(KubernetesHarness.SourcePodName));
        // The destination's agent pulled the base image, the source's agent checkpointed: each cluster its own node.
        Assert.Single(_k.Api.Kubelet.Checkpoints);
        Assert.Empty(_k.DestinationApi.Kubelet.Checkpoints);

        // The webhook heard the switch once, signed with the secret, naming both clusters and the new endpoint.
        var call = Assert.Single(_webhook.Calls);
        Assert.Equal(HandOverWebhook.Sign(Secret, call.Body), call.Signature);
        Assert.Equal(("switch", $"{id}/switch"), (call.Event, call.Delivery));
        var notice = call.Notice;
        Assert.Equal((id.ToString(), KubernetesHarness.ServiceName, KubernetesHarness.ClusterName, KubernetesHarness.DestinationClusterName, "edge-1", "edge-2"),
            (notice.MigrationId, notice.Service, notice.FromCluster, notice.ToCluster, notice.FromNode, notice.ToNode));
        Assert.Equal((KubernetesHarness.DestinationClusterName, KubernetesHarness.Namespace, KubernetesHarness.ServiceName, target, 80),
            (notice.Endpoint.Cluster, notice.Endpoint.Namespace, notice.Endpoint.Service, notice.Endpoint.Pod, Assert.Single(notice.Endpoint.Ports)));
        Assert.Contains("the hand-over webhook", ((StepOutcome.Success)outcomes[^1].Outcome).Message, StringComparison.Ordinal);

        var stored = outcomes.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge);
        var cleanUp = await _k.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(id, StepKind.CleanUp, stored: stored), CancellationToken.None);

        var said = Assert.IsType<StepOutcome.Success>(cleanUp).Message!;
        Assert.Contains($"deleted the source pod {KubernetesHarness.SourcePodName} on edge-1 in cluster {KubernetesHarness.ClusterName}", said, StringComparison.Ordinal);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, _k.CounterService().Spec.Selector);
        Assert.Empty(_k.ArchivesLeft());
        Assert.Equal(HttpStatusCode.NotFound, await KubernetesHarness.ManifestStatusAsync(registry, digest!));
        Assert.NotNull(InB(target));
        AssertNoRejections();
    }

    [Fact]
    public async Task CleanUp_BsEndpointsDoNotListTheRestoredPod_FailsForARetryAndKeepsTheSourceInA()
    {
        var id = MigrationId.New();
        var outcomes = await _k.RunAsync(id, StepKind.SwitchTraffic);
        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));
        // B's endpoints lose the restored pod (its Service's label gone): it receives no traffic.
        _k.DestinationApi.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.TargetName(id), p => p.Metadata.Labels.Remove("app"));
        var stored = outcomes.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge);

        var cleanUp = await _k.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(id, StepKind.CleanUp, stored: stored), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(cleanUp);
        Assert.Contains("do not list", failure.Reason, StringComparison.Ordinal);
        Assert.NotNull(failure.RetryAfter);
        Assert.NotNull(_k.Pod(KubernetesHarness.SourcePodName));
    }

    [Fact]
    public async Task SwitchTraffic_WebhookRefusesEveryAttempt_FailsAndTheRollbackLeavesClusterAServing()
    {
        for (var i = 0; i < 3; i++)
            _webhook.Answers.Enqueue(503);
        var id = MigrationId.New();

        var outcomes = await _k.RunAsync(id, StepKind.SwitchTraffic);

        var failure = Assert.IsType<StepOutcome.Failure>(outcomes[^1].Outcome);
        Assert.Equal(StepKind.SwitchTraffic, outcomes[^1].Kind);
        Assert.Contains("did not accept the hand-over after 3 attempts: HTTP 503", failure.Reason, StringComparison.Ordinal);
        Assert.Equal(3, _webhook.Calls.Count);
        Assert.All(_webhook.Calls, c => Assert.Equal($"{id}/switch", c.Delivery));
        // The source never lost its labels: the webhook answers before the source leaves A's Service.
        Assert.Equal("counter", _k.Pod(KubernetesHarness.SourcePodName)!.Metadata.Labels["app"]);

        var rollback = await _k.Runtime.RollbackAsync(KubernetesHarness.RollbackAcross(id, outcomes), CancellationToken.None);

        var said = Assert.IsType<StepOutcome.Success>(rollback).Message!;
        Assert.Contains($"in cluster {KubernetesHarness.DestinationClusterName}", said, StringComparison.Ordinal);
        Assert.Null(InB(KubernetesHarness.TargetName(id)));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, _k.CounterService().Spec.Selector);
        Assert.Equal([KubernetesHarness.SourcePodName], Endpoints(_k.Api));
        Assert.Equal("rollback", _webhook.Calls[^1].Event);
        Assert.Equal(KubernetesHarness.ClusterName, _webhook.Calls[^1].Notice.FromCluster);
        Assert.Empty(_k.ArchivesLeft());
        AssertNoRejections();
    }

    [Fact]
    public async Task NotifyAsync_WebhookHangsThenAcceptsWithBearer_RetriedAfterTheTimeoutAndAcceptedOnTheSecondAttempt()
    {
        _webhook.Answers.Enqueue(HandOverReceiver.Hang);
        var webhook = new HandOverWebhook(new HttpClient(), TimeProvider.System);
        var options = new HandOverWebhookOptions
        {
            Url = _webhook.Url, Authentication = HandOverAuthentication.Bearer, Secret = Secret,
            Timeout = TimeSpan.FromMilliseconds(300), RetryDelay = TimeSpan.Zero,
        };
        var notice = new HandOverNotice
        {
            Event = "switch", MigrationId = "m1", Tenant = "t", Service = "counter", FromCluster = "a", ToCluster = "b", FromNode = "edge-1", ToNode = "edge-2",
            Endpoint = new HandOverEndpoint { Cluster = "b", Namespace = "edge", Service = "counter", Pod = "counter-m1", Node = "edge-2" },
            SentAt = DateTimeOffset.UnixEpoch,
        };

        var said = await webhook.NotifyAsync(options, notice, CancellationToken.None);

        Assert.Contains("accepted it (HTTP 200, attempt 2)", said, StringComparison.Ordinal);
        Assert.Equal(2, _webhook.Calls.Count);
        Assert.All(_webhook.Calls, c => Assert.Equal(($"Bearer {Secret}", (string?)null, "m1/switch"), (c.Authorization, c.Signature, c.Delivery)));
    }

    [Fact]
    public async Task NotifyAsync_SecretFileRotated_SignsEachCallWithTheFilesCurrentSecret()
    {
        var file = Path.Combine(_k.Folder, "hand-over-secret");
        await File.WriteAllTextAsync(file, "first-secret-0123456789\n");
        var webhook = new HandOverWebhook(new HttpClient(), TimeProvider.System);
        var options = new HandOverWebhookOptions { Url = _webhook.Url, SecretFile = file };
        var notice = new HandOverNotice
        {
            Event = "switch", MigrationId = "m2", Tenant = "t", Service = "counter", FromCluster = "a", ToCluster = "b", FromNode = "edge-1", ToNode = "edge-2",
            Endpoint = new HandOverEndpoint { Cluster = "b", Namespace = "edge", Service = "counter", Pod = "counter-m2", Node = "edge-2" },
            SentAt = DateTimeOffset.UnixEpoch,
        };

        await webhook.NotifyAsync(options, notice, CancellationToken.None);
        await File.WriteAllTextAsync(file, "second-secret-0123456789\n");
        await webhook.NotifyAsync(options, notice with { Event = "rollback" }, CancellationToken.None);

        Assert.Equal(HandOverWebhook.Sign("first-secret-0123456789", _webhook.Calls[0].Body), _webhook.Calls[0].Signature);
        Assert.Equal(HandOverWebhook.Sign("second-secret-0123456789", _webhook.Calls[1].Body), _webhook.Calls[1].Signature);
    }

    [Fact]
    public async Task Profile_PodOwnedByADeploymentAcrossClusters_RefusedNamingTheOwner()
    {
        _k.OwnByDeployment();

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains($"owned by Deployment counter (ReplicaSet {KubernetesHarness.ReplicaSetName}) in cluster {KubernetesHarness.ClusterName}: an owner cannot adopt a pod in another cluster",
            failure.Reason, StringComparison.Ordinal);
        Assert.Empty(_k.Api.Kubelet.Checkpoints);
    }

    [Fact]
    public async Task Profile_NoServiceInClusterB_RefusedSayingWhereToCreateIt()
    {
        _k.DestinationApi.State.ReplaceService(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = KubernetesHarness.ServiceName, NamespaceProperty = KubernetesHarness.Namespace },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 80 }] },
        });

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains($"the Service counter in cluster {KubernetesHarness.DestinationClusterName} (edge) has no selector", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_MessageReplayAcrossClusters_RefusedColdOnly()
    {
        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(MigrationId.New(), StepKind.Profile, MigrationStrategy.MessageReplay), CancellationToken.None);

        Assert.Contains("MessageReplay does not cross clusters", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_ClustersSharingARegistry_ListsThePeerAndColdAcross()
    {
        var probe = await _k.Runtime.ProbeAsync(KubernetesHarness.Cluster, CancellationToken.None);

        Assert.True(probe.Reachable, probe.Summary);
        Assert.Equal([KubernetesHarness.DestinationClusterName], probe.Capabilities.Peers);
        Assert.Equal([MigrationStrategy.Cold], probe.Capabilities.CrossClusterStrategies);
        Assert.Contains($"Cold migrations to {KubernetesHarness.DestinationClusterName}", probe.Capabilities.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profile_ClustersWithoutASharedRegistry_RefusedNamingThePeersKey()
    {
        await using var alone = await StartAsync(registry, _webhook, peerRegistry: null);

        var outcome = await alone.Runtime.ExecuteAsync(KubernetesHarness.ContextAcross(MigrationId.New(), StepKind.Profile), CancellationToken.None);
        var probe = await alone.Runtime.ProbeAsync(KubernetesHarness.Cluster, CancellationToken.None);

        Assert.Contains($"share no registry for the checkpoint image: configure EdgePortal:Kubernetes:Clusters:{KubernetesHarness.ClusterName}:Peers:{KubernetesHarness.DestinationClusterName}:Registry",
            Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
        Assert.Empty(probe.Capabilities.Peers!);
        Assert.Empty(alone.Api.Kubelet.Checkpoints);
    }

    private static IReadOnlyList<string> Endpoints(FakeKubeApiServer api) =>
        [.. (api.Endpoints(KubernetesHarness.Namespace, KubernetesHarness.ServiceName)?.Subsets ?? [])
            .SelectMany(s => s.Addresses ?? []).Select(a => a.TargetRef.Name).Order(StringComparer.Ordinal)];
}
