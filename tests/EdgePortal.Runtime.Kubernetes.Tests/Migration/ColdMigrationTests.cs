using System.Net;
using System.Net.Http.Headers;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>A whole Cold migration over the wire: the fake API server and kubelet, a real agent, a real registry.</summary>
[Collection(RegistryCollection.Name)]
public sealed class ColdMigrationTests(RegistryFixture registry) : IAsyncLifetime
{
    private KubernetesHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubernetesHarness.StartAsync(registry);

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task Execute_EveryColdStep_MovesThePodAndTheTraffic()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);

        var outcomes = (await _k.RunAsync(id, StepKind.SwitchTraffic)).ToList();
        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes) + " | " + string.Join(" | ", _k.Api.Rejections));

        // Before the clean-up: the image is really in the registry, with the archive as its one layer.
        using var http = new HttpClient { BaseAddress = registry.BaseUri };
        using var get = new HttpRequestMessage(HttpMethod.Get, $"v2/edgeportal/counter/manifests/{TargetPodBuilder.Tag(id)}");
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        using var manifest = await http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        Assert.Contains("io.kubernetes.cri-o.annotations.checkpoint.name", await manifest.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(_k.ArchivesLeft());
        var stored = outcomes.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge);
        outcomes.Add((StepKind.CleanUp, await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.CleanUp, stored: stored), CancellationToken.None)));
        Assert.IsType<StepOutcome.Success>(outcomes[^1].Outcome);
        Assert.Equal(6, outcomes.Count);
        string Said(StepKind kind) => ((StepOutcome.Success)outcomes.Single(o => o.Kind == kind).Outcome).Message!;
        Assert.Contains($"profiled pod {KubernetesHarness.SourcePodName}", Said(StepKind.Profile), StringComparison.Ordinal);
        Assert.Contains("zone metro-b", Said(StepKind.Profile), StringComparison.Ordinal);
        Assert.Contains("the container keeps running", Said(StepKind.Checkpoint), StringComparison.Ordinal);
        var reference = $"{registry.Host}/edgeportal/counter:{TargetPodBuilder.Tag(id)}";
        Assert.Contains($"pushed {reference}", Said(StepKind.Transfer), StringComparison.Ordinal);
        Assert.Contains($"restored pod {target} on edge-2", Said(StepKind.Restore), StringComparison.Ordinal);
        Assert.Contains($"now selects {target} on edge-2 (app=counter)", Said(StepKind.SwitchTraffic), StringComparison.Ordinal);
        Assert.Contains($"deleted the source pod {KubernetesHarness.SourcePodName}", Said(StepKind.CleanUp), StringComparison.Ordinal);
        Assert.Contains($"pulled the base image quay.io/example/counter@sha256:", Said(StepKind.Profile), StringComparison.Ordinal);

        // The destination's agent pulled the source container's image by digest before anything was drained.
        Assert.Equal($"pull {FakeKubelet.ImageId(KubernetesHarness.RootfsImage)}", Assert.Single(_k.Crictl.Calls));

        // After the clean-up nothing holds the container's memory: the archive and the pushed image are deleted.
        Assert.Empty(_k.ArchivesLeft());
        Assert.Equal(HttpStatusCode.NotFound, await KubernetesHarness.ManifestStatusAsync(registry, stored.ImageDigest!));
        Assert.Contains($"deleted the checkpoint image edgeportal/counter@{stored.ImageDigest}", Said(StepKind.CleanUp), StringComparison.Ordinal);

        // The kubelet was asked for the right container with the configured timeout.
        var checkpoint = Assert.Single(_k.Api.Kubelet.Checkpoints);
        Assert.Equal(("edge-1", KubernetesHarness.Namespace, KubernetesHarness.SourcePodName, KubernetesHarness.ContainerName, 45),
            (checkpoint.Node, checkpoint.Namespace, checkpoint.Pod, checkpoint.Container, checkpoint.TimeoutSeconds));

        // The restored pod: pinned to the destination, the checkpoint image, the Service's labels, the source's spec.
        var restored = _k.Pod(target)!;
        Assert.Equal("edge-2", restored.Spec.NodeName);
        Assert.Null(restored.Spec.NodeSelector);
        var container = Assert.Single(restored.Spec.Containers);
        Assert.Equal(KubernetesHarness.ContainerName, container.Name);
        // By digest (issue 14 item 5): the manifest the agent pushed, never what the tag may point to later.
        var digest = ((StepOutcome.Success)outcomes.Single(o => o.Kind == StepKind.Transfer).Outcome).Artifacts!.ImageDigest;
        Assert.Equal($"{registry.Host}/edgeportal/counter@{digest}", container.Image);
        Assert.Equal("COUNTER_MODE", Assert.Single(container.Env).Name);
        Assert.Equal("counter", restored.Metadata.Labels["app"]);
        Assert.Equal("serving", restored.Metadata.Labels[KubernetesLabels.Role]);
        Assert.Equal(id.ToString(), restored.Metadata.Labels[KubernetesLabels.Migration]);
        Assert.Equal("edge", restored.Metadata.Labels["tier"]);
        Assert.Equal($"{KubernetesHarness.Namespace}/{KubernetesHarness.SourcePodName}", restored.Metadata.Annotations[KubernetesLabels.RestoredFrom]);

        // The Service selects only the restored pod; the source is gone.
        var service = _k.CounterService();
        Assert.Equal("counter", service.Spec.Selector["app"]);
        Assert.Equal("edge-2", service.Metadata.Annotations[KubernetesLabels.ServingNode]);
        Assert.Equal(id.ToString(), service.Metadata.Annotations[KubernetesLabels.LastMigration]);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        var selected = _k.Api.State.Pods(KubernetesHarness.Namespace).Where(p => Selectors.Labels("app=counter")(p)).ToList();
        Assert.Equal(target, Assert.Single(selected).Metadata.Name);

        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Execute_StepsAfterACheckpointOnAFreshRuntime_FinishFromTheStoredArtifacts()
    {
        var id = MigrationId.New();
        var before = await _k.RunAsync(id, StepKind.Checkpoint);
        var stored = before.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge);
        Assert.Equal(KubernetesHarness.SourcePodName, stored.SourcePod);
        Assert.NotNull(stored.ArchivePath);

        // A portal that restarted: a new runtime that never saw the checkpoint, with only what the database kept.
        var restarted = new KubernetesEdgeRuntime(_k.Clients, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesEdgeRuntime>.Instance);
        foreach (var kind in new[] { StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp })
        {
            var outcome = await restarted.ExecuteAsync(KubernetesHarness.Context(id, kind, stored: stored), CancellationToken.None);
            var success = Assert.IsType<StepOutcome.Success>(outcome);
            stored = StepArtifacts.Merge(stored, success.Artifacts);
        }

        Assert.StartsWith("sha256:", stored.ImageDigest, StringComparison.Ordinal);
        Assert.Equal($"{registry.Host}/edgeportal/counter:{TargetPodBuilder.Tag(id)}", stored.Image);
        Assert.Equal(KubernetesHarness.TargetName(id), stored.TargetPod);
        Assert.Equal("edge-2", _k.Pod(KubernetesHarness.TargetName(id))!.Spec.NodeName);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
    }

    [Fact]
    public async Task Restore_RegistryWithCredentials_TheRestoredPodPullsWithTheConfiguredSecret()
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.ImagePullSecret = "edgeportal-registry-pull");
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id, StepKind.Restore);

        Assert.All(outcomes, o => Assert.IsType<StepOutcome.Success>(o.Outcome));
        var restored = k.Pod(KubernetesHarness.TargetName(id))!;
        Assert.Equal("edgeportal-registry-pull", Assert.Single(restored.Spec.ImagePullSecrets).Name);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Profile_DestinationCannotPullTheBaseImage_FailsBeforeAnythingIsDrainedAndSaysSo()
    {
        var image = FakeKubelet.ImageId(KubernetesHarness.RootfsImage);
        _k.Crictl.Missing(image);

        var outcomes = await _k.RunAsync(MigrationId.New());

        var (kind, outcome) = Assert.Single(outcomes);
        Assert.Equal(StepKind.Profile, kind);
        var failure = Assert.IsType<StepOutcome.Failure>(outcome).Reason;
        Assert.Contains($"the destination edge-2 could not pull the base image {image} before the restore", failure, StringComparison.Ordinal);
        Assert.Contains("code = NotFound", failure, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, _k.CounterService().Spec.Selector);
        Assert.Empty(_k.Api.Kubelet.Checkpoints);
    }

    [Fact]
    public async Task Profile_BaseImageKnownOnlyByItsConfigId_IsRefusedAsNotPullableByDigest()
    {
        _k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName,
            p => p.Status.ContainerStatuses[0].ImageID = "sha256:7c5a1e7f1a6a8c3b9f0e5d4c3b2a19081726354433221100ffeeddccbbaa9988");

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains("is not known by digest", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
        Assert.Empty(_k.Crictl.Calls);
    }

    [Fact]
    public async Task Execute_TransferWithoutAStoredArchive_FailsNamingTheCheckpoint()
    {
        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Transfer), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains("no checkpoint archive", failure.Reason, StringComparison.Ordinal);
    }
}
