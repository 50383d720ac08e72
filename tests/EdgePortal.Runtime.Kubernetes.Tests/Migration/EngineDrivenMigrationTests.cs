using System.Diagnostics;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>
/// The whole path a Kubernetes migration takes in the portal: the coordinator plans it, the engine runs
/// every step through the Kubernetes runtime against the fake API server, a real agent and a real registry; traced, the
/// runtime's Kubernetes API calls are client spans under the step that made them.
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
        await using var portal = new EnginePortal(Edge(), _k.Runtime);
        await portal.StartAsync();
        var result = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = KubernetesHarness.Service.Id,
            Strategy = MigrationStrategy.Cold,
            RequestedBy = "test",
            AcceptTargetMiss = true,
        });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;

        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(60));

        Assert.True(finished.State == MigrationState.Completed,
            $"{finished.State}: {portal.Migrations.Find(migration.Id)!.FailureReason} | {string.Join(" | ", _k.Api.Rejections)}");
        Assert.Equal(KubernetesHarness.Destination.Id, portal.Inventory.FindService(KubernetesHarness.Service.Id)!.NodeId);
        var stored = portal.Migrations.Find(migration.Id)!;
        Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal("edge-2", _k.Pod(KubernetesHarness.TargetName(migration.Id))!.Spec.NodeName);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        Assert.Empty(_k.Api.Rejections);
    }

    [Fact]
    public async Task Start_KubernetesClusterAndAMessageDrivenService_PlannedColdWithTheClusterNamedAndNeverRefusedAtStepOne()
    {
        // A service the replay strategies would suit (λ 100/s, μ 400/s) and pre-copy too: the Kubernetes runtime runs neither.
        var k = KubernetesHarness.Service;
        var service = new ServiceInstance(k.Id, k.TenantId, k.Name, k.NodeId, new WorkloadProfile(k.Profile.StateSizeBytes, 0, 100, 400), k.Targets, k.Objective,
            k.Labels, k.Image);
        await using var portal = new EnginePortal(Edge(service), _k.Runtime);
        await portal.StartAsync();
        var replay = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = service.Id, Strategy = MigrationStrategy.MessageReplay, RequestedBy = "test", AcceptTargetMiss = true,
        });
        var refused = Assert.IsType<MigrationRequestResult.Infeasible>(replay);
        Assert.StartsWith($"MessageReplay, as requested, cannot run at edge-2: Kubernetes cluster {KubernetesHarness.ClusterName}: no broker for replay.",
            refused.Detail, StringComparison.Ordinal);

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = service.Id, RequestedBy = "test", AcceptTargetMiss = true });

        var accepted = Assert.IsType<MigrationRequestResult.Accepted>(result);
        Assert.Equal(MigrationStrategy.Cold, accepted.Migration.Plan.Strategy);
        Assert.Contains($"Ruled out: PreCopy, IterativePreCopy (Kubernetes cluster {KubernetesHarness.ClusterName}: no pre-dump); MessageReplay, ReplayWithCutoff (Kubernetes cluster {KubernetesHarness.ClusterName}: no broker for replay).",
            accepted.Migration.Plan.Rationale, StringComparison.Ordinal);
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == accepted.Migration.Id, TimeSpan.FromSeconds(60));
        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {portal.Migrations.Find(accepted.Migration.Id)!.FailureReason}");
        var probed = portal.Capabilities.Find(KubernetesHarness.Cluster.Id)!;
        Assert.True(probed.Reachable, probed.Summary);
        Assert.Equal([TransferPath.Registry], probed.Capabilities.TransferPaths);
    }

    [Fact]
    public async Task Recover_PortalStoppedAfterTheCheckpoint_ANewProcessResumesFromTheStoredArchiveAndCompletes()
    {
        MigrationId id;
        var first = new EnginePortal(Edge(), _k.Runtime);
        await using (first)
        {
            await first.StartAsync();
            var result = first.Coordinator.Start(new MigrationRequest
            {
                ServiceId = KubernetesHarness.Service.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true,
            });
            id = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration.Id;
            await first.Events.WaitFor<StepCompleted>(e => e.MigrationId == id && e.Kind == StepKind.Checkpoint, TimeSpan.FromSeconds(60));
        } // the process stops: the migration stays in flight in the store
        var left = first.Migrations.Find(id)!;
        Assert.Equal(MigrationState.Running, left.State);
        Assert.NotNull(left.Artifacts.ArchivePath);

        // A new process: a new runtime that remembers nothing, and an engine that finds the migration in flight.
        var runtime = new KubernetesEdgeRuntime(_k.Clients, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KubernetesEdgeRuntime>.Instance);
        await using var second = new EnginePortal(first, runtime);
        await second.StartAsync();
        var finished = await second.Events.WaitFor<MigrationFinished>(e => e.MigrationId == id, TimeSpan.FromSeconds(60));

        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {second.Migrations.Find(id)!.FailureReason}");
        Assert.Contains(second.Events.Events, e => e is MigrationResumed r && r.MigrationId == id);
        Assert.Single(_k.Api.Kubelet.Checkpoints); // resumed, not started again
        var stored = second.Migrations.Find(id)!;
        Assert.StartsWith("sha256:", stored.Artifacts.ImageDigest, StringComparison.Ordinal);
        Assert.Equal(KubernetesHarness.TargetName(id), stored.Artifacts.TargetPod);
        Assert.Equal("edge-2", _k.Pod(KubernetesHarness.TargetName(id))!.Spec.NodeName);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
    }

    [Fact]
    public async Task Cold_ThroughTheEngine_KubernetesApiCallsAreClientSpansUnderTheirStep()
    {
        // The portal's sources and the HTTP client instrumentation, into an in-memory exporter.
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(MigrationTracing.SourceName).AddHttpClientInstrumentation()
            .AddInMemoryExporter(spans).Build();
        var service = KubernetesHarness.Service;
        await using var portal = new EnginePortal(Edge(), _k.Runtime);
        await portal.StartAsync();

        var result = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = service.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true,
        });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));
        var stored = portal.Migrations.Find(migration.Id)!;
        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason} | {string.Join(" | ", _k.Api.Rejections)}");
        // The engine ends the execute span just after the finishing event; stopping it waits for that.
        await portal.Engine.StopAsync(CancellationToken.None);
        tracing.ForceFlush();

        var root = Assert.Single(spans, s => s.OperationName == $"migrate {service.Name}");
        var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
        var execute = Assert.Single(trace, s => s.OperationName == "execute");
        var steps = trace.Where(s => s.ParentSpanId == execute.SpanId && s.OperationName.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Equal(stored.Steps.Select(s => $"step {s.Label}"), steps.OrderBy(s => s.StartTimeUtc).Select(s => s.OperationName));

        List<Activity> ApiCalls(StepKind kind)
        {
            var step = Assert.Single(steps, s => (string?)s.GetTagItem("edgeportal.step.kind") == kind.ToString());
            return trace.Where(s => s.ParentSpanId == step.SpanId && s.Kind == ActivityKind.Client
                && (s.GetTagItem("url.full") as string)?.StartsWith(_k.Api.BaseUri.AbsoluteUri, StringComparison.Ordinal) == true).ToList();
        }
        // Restore creates the target pod; SwitchTraffic patches the Service; CleanUp deletes the source pod.
        Assert.Contains(ApiCalls(StepKind.Restore), s => (string?)s.GetTagItem("http.request.method") == "POST"
            && ((string)s.GetTagItem("url.full")!).Contains($"/namespaces/{KubernetesHarness.Namespace}/pods", StringComparison.Ordinal));
        Assert.Contains(ApiCalls(StepKind.SwitchTraffic), s => ((string)s.GetTagItem("url.full")!).Contains(
            $"/namespaces/{KubernetesHarness.Namespace}/services/{KubernetesHarness.ServiceName}", StringComparison.Ordinal));
        Assert.Contains(ApiCalls(StepKind.CleanUp), s => (string?)s.GetTagItem("http.request.method") == "DELETE"
            && ((string)s.GetTagItem("url.full")!).Contains($"/pods/{KubernetesHarness.SourcePodName}", StringComparison.Ordinal));
        // Every Kubernetes API call of the migration's trace sits under a step, or under planning (the node reads the
        // designer makes): none hangs off the root or the execute span unattributed.
        var attributed = steps.Select(s => s.SpanId).Append(Assert.Single(trace, s => s.OperationName == "plan").SpanId).ToHashSet();
        var unattributed = trace.Where(s => s.Kind == ActivityKind.Client && !attributed.Contains(s.ParentSpanId)
                && (s.GetTagItem("url.full") as string)?.StartsWith(_k.Api.BaseUri.AbsoluteUri, StringComparison.Ordinal) == true)
            .Select(s => $"{s.GetTagItem("http.request.method")} {s.GetTagItem("url.full")} under '{trace.FirstOrDefault(p => p.SpanId == s.ParentSpanId)?.OperationName}'")
            .ToList();
        Assert.True(unattributed.Count == 0, string.Join("\n", unattributed));
        _k.Api.AssertNoRejections();
    }

    /// <summary>The harness's cluster as the portal stores it: two linked nodes, the users at the destination.</summary>
    private static EdgeInventory Edge(ServiceInstance? service = null)
    {
        service ??= KubernetesHarness.Service;
        var tenant = new Tenant(service.TenantId, "tenant", [KubernetesHarness.Cluster.Id]);
        var link = new NetworkLink(LinkId.New(), KubernetesHarness.Source.Id, KubernetesHarness.Destination.Id, Bandwidth.FromGigabits(1), 2);
        var users = new UserGroup(UserGroupId.New(), service.Id, "users", KubernetesHarness.Destination.Id, 5);
        return new EdgeInventory([tenant], [KubernetesHarness.Cluster], [KubernetesHarness.Source, KubernetesHarness.Destination], [link], [service], [users]);
    }
}
