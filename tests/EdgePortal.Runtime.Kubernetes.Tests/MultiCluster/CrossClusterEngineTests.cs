using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Runtime.Kubernetes.Tests.MultiCluster;

/// <summary>
/// A migration from cluster A to cluster B as the portal runs it: planned from the probed capabilities of both clusters,
/// executed by the engine, and resumed by a new process after the portal stopped in the middle.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class CrossClusterEngineTests(RegistryFixture registry) : IAsyncLifetime
{
    private KubernetesHarness _k = null!;
    private HandOverReceiver _webhook = null!;

    public async Task InitializeAsync()
    {
        _webhook = await HandOverReceiver.StartAsync();
        _k = await CrossClusterMigrationTests.StartAsync(registry, _webhook, $"localhost:{registry.BaseUri.Port}");
    }

    public async Task DisposeAsync()
    {
        await _k.DisposeAsync();
        await _webhook.DisposeAsync();
    }

    [Fact]
    public async Task Recover_PortalStoppedAfterTheRestoreInClusterB_ANewProcessResumesAndCompletesTheMigration()
    {
        MigrationId id;
        var first = new EnginePortal(Edge(), _k.Runtime);
        await using (first)
        {
            await first.StartAsync();
            // Both clusters probed before planning: the plan rests on what each can do, not on "not probed yet".
            await first.Capabilities.RefreshAllAsync();
            var result = first.Coordinator.Start(new MigrationRequest
            {
                ServiceId = KubernetesHarness.Service.Id, Destination = KubernetesHarness.DestinationAcross.Id, RequestedBy = "test", AcceptTargetMiss = true,
            });
            var accepted = Assert.IsType<MigrationRequestResult.Accepted>(result);
            Assert.Equal(MigrationStrategy.Cold, accepted.Migration.Plan.Strategy);
            id = accepted.Migration.Id;
            await first.Events.WaitFor<StepCompleted>(e => e.MigrationId == id && e.Kind == StepKind.Restore, TimeSpan.FromSeconds(60));
        } // the portal stops between the restore in B and the switch
        var left = first.Migrations.Find(id)!;
        Assert.Equal(MigrationState.Running, left.State);
        Assert.NotNull(_k.Pod(KubernetesHarness.SourcePodName));

        var runtime = new KubernetesEdgeRuntime(_k.Clients, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesEdgeRuntime>.Instance);
        await using var second = new EnginePortal(first, runtime);
        await second.StartAsync();
        var finished = await second.Events.WaitFor<MigrationFinished>(e => e.MigrationId == id, TimeSpan.FromSeconds(60));

        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {second.Migrations.Find(id)!.FailureReason}");
        Assert.Contains(second.Events.Events, e => e is MigrationResumed r && r.MigrationId == id);
        Assert.Single(_k.Api.Kubelet.Checkpoints);
        Assert.Equal("edge-2", _k.DestinationApi.State.Pod(KubernetesHarness.Namespace, KubernetesHarness.TargetName(id))!.Spec.NodeName);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        Assert.Equal(KubernetesHarness.DestinationAcross.Id, second.Inventory.FindService(KubernetesHarness.Service.Id)!.NodeId);
        Assert.Equal(["switch"], _webhook.Calls.Select(c => c.Event));
        Assert.Empty(_k.Api.Rejections);
        Assert.Empty(_k.DestinationApi.Rejections);
    }

    [Fact]
    public async Task Start_ClusterBSharesNoRegistry_NothingPlannedThereAndTheReasonSaid()
    {
        await using var alone = await CrossClusterMigrationTests.StartAsync(registry, _webhook, peerRegistry: null);
        await using var portal = new EnginePortal(Edge(), alone.Runtime);
        await portal.StartAsync();
        await portal.Capabilities.RefreshAllAsync();

        var result = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = KubernetesHarness.Service.Id, Destination = KubernetesHarness.DestinationAcross.Id, RequestedBy = "test", AcceptTargetMiss = true,
        });

        var refused = Assert.IsType<MigrationRequestResult.Infeasible>(result);
        Assert.True(refused.Detail.Contains($"Kubernetes cluster {KubernetesHarness.ClusterName} → Kubernetes cluster {KubernetesHarness.DestinationClusterName}: no registry both reach", StringComparison.Ordinal), refused.Detail);
        Assert.Empty(alone.Api.Kubelet.Checkpoints);
    }

    /// <summary>Cluster A with edge-1 and the service, cluster B with edge-2 (the users there), one link between them.</summary>
    private static EdgeInventory Edge()
    {
        var service = KubernetesHarness.Service;
        var tenant = new Tenant(service.TenantId, "tenant", [KubernetesHarness.Cluster.Id, KubernetesHarness.DestinationCluster.Id]);
        var link = new NetworkLink(LinkId.New(), KubernetesHarness.Source.Id, KubernetesHarness.DestinationAcross.Id, Bandwidth.FromGigabits(1), 2);
        var users = new UserGroup(UserGroupId.New(), service.Id, "users", KubernetesHarness.DestinationAcross.Id, 5);
        return new EdgeInventory([tenant], [KubernetesHarness.Cluster, KubernetesHarness.DestinationCluster],
            [KubernetesHarness.Source, KubernetesHarness.DestinationAcross], [link], [service], [users]);
    }
}
