using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Api;

/// <summary>Keyset pages of the list endpoints on a real portal and LiteDB file: a full page links the next (RFC 8288).</summary>
public sealed class HistoryPagingApiTests : PortalTest
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Finished migrations of one demo service straight in the store, several sharing a creation time.</summary>
    private List<Migration> SaveHistory(int count)
    {
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var repository = Factory.Services.GetRequiredService<IMigrationRepository>();
        var service = inventory.Services().First();
        var destination = inventory.Nodes().First(n => n.Id != service.NodeId);
        var cluster = inventory.Nodes().Single(n => n.Id == service.NodeId).ClusterId;
        var plan = new MigrationPlan(MigrationStrategy.Cold, service.NodeId, destination.Id, Bandwidth.FromMegabits(500), 0, null, 100, 100,
            [new PlannedStep(StepKind.Checkpoint, 0, 100, true)], true, null, "test");
        var saved = Enumerable.Range(0, count).Select(i =>
        {
            var migration = Migration.Create(service, cluster, plan, service.Targets, service.Objective, MigrationTrigger.Api, "test", T0.AddSeconds(i / 3));
            migration.Cancel("test", T0.AddSeconds(i / 3));
            repository.Save(migration);
            return migration;
        }).ToList();
        return saved;
    }

    private static string? NextLink(HttpResponseMessage response)
        => response.Headers.TryGetValues("Link", out var links)
            ? links.Select(l => l.Split(';')).Where(p => p.Length == 2 && p[1].Trim() == "rel=\"next\"").Select(p => p[0].Trim().TrimStart('<').TrimEnd('>')).SingleOrDefault()
            : null;

    [Fact]
    public async Task ListMigrations_FollowingNextLinks_ReturnsTheWholeHistoryOnceNewestFirst()
    {
        var saved = SaveHistory(11);
        var seen = new List<Guid>();
        string? next = "/api/v1/migrations?limit=4&state=Cancelled";
        var pages = 0;

        while (next is not null)
        {
            using var response = await Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(m => m.GetProperty("id").GetGuid()));
            next = NextLink(response);
            pages++;
            Assert.True(next is null || next.Contains("state=Cancelled", StringComparison.Ordinal), $"the next link keeps the filters: {next}");
        }

        Assert.Equal(saved.OrderByDescending(MigrationQuery.CursorOf).Select(m => m.Id.Value), seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task ListMigrations_LastPageNotFull_HasNoNextLink()
    {
        SaveHistory(3);

        using var response = await Client.GetAsync("/api/v1/migrations?limit=50");

        Assert.Null(NextLink(response));
        Assert.Equal(3, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("123-notaguid")]
    [InlineData("-1-0123456789abcdef0123456789abcdef")]
    public async Task ListMigrations_BadCursor_Is400NamingBefore(string cursor)
    {
        using var response = await Client.GetAsync($"/api/v1/migrations?before={Uri.EscapeDataString(cursor)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("before", out _), problem.ToString());
    }

    [Fact]
    public async Task ListAudit_FollowingNextLinks_ReturnsEveryEntryOnce()
    {
        var log = Factory.Services.GetRequiredService<IAuditLog>();
        var entries = Enumerable.Range(0, 7).Select(i => new AuditEntry { Id = Guid.NewGuid(), At = T0.AddMinutes(i / 2), Actor = "pager", Action = AuditActions.Plan }).ToList();
        entries = entries.Select(log.Append).ToList();
        var seen = new List<Guid>();
        string? next = "/api/v1/audit?actor=pager&limit=3";

        while (next is not null)
        {
            using var response = await Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
            next = NextLink(response);
        }

        Assert.Equal(entries.OrderByDescending(AuditQuery.CursorOf).Select(e => e.Id), seen);
    }
}
