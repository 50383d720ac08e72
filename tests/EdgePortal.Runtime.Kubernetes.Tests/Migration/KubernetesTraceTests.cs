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
/// A Cold migration through the real engine over the Kubernetes runtime (fake API server and kubelet, real agents and
/// registry), traced with the portal's sources and the HTTP client instrumentation into an in-memory exporter: the
/// runtime's Kubernetes API calls are client spans under the step that made them.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class KubernetesTraceTests(RegistryFixture registry) : IAsyncLifetime
{
    private KubernetesHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubernetesHarness.StartAsync(registry);

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task Cold_ThroughTheEngine_KubernetesApiCallsAreClientSpansUnderTheirStep()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(MigrationTracing.SourceName).AddHttpClientInstrumentation()
            .AddInMemoryExporter(spans).Build();
        var service = KubernetesHarness.Service;
        var tenant = new Tenant(service.TenantId, "tenant", [KubernetesHarness.Cluster.Id]);
        var link = new NetworkLink(LinkId.New(), KubernetesHarness.Source.Id, KubernetesHarness.Destination.Id, Bandwidth.FromGigabits(1), 1);
        var users = new UserGroup(UserGroupId.New(), service.Id, "users", KubernetesHarness.Destination.Id, 5);
        var inventory = new EdgeInventory([tenant], [KubernetesHarness.Cluster], [KubernetesHarness.Source, KubernetesHarness.Destination],
            [link], [service], [users]);
        await using var portal = new EnginePortal(inventory, _k.Runtime);
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
}
