using System.Net;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>Rollback after each step leaves the source serving exactly as before; what the runtime cannot do it refuses up front.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RollbackAndRefusalTests(RegistryFixture registry) : IAsyncLifetime
{
    private KubernetesHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubernetesHarness.StartAsync(registry);

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Theory]
    [InlineData(StepKind.Profile)]
    [InlineData(StepKind.Checkpoint)]
    [InlineData(StepKind.Transfer)]
    [InlineData(StepKind.Restore)]
    [InlineData(StepKind.SwitchTraffic)]
    public async Task Rollback_AfterStep_SourceServesAsBeforeAndNothingRestoredIsLeft(StepKind last)
    {
        var id = MigrationId.New();
        var before = _k.Pod(KubernetesHarness.SourcePodName)!;
        var outcomes = await _k.RunAsync(id, last);
        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));

        var rollback = await _k.Runtime.RollbackAsync(KubernetesHarness.Rollback(id, outcomes), CancellationToken.None);

        var success = Assert.IsType<StepOutcome.Success>(rollback);
        var source = _k.Pod(KubernetesHarness.SourcePodName)!;
        Assert.Equal(before.Metadata.Labels.OrderBy(l => l.Key), source.Metadata.Labels.OrderBy(l => l.Key));
        Assert.DoesNotContain(_k.Api.State.Pods(KubernetesHarness.Namespace), p => p.Metadata.Labels.ContainsKey(KubernetesLabels.Migration));
        var selected = _k.Api.State.Pods(KubernetesHarness.Namespace).Where(p => Selectors.Labels("app=counter")(p)).ToList();
        Assert.Equal(KubernetesHarness.SourcePodName, Assert.Single(selected).Name());
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, _k.CounterService().Spec.Selector);
        if (last >= StepKind.Restore)
            Assert.Contains($"deleted the restored pod {KubernetesHarness.TargetName(id)} on edge-2", success.Message, StringComparison.Ordinal);
        if (last == StepKind.SwitchTraffic)
        {
            Assert.Contains($"traffic back on {KubernetesHarness.SourcePodName}", success.Message, StringComparison.Ordinal);
            Assert.Equal("edge-1", _k.CounterService().Metadata.Annotations[KubernetesLabels.ServingNode]);
        }
        if (last == StepKind.Profile)
            Assert.Contains("nothing to undo", success.Message, StringComparison.Ordinal);
        else
            Assert.Contains($"the Service counter selects {KubernetesHarness.SourcePodName} again (drain undone)", success.Message, StringComparison.Ordinal);
        // The container's memory is left nowhere (issue 14 item 5): the kubelet's archive and the pushed image are deleted.
        Assert.Empty(_k.ArchivesLeft());
        if (last >= StepKind.Checkpoint)
            Assert.Contains("deleted the checkpoint archive checkpoint-", success.Message, StringComparison.Ordinal);
        if (last >= StepKind.Transfer)
        {
            var digest = outcomes.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge).ImageDigest!;
            Assert.Contains($"deleted the checkpoint image edgeportal/counter@{digest}", success.Message, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, await KubernetesHarness.ManifestStatusAsync(registry, digest));
        }
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Rollback_AfterCleanUp_KeepsTheServingPodAndAsksAnOperator()
    {
        var id = MigrationId.New();
        var outcomes = await _k.RunAsync(id);
        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));

        var rollback = await _k.Runtime.RollbackAsync(KubernetesHarness.Rollback(id, outcomes), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(rollback);
        Assert.Contains($"the restored pod {KubernetesHarness.TargetName(id)} on edge-2 serves and was kept", failure.Reason, StringComparison.Ordinal);
        Assert.NotNull(_k.Pod(KubernetesHarness.TargetName(id)));
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Rollback_ApiServerFailsTheDelete_FailsQuotingItAndStillDeletesTheCheckpoint()
    {
        var id = MigrationId.New();
        var outcomes = await _k.RunAsync(id, StepKind.Restore);
        _k.Api.Faults.Next(Operation.DeletePod, Fault.Status(500, "InternalError", "etcdserver: leader changed"));

        var rollback = await _k.Runtime.RollbackAsync(KubernetesHarness.Rollback(id, outcomes), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(rollback);
        Assert.Contains("etcdserver: leader changed", failure.Reason, StringComparison.Ordinal);
        // The container's memory is left nowhere even so (issue 14 item 5): the kubelet's archive and the pushed image are gone.
        var digest = outcomes.Select(o => ((StepOutcome.Success)o.Outcome).Artifacts).Aggregate(StepArtifacts.None, StepArtifacts.Merge).ImageDigest!;
        Assert.Contains($"deleted the checkpoint image edgeportal/counter@{digest}", failure.Reason, StringComparison.Ordinal);
        Assert.Empty(_k.ArchivesLeft());
        Assert.Equal(HttpStatusCode.NotFound, await KubernetesHarness.ManifestStatusAsync(registry, digest));
    }

    [Theory]
    [InlineData(MigrationStrategy.PreCopy, StepKind.Profile)]
    [InlineData(MigrationStrategy.IterativePreCopy, StepKind.PreDump)]
    [InlineData(MigrationStrategy.Cold, StepKind.PreDump)]
    public async Task Execute_PreCopy_RefusesWithTheReasonBeforeCallingTheCluster(MigrationStrategy strategy, StepKind step)
    {
        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), step, strategy), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains("is not supported", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("pre-dumps", failure.Reason, StringComparison.Ordinal);
        Assert.Empty(_k.Api.Requests);
    }

    [Theory]
    [InlineData(MigrationStrategy.MessageReplay, StepKind.Profile)]
    [InlineData(MigrationStrategy.ReplayWithCutoff, StepKind.ReplayMessages)]
    public async Task Execute_ReplayWithoutABroker_RefusesNamingTheBrokerKeyBeforeCallingTheCluster(MigrationStrategy strategy, StepKind step)
    {
        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), step, strategy), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains($"needs the cluster's broker: configure EdgePortal:Kubernetes:Clusters:{KubernetesHarness.ClusterName}:Broker:Uri", failure.Reason, StringComparison.Ordinal);
        Assert.Empty(_k.Api.Requests);
    }

    [Fact]
    public async Task Execute_ColdReplayMessages_RefusesBeforeCallingTheCluster()
    {
        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.ReplayMessages), CancellationToken.None);

        Assert.Equal("Cold has no message replay", Assert.IsType<StepOutcome.Failure>(outcome).Reason);
        Assert.Empty(_k.Api.Requests);
    }

    [Theory]
    [InlineData("batch/v1", "Job", "counter-27", "a batch pod finishes where it runs")]
    [InlineData("example.io/v1", "Counter", "counter", "which EdgePortal cannot hand the restored pod back to")]
    public async Task Profile_PodOfAControllerThatCannotTakeItBack_RefusesNamingTheOwner(string apiVersion, string kind, string owner, string reason)
    {
        _k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName, p => p.Metadata.OwnerReferences =
            [new V1OwnerReference { ApiVersion = apiVersion, Kind = kind, Name = owner, Uid = Guid.NewGuid().ToString(), Controller = true }]);

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains($"{kind} {owner}", failure.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, failure.Reason, StringComparison.Ordinal);
        Assert.Empty(_k.Api.RequestsOf(Operation.CreatePod));
        Assert.Empty(_k.Api.Kubelet.Checkpoints);
    }

    [Fact]
    public async Task Profile_AgentRefusesTheClientCertificate_FailsNamingTheSetting()
    {
        // A certificate of the agents' CA, but not the portal's name: the agent refuses it (403).
        var stranger = TestPki.Shared.Issue("stranger", server: false);
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o =>
        {
            o.AgentTls.CertificateFile = stranger.CertificateFile;
            o.AgentTls.KeyFile = stranger.KeyFile;
        });
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id, StepKind.Transfer);

        // The first call to an agent is the destination's base image pull, at Profile.
        var failure = Assert.IsType<StepOutcome.Failure>(outcomes[^1].Outcome);
        Assert.Equal(StepKind.Profile, outcomes[^1].Kind);
        Assert.Contains("refused this client certificate (403)", failure.Reason, StringComparison.Ordinal);
    }
}
