using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Api;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>The audit log through real HTTP: what is recorded, who may read which entries, the CSV export.</summary>
public sealed class AuditTests : IDisposable
{
    private readonly SecuredPortal _portal = new();
    private readonly EdgeInventory _demo = DemoEdge.Build();

    public void Dispose() => _portal.Dispose();

    private IAuditLog Log => _portal.Factory.Services.GetRequiredService<IAuditLog>();

    [Fact]
    public async Task StartAndCancel_ThroughTheApi_AreRecordedWithActorAndTenant()
    {
        var service = _demo.Services.First(s => s.TenantId == DemoEdge.SkyFleet);
        using var client = _portal.As(PortalRoles.TenantOperator);

        var started = await client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = service.Id.Value, acceptTargetMiss = true });
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await client.PostAsync($"/api/v1/migrations/{id}/cancel", null);

        var entries = Log.Query(new AuditQuery());
        var start = Assert.Single(entries, e => e.Action == AuditActions.Start);
        var cancel = Assert.Single(entries, e => e.Action == AuditActions.Cancel);
        Assert.Equal("key:test-TenantOperator", start.Actor);
        Assert.Equal(DemoEdge.SkyFleet.Value, start.TenantId);
        Assert.Contains(service.Name, start.Target);
        Assert.Equal("key:test-TenantOperator", cancel.Actor);
        Assert.Contains(id.ToString(), cancel.Target);
    }

    [Fact]
    public async Task Audit_TenantAdmin_ReadsOnlyItsTenantsEntries_ProviderAdminReadsAll_OperatorIsRefused()
    {
        var trail = _portal.Factory.Services.GetRequiredService<Core.Security.AuditTrail>();
        trail.Record("someone", AuditActions.Plan, "sky thing", tenant: DemoEdge.SkyFleet.Value);
        trail.Record("someone", AuditActions.Plan, "arena thing", tenant: DemoEdge.ArenaPlay.Value);

        var sky = await _portal.As(PortalRoles.TenantAdmin).GetFromJsonAsync<JsonElement>("/api/v1/audit?action=migration.plan");
        var all = await _portal.As(PortalRoles.ProviderAdmin).GetFromJsonAsync<JsonElement>("/api/v1/audit?action=migration.plan");
        var refused = await _portal.As(PortalRoles.TenantOperator).GetAsync("/api/v1/audit");

        Assert.Equal(["sky thing"], sky.EnumerateArray().Select(e => e.GetProperty("target").GetString()));
        Assert.Equal(2, all.GetArrayLength());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Csv_Export_EscapesQuotesCommasAndFormulas()
    {
        var trail = _portal.Factory.Services.GetRequiredService<Core.Security.AuditTrail>();
        trail.Record("=HYPERLINK(\"evil\")", AuditActions.LoginFailed, "user a,b", "say \"hi\"", succeeded: false);

        var response = await _portal.As(PortalRoles.ProviderAdmin).GetAsync("/api/v1/audit.csv?action=login.failed");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("at,actor,action,target,detail,tenantId,succeeded,sequence,hash", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"evil\"\")\",login.failed,\"user a,b\",\"say \"\"hi\"\"\",,false", lines[1]);
    }

    [Theory]
    [InlineData("/api/v1/audit?limit=0", "limit")]
    [InlineData("/api/v1/audit?action=drop%20table", "action")]
    [InlineData("/api/v1/audit?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task Audit_BadFilter_Is400NamingTheField(string url, string field)
    {
        var response = await _portal.As(PortalRoles.ProviderAdmin).GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public void Cell_FormulaAndSeparators_AreNeutralised()
    {
        Assert.Equal("'+1", AuditCsv.Cell("+1"));
        Assert.Equal("\"a\"\"b\"", AuditCsv.Cell("a\"b"));
        Assert.Equal("plain", AuditCsv.Cell("plain"));
    }
}
