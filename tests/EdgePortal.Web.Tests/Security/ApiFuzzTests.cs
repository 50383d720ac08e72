using System.Net;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// A small, seeded fuzz of the REST API as a provider admin (so authorization lets everything through): malformed JSON,
/// wrong types, unicode and injection strings in every field, oversized bodies. Every answer is a 4xx with problem details,
/// never a 5xx, and nothing is stored.
/// </summary>
public sealed class ApiFuzzTests(SecuredPortal portal) : IClassFixture<SecuredPortal>
{
    private static readonly string Unknown = "0198a0b0-0000-7000-8000-000000000002";

    /// <summary>Writing endpoints with the fields their body has.</summary>
    private static readonly (string Method, string Path, string[] Fields)[] Targets =
    [
        ("POST", "/api/v1/migrations", ["serviceId", "destinationNodeId", "maxDowntimeMs", "objective", "strategy", "iterations", "acceptTargetMiss"]),
        ("POST", "/api/v1/plans/what-if", ["stateSizeBytes", "dirtyRateNormalized", "bandwidthBitsPerSecond", "maxDowntimeMs", "maxMigrationTimeMs", "objective"]),
        ("POST", $"/api/v1/services/{Unknown}/plan", ["strategy", "objective", "iterations"]),
        ("POST", "/api/v1/schedules", ["name", "kind", "cron", "timeZone", "target", "objective", "misfirePolicy", "paused"]),
        ("PUT", $"/api/v1/schedules/{Unknown}", ["name", "kind", "cron", "timeZone", "target"]),
        ("POST", $"/api/v1/clusters/{Unknown}/windows", ["name", "days", "start", "durationMinutes", "timeZone"]),
        ("POST", "/api/v1/users", ["userName", "password", "role", "tenantId"]),
        ("POST", "/api/v1/keys", ["name", "role", "tenantId", "expiresAt"]),
        ("PUT", $"/api/v1/tenants/{Unknown}/quotas", ["maxConcurrentMigrations", "maxReservedBandwidthBitsPerSecond"]),
        ("POST", "/api/v1/tenants", ["name", "allowedClusters", "defaultObjective", "maxConcurrentMigrations", "maxReservedBandwidthBitsPerSecond"]),
        ("PUT", $"/api/v1/tenants/{Unknown}/clusters", ["allowedClusters"]),
    ];

    private static readonly string[] Strings =
    [
        "'; DROP TABLE migrations; --", "\" OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x/a}", "../../etc/passwd",
        "\u0000\u0001\u001f", "🚀🔥💥", "\u202Eevil", "Ω≈ç√∫˜µ≤", "null", "NaN", "-1e309", new string('x', 100_000), "$where: 1", "0x7fffffff",
    ];

    private static readonly string[] Malformed =
    [
        "{", "}", "[]", "\"just a string\"", "{\"a\":}", "{'single':'quotes'}", "{\"serviceId\": \"not-a-guid\"}", "{\"stateSizeBytes\": \"abc\"}",
        "{\"iterations\": 1.5}", "{\"paused\": \"yes\"}", "{\"maxConcurrentMigrations\": 99999999999999999999}", "\uFEFF{", "{\"a\":1}{\"b\":2}",
        new string('[', 5000) + new string(']', 5000),
    ];

    public static IEnumerable<object[]> Cases()
    {
        var random = new Random(7);
        foreach (var (method, path, fields) in Targets)
        {
            foreach (var body in Malformed)
                yield return [method, path, body];
            for (var i = 0; i < 6; i++)
            {
                // Every field weird at once: strings where numbers/ids/enums go, numbers where strings go.
                var json = new StringBuilder("{");
                foreach (var field in fields)
                {
                    var value = random.Next(4) == 0 ? random.Next(-5, 5).ToString() : System.Text.Json.JsonSerializer.Serialize(Strings[random.Next(Strings.Length)]);
                    json.Append(json.Length > 1 ? "," : "").Append('"').Append(field).Append("\":").Append(value);
                }
                yield return [method, path, json.Append('}').ToString()];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WritingEndpoint_GarbageBody_Is4xxProblemAndStoresNothing(string method, string path, string body)
    {
        using var client = portal.As(PortalRoles.ProviderAdmin);
        var before = Counts();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") });

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, Counts());
    }

    [Theory]
    [InlineData("/api/v1/migrations?state=%27%3B%20DROP")]
    [InlineData("/api/v1/migrations?limit=abc")]
    [InlineData("/api/v1/migrations?tenant=%F0%9F%9A%80")]
    [InlineData("/api/v1/automation/decisions?limit=-1")]
    [InlineData("/api/v1/audit?action=%3Cscript%3E")]
    [InlineData("/api/v1/audit?from=yesterday")]
    [InlineData("/api/v1/schedules/%27%20OR%201%3D1/runs")]
    public async Task Query_Garbage_Is4xx(string url)
    {
        using var client = portal.As(PortalRoles.ProviderAdmin);

        using var response = await client.GetAsync(url);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Fact]
    public async Task Body_OverTheLimit_Is413ProblemUnread()
    {
        using var client = portal.As(PortalRoles.ProviderAdmin);
        var huge = "{\"name\":\"" + new string('a', 2 * 1024 * 1024) + "\"}";

        using var response = await client.PostAsync("/api/v1/schedules", new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(Schedules.List());
    }

    private IScheduleRepository Schedules => (IScheduleRepository)portal.Factory.Services.GetService(typeof(IScheduleRepository))!;

    private (int Migrations, int Schedules, int Users, int Keys, int Windows, string Tenants) Counts()
    {
        var services = portal.Factory.Services;
        T Get<T>() => (T)services.GetService(typeof(T))!;
        return (Get<IMigrationRepository>().List(new MigrationQuery(Limit: 1000)).Count, Get<IScheduleRepository>().List().Count,
            Get<IUserRepository>().Count(), Get<IApiKeyRepository>().List().Count, Get<IMaintenanceWindowRepository>().List().Count,
            string.Join(";", Get<IInventoryRepository>().Tenants().Select(t =>
                $"{t.Name}:{string.Join(',', t.AllowedClusters)}:{t.MaxConcurrentMigrations}/{t.MaxReservedBandwidthBitsPerSecond}")));
    }
}
