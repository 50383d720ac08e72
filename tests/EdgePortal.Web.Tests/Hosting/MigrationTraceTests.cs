using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Execution;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// The trace of one migration through the real portal (API, coordinator, engine, simulated edge), collected with
/// OpenTelemetry's in-memory exporter beside the portal's own tracing setup.
/// </summary>
public sealed class MigrationTraceTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private readonly List<Activity> _spans = [];
    private PortalFactory _portal = null!;
    private WebApplicationFactory<Program> _factory = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _portal = new PortalFactory(_folder.File("traces.db"), PortalFactory.FastEdge());
        _factory = _portal.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(_spans))));
        _client = PortalFactory.Authorize(_factory.CreateClient(), PortalFactory.BootstrapKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _portal.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task StartMigration_Completed_IsOneTraceWithPlanningAndAStepSpanPerStep()
    {
        var services = await _client.GetFromJsonAsync<JsonElement>("/api/v1/services");
        var service = services.EnumerateArray().First(s => s.GetProperty("name").GetString() == "flight-control").GetProperty("id").GetGuid();
        var started = await _client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = service, acceptTargetMiss = true });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid().ToString();

        // The execute span ends once the engine is done with the migration: wait for it (the condition), at most a minute.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Spans().Any(s => s.OperationName == "execute" && Tag(s, "edgeportal.migration.id") == id) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var migration = await _client.GetFromJsonAsync<JsonElement>($"/api/v1/migrations/{id}");
        var spans = Spans();

        var root = Assert.Single(spans, s => s.OperationName == "migrate flight-control" && Tag(s, "edgeportal.migration.id") == id);
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(MigrationTracing.SourceName, root.Source.Name);
        var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
        var plan = Assert.Single(trace, s => s.OperationName == "plan");
        Assert.Equal(root.SpanId, plan.ParentSpanId);
        Assert.Equal(migration.GetProperty("strategy").GetString(), Tag(plan, "edgeportal.plan.strategy"));
        var execute = Assert.Single(trace, s => s.OperationName == "execute");
        Assert.Equal(root.SpanId, execute.ParentSpanId);
        Assert.Equal("Completed", Tag(execute, "edgeportal.migration.state"));
        Assert.Equal(ActivityStatusCode.Ok, execute.Status);

        var steps = migration.GetProperty("steps").EnumerateArray().ToList();
        var stepSpans = trace.Where(s => s.OperationName.StartsWith("step ", StringComparison.Ordinal)).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(steps.Count, stepSpans.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            Assert.Equal(execute.SpanId, stepSpans[i].ParentSpanId);
            Assert.Equal($"step {steps[i].GetProperty("label").GetString()}", stepSpans[i].OperationName);
            Assert.Equal(steps[i].GetProperty("predictedMs").GetDouble(), (double)stepSpans[i].GetTagItem("edgeportal.step.predicted_ms")!);
            Assert.NotNull(stepSpans[i].GetTagItem("edgeportal.step.measured_ms"));
            Assert.Equal(ActivityStatusCode.Ok, stepSpans[i].Status);
        }
        // The root, plan, execute and the steps: nothing else, nothing of another migration.
        Assert.Equal(3 + steps.Count, trace.Count);
    }

    private List<Activity> Spans()
    {
        // The exporter appends from the engine's threads without a lock: a copy that races an append is taken again.
        while (true)
        {
            try
            {
                return [.. _spans];
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
            }
        }
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
