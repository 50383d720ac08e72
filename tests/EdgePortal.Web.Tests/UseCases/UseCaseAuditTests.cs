using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.Tests.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.UseCases;

/// <summary>
/// The use cases the pages and the API share name who acted and audit once: drains, uncordon and maintenance windows, which
/// went unaudited (or said "api") before, through real HTTP; and no page writes audit entries of its own.
/// </summary>
public sealed class UseCaseAuditTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private IAuditLog Log => _portal.Factory.Services.GetRequiredService<IAuditLog>();

    private const string Operator = "key:test-" + PortalRoles.ProviderOperator;

    /// <summary>A demo node no service runs on: its drain ends at once.</summary>
    private EdgeNode EmptyNode => _demo.Nodes.First(n => _demo.Services.All(s => s.NodeId != n.Id));

    [Fact]
    public async Task DrainThenUncordon_ThroughTheApi_NameTheActorInTheDrainAndTheAudit()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);
        var node = EmptyNode;

        var drained = await client.PostAsync($"/api/v1/nodes/{node.Id}/drain", null);
        var drain = await drained.Content.ReadFromJsonAsync<JsonElement>();
        var uncordoned = await client.PostAsync($"/api/v1/nodes/{node.Id}/uncordon", null);

        Assert.Equal(HttpStatusCode.Accepted, drained.StatusCode);
        Assert.Equal(Operator, drain.GetProperty("requestedBy").GetString());
        Assert.Equal(HttpStatusCode.OK, uncordoned.StatusCode);
        Assert.Equal("Ready", (await uncordoned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        var drainEntry = Assert.Single(Log.Query(new AuditQuery(Action: AuditActions.NodeDrain)));
        var uncordonEntry = Assert.Single(Log.Query(new AuditQuery(Action: AuditActions.NodeUncordon)));
        Assert.Equal(Operator, drainEntry.Actor);
        Assert.Equal($"node {node.Name} ({node.Id})", drainEntry.Target);
        Assert.Equal(Operator, uncordonEntry.Actor);
        Assert.Equal("cordoned → ready", uncordonEntry.Detail);
    }

    [Fact]
    public async Task Uncordon_WhileItsDrainRuns_Is409AndTheRefusalIsAudited()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);
        // A node with services: at the slow simulator its drain is still running when uncordon is asked.
        var busy = _demo.Nodes.First(n => _demo.Services.Count(s => s.NodeId == n.Id) >= 1);
        await client.PostAsync($"/api/v1/nodes/{busy.Id}/drain", null);

        var refused = await client.PostAsync($"/api/v1/nodes/{busy.Id}/uncordon", null);

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("drainId", out _));
        var entry = Assert.Single(Log.Query(new AuditQuery(Action: AuditActions.NodeUncordon)));
        Assert.False(entry.Succeeded);
    }

    [Fact]
    public async Task WindowCreateUpdateDelete_ThroughTheApi_AreEachAudited()
    {
        using var client = _portal.As(PortalRoles.ProviderOperator);
        var cluster = _demo.Clusters[0];
        var body = new { name = "Night", days = new[] { "Saturday" }, start = "02:00", durationMinutes = 60, timeZone = "Europe/Rome" };

        var created = await (await client.PostAsJsonAsync($"/api/v1/clusters/{cluster.Id}/windows", body)).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();
        var updated = await client.PutAsJsonAsync($"/api/v1/clusters/{cluster.Id}/windows/{id}", body with { durationMinutes = 90 });
        var deleted = await client.DeleteAsync($"/api/v1/clusters/{cluster.Id}/windows/{id}");

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var entries = Log.Query(new AuditQuery()).Where(e => e.Action.StartsWith("window.", StringComparison.Ordinal)).Reverse().ToList();
        Assert.Equal([AuditActions.WindowCreate, AuditActions.WindowUpdate, AuditActions.WindowDelete], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal(Operator, e.Actor));
        Assert.All(entries, e => Assert.Equal($"window Night ({id}) of cluster {cluster.Name}", e.Target));
        Assert.Contains("02:00–03:30", entries[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchedulePauseResume_ThroughTheApi_AuditTheSameTargetAsCreate()
    {
        using var client = _portal.As(PortalRoles.TenantAdmin);
        var service = _demo.Services.First(s => s.TenantId == DemoEdge.SkyFleet);
        var created = await (await client.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "Nightly",
            kind = "Cron",
            cron = "0 0 2 * * ?",
            timeZone = "UTC",
            target = new { kind = "Service", serviceId = service.Id.Value },
        })).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("schedule").GetProperty("id").GetGuid();

        await client.PostAsync($"/api/v1/schedules/{id}/pause", null);
        await client.PostAsync($"/api/v1/schedules/{id}/pause", null);
        await client.PostAsync($"/api/v1/schedules/{id}/resume", null);

        var entries = Log.Query(new AuditQuery()).Where(e => e.Action.StartsWith("schedule.", StringComparison.Ordinal)).Reverse().ToList();
        // Pausing a paused schedule changes nothing and is not audited again.
        Assert.Equal([AuditActions.ScheduleCreate, AuditActions.SchedulePause, AuditActions.ScheduleResume], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal($"schedule Nightly ({id})", e.Target));
        Assert.Equal("Cron 0 0 2 * * ? → Service", entries[0].Detail);
        Assert.All(entries, e => Assert.Equal(DemoEdge.SkyFleet.Value, e.TenantId));
    }

    /// <summary>Pages act through the use cases, which audit; a page that recorded entries itself would say things the API does not.</summary>
    [Fact]
    public void Pages_InjectNoAuditTrail_TheirActionsAreAuditedByTheUseCases()
    {
        var pages = typeof(AuditTrail).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t));

        var writers = pages.Where(p => p.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Any(property => property.GetCustomAttribute<InjectAttribute>() is not null
                && (property.PropertyType == typeof(AuditTrail) || property.PropertyType == typeof(IAuditLog) && !property.DeclaringType!.Name.Equals("Audit", StringComparison.Ordinal))));

        Assert.Empty(writers.Select(p => p.Name));
    }
}
