using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// A Cold migration of a real process through the coordinator, the engine, the Agent runtime and two in-process agents
/// running real CRIU, traced as the portal traces (its activity source and OpenTelemetry's HTTP client instrumentation)
/// into the in-memory exporter: the runtime's calls to the agents are children of the step that made them, and CRIU's
/// statistics are events on the checkpoint and restore steps.
/// </summary>
[Collection(CriuLabCollection.Name)]
public sealed class MigrationTraceTests
{
    private static readonly ServiceInstance Service = AgentEdge.Service("sleeper", new WorkloadProfile(10_000_000, 0), new KpiTargets(2_000, 60_000, 20));

    [Fact]
    public async Task Cold_ThroughEngineAndAgents_StepSpansHoldTheAgentCallsAndCriuStats()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(MigrationTracing.SourceName).AddHttpClientInstrumentation()
            .AddInMemoryExporter(spans).Build();
        var folder = Directory.CreateTempSubdirectory("edgeportal-fake-criu-").FullName;
        var criu = await FakePreDumpCriu.WriteAsync(folder);
        var settings = new Dictionary<string, string?> { ["EdgePortal:Agent:CriuPath"] = criu.Path };
        var agents = await AgentHost.StartManyAsync(new AgentSpec("h1", settings), new AgentSpec("h2", settings));
        await using var h1 = agents[0];
        await using var h2 = agents[1];
        using var sleeper = FakePreDumpCriu.StartSleeper();
        string? id = null;
        try
        {
            using (var agent = h1.Client())
                Assert.Equal(HttpStatusCode.OK, (await agent.PutAsJsonAsync("criu/workloads/sleeper", new CriuWorkloadRegistration(sleeper.Id))).StatusCode);
            await using var portal = new EnginePortal(AgentEdge.Inventory(Service), AgentEdge.Runtime(AgentEdge.ClusterOf(h1, h2)));
            await portal.StartAsync();
            await portal.Capabilities.RefreshAsync(AgentEdge.Cluster); // probed before planning (a loaded machine outlasts PlanningWait)

            var result = portal.Coordinator.Start(new MigrationRequest
            {
                ServiceId = Service.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true,
            });
            var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
            id = AgentEdgeRuntime.ImagesId(Service.Name, migration.Id);
            var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));
            var stored = portal.Migrations.Find(migration.Id)!;
            Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason}");
            // The engine ends the execute span just after the finishing event; stopping it waits for that.
            await portal.Engine.StopAsync(CancellationToken.None);
            tracing.ForceFlush();

            var root = Assert.Single(spans, s => s.OperationName == $"migrate {Service.Name}");
            var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
            var execute = Assert.Single(trace, s => s.OperationName == "execute");
            var steps = trace.Where(s => s.ParentSpanId == execute.SpanId && s.OperationName.StartsWith("step ", StringComparison.Ordinal)).ToList();
            Assert.Equal(stored.Steps.Select(s => $"step {s.Label}"), steps.OrderBy(s => s.StartTimeUtc).Select(s => s.OperationName));

            var checkpoint = Assert.Single(steps, s => (string?)s.GetTagItem("edgeportal.step.kind") == nameof(StepKind.Checkpoint));
            var dump = Assert.Single(checkpoint.Events, e => e.Name == "criu.dump");
            Assert.True(Tag(dump, "criu.frozen_time_us") > 0, "CRIU's frozen time is missing from the dump event");
            Assert.True(Tag(dump, "criu.pages_written") > 0, "CRIU's pages written are missing from the dump event");
            var restore = Assert.Single(steps, s => (string?)s.GetTagItem("edgeportal.step.kind") == nameof(StepKind.Restore));
            Assert.True(Tag(Assert.Single(restore.Events, e => e.Name == "criu.restore"), "criu.restore_time_us") > 0);

            // The runtime's calls to the agents: HTTP client spans under the step that made them, to the node it names.
            var checkpointCalls = trace.Where(s => s.ParentSpanId == checkpoint.SpanId && s.Kind == ActivityKind.Client).ToList();
            Assert.Contains(checkpointCalls, s => (s.GetTagItem("url.full") as string)?.StartsWith(h1.BaseUri.AbsoluteUri, StringComparison.Ordinal) == true);
            var restoreCalls = trace.Where(s => s.ParentSpanId == restore.SpanId && s.Kind == ActivityKind.Client).ToList();
            Assert.Contains(restoreCalls, s => (s.GetTagItem("url.full") as string)?.StartsWith(h2.BaseUri.AbsoluteUri, StringComparison.Ordinal) == true);
        }
        finally
        {
            if (id is not null)
                using (var destination = h2.Client())
                    await destination.DeleteAsync($"criu/restored/{id}");
            if (!sleeper.HasExited)
                sleeper.Kill();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static long Tag(ActivityEvent e, string name) => e.Tags.FirstOrDefault(t => t.Key == name).Value is long value ? value : -1;
}
