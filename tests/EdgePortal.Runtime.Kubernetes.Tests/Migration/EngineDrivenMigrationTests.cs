using System.Diagnostics.Metrics;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>
/// The whole path a Kubernetes migration takes in the portal: the coordinator plans it, the engine runs
/// every step through the Kubernetes runtime against the fake API server, a real agent and a real registry.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class EngineDrivenMigrationTests(RegistryFixture registry) : IAsyncLifetime
{
    private KubernetesHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubernetesHarness.StartAsync(registry);

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task Start_KubernetesCluster_EngineCompletesTheMigrationAndMovesTheService()
    {
        var inventory = new InMemoryInventoryRepository(Edge());
        var migrations = new InMemoryMigrationRepository();
        var events = new EventRecorder();
        using var meters = new MeterFactory();
        var options = new StaticOptions(new EngineOptions());
        using var engine = new MigrationEngine(migrations, inventory, [_k.Runtime], events, new MigrationMetrics(meters), options,
            TimeProvider.System, NullLogger<MigrationEngine>.Instance);
        var coordinator = new MigrationCoordinator(inventory, migrations, engine, events, options, TimeProvider.System,
            NullLogger<MigrationCoordinator>.Instance);
        await engine.StartAsync(CancellationToken.None);
        try
        {
            var result = coordinator.Start(new MigrationRequest
            {
                ServiceId = KubernetesHarness.Service.Id,
                Strategy = MigrationStrategy.Cold,
                RequestedBy = "test",
                AcceptTargetMiss = true,
            });
            var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;

            var finished = await events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(60));

            Assert.True(finished.State == MigrationState.Completed,
                $"{finished.State}: {migrations.Find(migration.Id)!.FailureReason} | {string.Join(" | ", _k.Api.Rejections)}");
            Assert.Equal(KubernetesHarness.Destination.Id, inventory.FindService(KubernetesHarness.Service.Id)!.NodeId);
            var stored = migrations.Find(migration.Id)!;
            Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
            Assert.Equal("edge-2", _k.Pod(KubernetesHarness.TargetName(migration.Id))!.Spec.NodeName);
            Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
            Assert.Empty(_k.Api.Rejections);
        }
        finally
        {
            await engine.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Recover_PortalStoppedAfterTheCheckpoint_ANewProcessResumesFromTheStoredArchiveAndCompletes()
    {
        var inventory = new InMemoryInventoryRepository(Edge());
        var migrations = new InMemoryMigrationRepository();
        var events = new EventRecorder();
        using var meters = new MeterFactory();
        var options = new StaticOptions(new EngineOptions());
        MigrationId id;
        using (var first = new MigrationEngine(migrations, inventory, [_k.Runtime], events, new MigrationMetrics(meters), options,
            TimeProvider.System, NullLogger<MigrationEngine>.Instance))
        {
            var coordinator = new MigrationCoordinator(inventory, migrations, first, events, options, TimeProvider.System,
                NullLogger<MigrationCoordinator>.Instance);
            await first.StartAsync(CancellationToken.None);
            var result = coordinator.Start(new MigrationRequest
            {
                ServiceId = KubernetesHarness.Service.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true,
            });
            id = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration.Id;
            await events.WaitFor<StepCompleted>(e => e.MigrationId == id && e.Kind == StepKind.Checkpoint, TimeSpan.FromSeconds(60));
            await first.StopAsync(CancellationToken.None); // the process stops: the migration stays in flight in the store
        }
        var left = migrations.Find(id)!;
        Assert.Equal(MigrationState.Running, left.State);
        Assert.NotNull(left.Artifacts.ArchivePath);

        // A new process: a new runtime that remembers nothing, and an engine that finds the migration in flight.
        var runtime = new KubernetesEdgeRuntime(_k.Clients, TimeProvider.System, NullLogger<KubernetesEdgeRuntime>.Instance);
        using var second = new MigrationEngine(migrations, inventory, [runtime], events, new MigrationMetrics(meters), options,
            TimeProvider.System, NullLogger<MigrationEngine>.Instance);
        await second.StartAsync(CancellationToken.None);
        try
        {
            var finished = await events.WaitFor<MigrationFinished>(e => e.MigrationId == id, TimeSpan.FromSeconds(60));

            Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {migrations.Find(id)!.FailureReason}");
            Assert.Contains(events.Events, e => e is MigrationResumed r && r.MigrationId == id);
            Assert.Single(_k.Api.Kubelet.Checkpoints); // resumed, not started again
            var stored = migrations.Find(id)!;
            Assert.StartsWith("sha256:", stored.Artifacts.ImageDigest, StringComparison.Ordinal);
            Assert.Equal(KubernetesHarness.TargetName(id), stored.Artifacts.TargetPod);
            Assert.Equal("edge-2", _k.Pod(KubernetesHarness.TargetName(id))!.Spec.NodeName);
            Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The harness's cluster as the portal stores it: two linked nodes, the users at the destination.</summary>
    private static EdgeInventory Edge()
    {
        var service = KubernetesHarness.Service;
        var tenant = new Tenant(service.TenantId, "tenant", [KubernetesHarness.Cluster.Id]);
        var link = new NetworkLink(LinkId.New(), KubernetesHarness.Source.Id, KubernetesHarness.Destination.Id, Bandwidth.FromGigabits(1), 2);
        var users = new UserGroup(UserGroupId.New(), service.Id, "users", KubernetesHarness.Destination.Id, 5);
        return new EdgeInventory([tenant], [KubernetesHarness.Cluster], [KubernetesHarness.Source, KubernetesHarness.Destination], [link], [service], [users]);
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    private sealed class StaticOptions(EngineOptions value) : IOptionsMonitor<EngineOptions>
    {
        public EngineOptions CurrentValue => value;
        public EngineOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<EngineOptions, string?> listener) => null;
    }
}
