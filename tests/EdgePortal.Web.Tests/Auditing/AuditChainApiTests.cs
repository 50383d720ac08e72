using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Security;
using EdgePortal.Web.Auditing;
using EdgePortal.Web.Tests.Security;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Auditing;

/// <summary>The audit chain and refused keys through real HTTP on a real LiteDB file.</summary>
public sealed class AuditChainApiTests : IDisposable
{
    private readonly SecuredPortal _portal = new();

    public void Dispose() => _portal.Dispose();

    private IAuditLog Log => _portal.Factory.Services.GetRequiredService<IAuditLog>();

    [Fact]
    public async Task ApiKeyRefused_AFloodOfGuessedKeys_IsAuditedAFewTimesThenSummarised()
    {
        for (var i = 0; i < 40; i++)
        {
            using var guesser = _portal.WithKey($"ep_guess{i:0000}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/v1/services")).StatusCode);
        }

        var refused = Log.Query(new AuditQuery(Action: AuditActions.KeyRefused));
        Assert.Equal(5, refused.Count);
        Assert.All(refused, e => Assert.False(e.Succeeded));
        Assert.Contains(refused, e => e.Actor == "key:ep_gues" && e.Detail.Contains("GET /api/v1/services", StringComparison.Ordinal));

        _portal.Factory.Services.GetRequiredService<RefusalAuditor>().Flush(all: true);

        var summary = Log.Query(new AuditQuery(Action: AuditActions.KeyRefused, Limit: 1)).Single();
        Assert.StartsWith("and 35 more apikey.refused refusals", summary.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_AfterAuditedActions_IsIntactUpToTheHead()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        await admin.PostAsJsonAsync("/api/v1/tenants", new { name = "Verify Co" });
        await admin.PostAsJsonAsync("/api/v1/tenants", new { name = "Verify Two" });

        var report = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify");

        var head = Log.Query(new AuditQuery(Limit: 1)).Single();
        Assert.True(report.GetProperty("intact").GetBoolean());
        Assert.Equal(head.Sequence, report.GetProperty("lastSequence").GetInt64());
        Assert.Equal(head.Hash, report.GetProperty("headHash").GetString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("firstBreak").ValueKind);
    }

    [Fact]
    public async Task Verify_EntryEditedInTheDatabaseFile_NamesTheFirstBrokenEntry()
    {
        using var admin = _portal.As(PortalRoles.ProviderAdmin);
        for (var i = 0; i < 4; i++)
            await admin.PostAsJsonAsync("/api/v1/tenants", new { name = $"Tamper {i}" });
        var victim = Log.Query(new AuditQuery(Action: AuditActions.TenantCreate)).Single(e => e.Target.StartsWith("tenant Tamper 1", StringComparison.Ordinal));
        // Someone with the file rewrites who did it.
        var database = _portal.Factory.Services.GetRequiredService<Storage.EdgeDatabase>().Database;
        var document = database.GetCollection("audit").FindById(victim.Id);
        document["actor"] = "nobody";
        database.GetCollection("audit").Update(document);

        var report = await admin.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify");

        Assert.False(report.GetProperty("intact").GetBoolean());
        var broken = report.GetProperty("firstBreak");
        Assert.Equal(victim.Sequence, broken.GetProperty("sequence").GetInt64());
        Assert.Equal(victim.Id, broken.GetProperty("entryId").GetGuid());
        Assert.Contains("changed after it was written", broken.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PortalRoles.TenantAdmin)]
    [InlineData(PortalRoles.Viewer)]
    public async Task Verify_TenantRoles_AreRefused(string role)
        => Assert.Equal(HttpStatusCode.Forbidden, (await _portal.As(role).GetAsync("/api/v1/audit/verify")).StatusCode);
}
