using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>
/// No write is lost (issue 16 item 2): a pod accepts a request only while the Service's endpoints list it, so the source,
/// out of the endpoints from before its checkpoint to its deletion, cannot accept a write the checkpoint misses; and the
/// source is deleted only once the restored pod is Ready and in the endpoints.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class NoLostWriteTests(RegistryFixture registry)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Execute_AfterTheCheckpoint_TheSourceIsNeverInTheEndpointsAgain(bool deployment)
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        if (deployment)
            k.OwnByDeployment();
        var source = KubernetesHarness.SourcePodName;
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        IReadOnlySet<string>? atCheckpoint = null;
        k.Api.Kubelet.Checkpointing = _ => atCheckpoint = Serving(k);
        Assert.Contains(source, Serving(k));

        var stored = StepArtifacts.None;
        foreach (var step in KubernetesHarness.Plan().Steps.Select(s => s.Kind))
        {
            if (step == StepKind.CleanUp && k.Pod(source) is not null)
            {
                // The source is deleted only now: the restored pod is Ready and receives the traffic.
                Assert.True(KubernetesPods.IsReady(k.Pod(target)!));
                Assert.Equal([target], Serving(k));
            }
            var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, step, stored: stored), CancellationToken.None);
            var success = Assert.IsType<StepOutcome.Success>(outcome);
            stored = StepArtifacts.Merge(stored, success.Artifacts);
            if (step >= StepKind.Checkpoint)
                Assert.DoesNotContain(source, Serving(k));
            if (step == StepKind.SwitchTraffic)
                Assert.Contains("no pod served counter for", success.Message, StringComparison.Ordinal);
        }

        Assert.NotNull(atCheckpoint);
        Assert.DoesNotContain(source, atCheckpoint);
        Assert.Null(k.Pod(source));
        Assert.Equal([target], Serving(k));
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, k.CounterService().Spec.Selector);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Checkpoint_EndpointsNeverDropTheSource_FailsAfterDrainTimeoutWithoutCheckpointing()
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.DrainTimeout = TimeSpan.FromMilliseconds(600));
        // An endpoints controller that does not follow the selector: the source stays listed.
        k.Api.Faults.Always(Operation.ReadEndpoints, new Fault.Answer(200,
            $$$"""{"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"counter"},"subsets":[{"addresses":[{"ip":"10.244.0.10","targetRef":{"kind":"Pod","name":"{{{KubernetesHarness.SourcePodName}}}"}}]}]}"""));

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Checkpoint), CancellationToken.None);

        Assert.Contains("still list counter-5d8f7", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
        Assert.Empty(k.Api.Kubelet.Checkpoints);
    }

    /// <summary>The pods the counter Service sends requests to.</summary>
    private static IReadOnlySet<string> Serving(KubernetesHarness k) =>
        (k.Api.Endpoints(KubernetesHarness.Namespace, KubernetesHarness.ServiceName)?.Subsets ?? [])
            .SelectMany(s => s.Addresses ?? []).Select(a => a.TargetRef.Name).ToHashSet(StringComparer.Ordinal);
}
