using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>
/// Pods of Deployments and StatefulSets migrate with their state, and their owner owns the restored pod afterwards without
/// ever creating a stateless copy (the fake's ReplicaSet and StatefulSet controllers run after every change); what
/// cannot follow the pod is refused at Profile with the reason (issue 16 item 1).
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class OwnedWorkloadTests(RegistryFixture registry)
{
    [Fact]
    public async Task Execute_DeploymentPod_ReplicaSetAdoptsTheRestoredPodAndCreatesNothing()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        var rs = k.OwnByDeployment();
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);

        var outcomes = await k.RunAsync(id);

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes) + " | " + string.Join(" | ", k.Api.Rejections));
        Assert.Contains($"owned by Deployment counter (ReplicaSet {KubernetesHarness.ReplicaSetName})",
            ((StepOutcome.Success)outcomes[0].Outcome).Message, StringComparison.Ordinal);
        var restored = k.Pod(target)!;
        Assert.Equal("edge-2", restored.Spec.NodeName);
        var owner = Assert.Single(restored.Metadata.OwnerReferences);
        Assert.Equal(("ReplicaSet", rs.Name(), rs.Uid(), true), (owner.Kind, owner.Name, owner.Uid, owner.Controller));
        Assert.Equal("7d4b9", restored.Metadata.Labels["pod-template-hash"]);
        Assert.Null(k.Pod(KubernetesHarness.SourcePodName));
        Assert.Empty(k.Api.Controllers.Creations);
        Assert.Equal([target], k.Api.State.Pods(KubernetesHarness.Namespace).Where(p => p.Labels() is { } l && l.TryGetValue("app", out var app) && app == "counter").Select(p => p.Name()));
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_SourceWithADebugContainer_RestoredPodHasNoEphemeralContainers()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        // kubectl debug added an ephemeral container to the source; the API refuses one on create.
        k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName, p => p.Spec.EphemeralContainers =
            [new V1EphemeralContainer { Name = "debugger", Image = "busybox:1.36", TargetContainerName = KubernetesHarness.ContainerName }]);
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id, StepKind.Restore);

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes) + " | " + string.Join(" | ", k.Api.Rejections));
        Assert.Null(k.Pod(KubernetesHarness.TargetName(id))!.Spec.EphemeralContainers);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_DeploymentPod_RestoredPodWithholdsTheOwnersLabelsUntilTheSwitch()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        var rs = k.OwnByDeployment();
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id, StepKind.Restore);

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));
        var restored = k.Pod(KubernetesHarness.TargetName(id))!;
        Assert.Null(restored.Metadata.OwnerReferences);
        Assert.False(restored.Metadata.Labels.ContainsKey("pod-template-hash"));
        Assert.False(restored.Metadata.Labels.ContainsKey("app"));
        Assert.Equal(rs.Uid(), Assert.Single(k.Pod(KubernetesHarness.SourcePodName)!.Metadata.OwnerReferences).Uid);
        Assert.Empty(k.Api.Controllers.Actions);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    public async Task Execute_StatefulSetPod_KeepsNameHostnameAndClaimAndTheStatefulSetAdoptsIt(int replicas, int ordinal)
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        var sts = k.OwnByStatefulSet(replicas, ordinal);
        var name = $"{KubernetesHarness.ServiceName}-{ordinal}";
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id);

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes) + " | " + string.Join(" | ", k.Api.Rejections));
        Assert.Equal(name, Assert.Single(k.Api.Kubelet.Checkpoints).Pod);
        var restored = k.Pod(name)!;
        Assert.Equal("edge-2", restored.Spec.NodeName);
        Assert.Equal((name, KubernetesHarness.ServiceName), (restored.Spec.Hostname, restored.Spec.Subdomain));
        Assert.Equal($"data-{name}", Assert.Single(restored.Spec.Volumes).PersistentVolumeClaim.ClaimName);
        Assert.StartsWith($"{registry.Host}/edgeportal/counter@sha256:", restored.Spec.Containers[0].Image, StringComparison.Ordinal);
        Assert.Equal(sts.Uid(), Assert.Single(restored.Metadata.OwnerReferences).Uid);
        var after = k.Api.State.Get<V1StatefulSet>(KubernetesHarness.Namespace, KubernetesHarness.ServiceName)!;
        Assert.Equal(replicas, after.Spec.Replicas);
        Assert.DoesNotContain(after.Annotations() ?? new Dictionary<string, string>(), a => a.Key.StartsWith("edgeportal.io/", StringComparison.Ordinal));
        Assert.Empty(k.Api.Controllers.Creations);
        Assert.Equal(name, Assert.Single(k.Api.Controllers.Actions).Pod); // the scale-down removed the source, nothing else
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Rollback_StatefulSetRestoreFailed_ScalesBackAndSaysTheStateIsOnlyInTheImage()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.OwnByStatefulSet();
        k.Api.Kubelet.Mode = KubeletMode.ImagePullFails;
        var id = MigrationId.New();
        var outcomes = await k.RunAsync(id);
        Assert.IsType<StepOutcome.Failure>(outcomes[^1].Outcome);
        Assert.Equal(StepKind.Restore, outcomes[^1].Kind);
        k.Api.Kubelet.Mode = KubeletMode.Ready;

        var rollback = await k.Runtime.RollbackAsync(KubernetesHarness.Rollback(id, outcomes), CancellationToken.None);

        var message = Assert.IsType<StepOutcome.Success>(rollback).Message;
        Assert.Contains("without the checkpointed state", message, StringComparison.Ordinal);
        var sts = k.Api.State.Get<V1StatefulSet>(KubernetesHarness.Namespace, KubernetesHarness.ServiceName)!;
        Assert.Equal(1, sts.Spec.Replicas);
        Assert.DoesNotContain(sts.Annotations() ?? new Dictionary<string, string>(), a => a.Key.StartsWith("edgeportal.io/", StringComparison.Ordinal));
        var recreated = Assert.Single(k.Api.Controllers.Creations);
        Assert.Equal("counter-0", recreated.Pod);
        Assert.Equal(new Dictionary<string, string> { ["app"] = "counter" }, k.CounterService().Spec.Selector);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Profile_StatefulSetPodBelowTheHighestOrdinal_IsRefusedWithTheReason()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.OwnByStatefulSet(replicas: 2, ordinal: 0);

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains("only the highest ordinal (counter-1)", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Unmovable => new()
    {
        { "emptyDir", "volume cache is an emptyDir: its data stays on edge-1" },
        { "hostPath", "volume cache is the hostPath /srv/cache of node edge-1" },
        { "localClaim", "ReadWriteOnce claim cache-claim of class local-path, which is not listed as re-attachable" },
        { "reattachableClaimOfDeployment", "only a StatefulSet pod (deleted before it is restored) can take it along" },
    };

    [Theory]
    [MemberData(nameof(Unmovable))]
    public async Task Profile_VolumeThatCannotFollow_IsRefusedWithTheReason(string kind, string reason)
    {
        await using var k = await KubernetesHarness.StartAsync(registry, configure: o => o.ReattachableStorageClasses.Add("ceph-rbd"));
        k.OwnByDeployment();
        AddVolume(k, kind);

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains(reason, Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Profile_EmptyDirAnnotatedAsScratch_IsAcceptedAndSaysItStartsEmpty()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        AddVolume(k, "emptyDir");
        k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName,
            p => p.Metadata.Annotations = new Dictionary<string, string> { [Workloads.ScratchVolumes] = "cache" });

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains("cache: emptyDir, starts empty", Assert.IsType<StepOutcome.Success>(outcome).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Profile_DaemonSetPod_IsRefusedWithTheReason()
    {
        await using var k = await KubernetesHarness.StartAsync(registry);
        k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName, p => p.Metadata.OwnerReferences =
            [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "DaemonSet", Name = "counter", Uid = Guid.NewGuid().ToString(), Controller = true }]);

        var outcome = await k.Runtime.ExecuteAsync(KubernetesHarness.Context(MigrationId.New(), StepKind.Profile), CancellationToken.None);

        Assert.Contains("runs one pod on every node", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    private static void AddVolume(KubernetesHarness k, string kind)
    {
        var volume = new V1Volume { Name = "cache" };
        switch (kind)
        {
            case "emptyDir":
                volume.EmptyDir = new V1EmptyDirVolumeSource();
                break;
            case "hostPath":
                volume.HostPath = new V1HostPathVolumeSource { Path = "/srv/cache" };
                break;
            default:
                k.Api.State.Put(new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "cache-claim", NamespaceProperty = KubernetesHarness.Namespace },
                    Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], StorageClassName = kind == "localClaim" ? "local-path" : "ceph-rbd" },
                });
                volume.PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = "cache-claim" };
                break;
        }
        k.Api.State.UpdatePod(KubernetesHarness.Namespace, KubernetesHarness.SourcePodName, p => p.Spec.Volumes = [volume]);
    }
}
