using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>Two tenants each run a service named <c>counter</c> on the same node: migrating tenant A's never touches tenant B's (issue 14 item 8).</summary>
[Collection(RegistryCollection.Name)]
public sealed class TenantIsolationTests(RegistryFixture registry)
{
    private static readonly TenantId TenantB = TenantId.From(Guid.Parse("00000000-0000-0000-0000-00000000000b"));

    [Fact]
    public async Task Execute_TenantAsServiceNamedLikeTenantBs_MigratesOnlyTenantAsPod()
    {
        await using var k = await StartWithTenantBAsync();
        var bOwn = k.Api.State.Pod("edge-b", "counter-b1")!;
        // A pod of B labelled counter in A's namespace too (sorted first): only the tenant label tells it from A's pod.
        var bStray = k.Api.Kubelet.Run(TenantBPod(KubernetesHarness.Namespace, "counter-0b"));
        var bService = k.Api.State.Service("edge-b", KubernetesHarness.ServiceName)!;
        var id = MigrationId.New();

        var outcomes = await k.RunAsync(id);

        Assert.True(outcomes.All(o => o.Outcome is StepOutcome.Success), string.Join("; ", outcomes));
        Assert.Equal(KubernetesHarness.SourcePodName, Assert.Single(k.Api.Kubelet.Checkpoints).Pod);
        Assert.Equal(KubernetesHarness.Service.TenantId.ToString(), k.Pod(KubernetesHarness.TargetName(id))!.Metadata.Labels[KubernetesLabels.Tenant]);
        Assert.Equal(bOwn.ResourceVersion(), k.Api.State.Pod("edge-b", "counter-b1")!.ResourceVersion());
        Assert.Equal(bStray.ResourceVersion(), k.Api.State.Pod(KubernetesHarness.Namespace, "counter-0b")!.ResourceVersion());
        Assert.Equal(bService.ResourceVersion(), k.Api.State.Service("edge-b", KubernetesHarness.ServiceName)!.ResourceVersion());
        Assert.DoesNotContain(k.Api.Requests, r => r.Path.Contains("/namespaces/edge-b/", StringComparison.Ordinal));
        k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Execute_TenantBsMigration_WorksInTenantBsNamespaceOnly()
    {
        await using var k = await StartWithTenantBAsync();
        var a = k.Pod(KubernetesHarness.SourcePodName)!;
        var context = KubernetesHarness.Context(MigrationId.New(), StepKind.Profile) with
        {
            Service = new ServiceInstance(ServiceId.New(), TenantB, KubernetesHarness.ServiceName, KubernetesHarness.Source.Id,
                KubernetesHarness.Service.Profile, KubernetesHarness.Service.Targets, KubernetesHarness.Service.Objective),
        };

        var outcome = await k.Runtime.ExecuteAsync(context, CancellationToken.None);

        Assert.Equal("counter-b1", Assert.IsType<StepOutcome.Success>(outcome).Artifacts?.SourcePod);
        Assert.Equal(a.ResourceVersion(), k.Pod(KubernetesHarness.SourcePodName)?.ResourceVersion());
        Assert.DoesNotContain(k.Api.Requests, r => r.Path.Contains($"/namespaces/{KubernetesHarness.Namespace}/", StringComparison.Ordinal));
    }

    /// <summary>The harness, and tenant B's counter in its own namespace edge-b: its Service and its pod counter-b1 on edge-1, beside A's.</summary>
    private async Task<KubernetesHarness> StartWithTenantBAsync()
    {
        var k = await KubernetesHarness.StartAsync(registry, configure: o => o.TenantNamespaces[TenantB.ToString()] = "edge-b");
        k.Api.State.AddService(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = KubernetesHarness.ServiceName, NamespaceProperty = "edge-b" },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "counter" } },
        });
        k.Api.Kubelet.Run(TenantBPod("edge-b", "counter-b1"));
        return k;
    }

    private static V1Pod TenantBPod(string ns, string name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string>
            {
                ["app"] = "counter",
                [KubernetesLabels.Service] = KubernetesHarness.ServiceName,
                [KubernetesLabels.Tenant] = TenantB.ToString(),
            },
        },
        Spec = new V1PodSpec { NodeName = "edge-1", Containers = [new V1Container { Name = "counter", Image = KubernetesHarness.RootfsImage }] },
    };
}
