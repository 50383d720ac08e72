using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Hosting;

namespace EdgePortal.Web.Tests.Limits;

/// <summary>Limits against abuse through real HTTP: how often a cron may fire, how many schedules a tenant may have, a new tenant's quotas, user names.</summary>
public sealed class LimitsApiTests : PortalTest
{
    private readonly EdgeInventory _demo = DemoEdge.Build();

    private object Schedule(string name, string cron) => new
    {
        name,
        kind = "Cron",
        cron,
        timeZone = "Europe/Rome",
        target = new { kind = "Service", serviceId = _demo.Services[0].Id.Value },
    };

    private static async Task<JsonElement> ErrorsOf(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
    }

    [Theory]
    [InlineData("* * * ? * *")]
    [InlineData("0/30 * * ? * *")]
    [InlineData("0,59 0 3 ? * *")]
    [InlineData("0 0-5 3 ? * *", "00:05:00")]
    public async Task CreateSchedule_CronMoreFrequentThanTheMinimum_Is400NamingCron(string cron, string? minimum = null)
    {
        using var portal = minimum is null ? null : new PortalFactory(Folder.File("min.db"), new Dictionary<string, string?> { ["EdgePortal:Limits:MinCronInterval"] = minimum });
        using var client = portal?.CreateClient() ?? Client;

        var errors = await ErrorsOf(await client.PostAsJsonAsync("/api/v1/schedules", Schedule("Too often", cron)));

        Assert.Contains("a schedule may fire at most once every", errors.GetProperty("cron")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 * * ? * *")]
    [InlineData("0 0/15 * ? * *")]
    public async Task CreateSchedule_CronAtTheMinimumOrSlower_IsCreated(string cron)
        => Assert.Equal(HttpStatusCode.Created, (await Client.PostAsJsonAsync("/api/v1/schedules", Schedule("Often enough", cron))).StatusCode);

    [Fact]
    public async Task CreateSchedule_PastTheTenantsCap_Is409AndNothingMoreIsStored()
    {
        await using var portal = new PortalFactory(Folder.File("cap.db"), new Dictionary<string, string?> { ["EdgePortal:Limits:MaxSchedulesPerTenant"] = "2" });
        using var client = portal.CreateClient();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
            answers.Add((await client.PostAsJsonAsync("/api/v1/schedules", Schedule($"s{i}", "0 0 2 * * ?"))).StatusCode);

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Conflict], answers);
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>("/api/v1/schedules")).GetArrayLength());
    }

    [Fact]
    public async Task CreateTenant_WithoutQuotas_GetsTheConfiguredDefaults()
    {
        await using var portal = new PortalFactory(Folder.File("quota.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Limits:NewTenantQuotas:MaxConcurrentMigrations"] = "3",
            ["EdgePortal:Limits:NewTenantQuotas:MaxReservedBandwidthBitsPerSecond"] = "200000000",
        });
        using var client = portal.CreateClient();

        var defaulted = await (await client.PostAsJsonAsync("/api/v1/tenants", new { name = "Defaulted" })).Content.ReadFromJsonAsync<JsonElement>();
        var explicitly = await (await client.PostAsJsonAsync("/api/v1/tenants", new { name = "Explicit", maxConcurrentMigrations = 7 })).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(3, defaulted.GetProperty("maxConcurrentMigrations").GetInt32());
        Assert.Equal(2e8, defaulted.GetProperty("maxReservedBandwidthBitsPerSecond").GetDouble());
        Assert.Equal(7, explicitly.GetProperty("maxConcurrentMigrations").GetInt32());
    }

    [Fact]
    public async Task CreateTenant_ByDefault_GetsTenConcurrentMigrations()
        => Assert.Equal(10, (await (await Client.PostAsJsonAsync("/api/v1/tenants", new { name = "Plain" })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("maxConcurrentMigrations").GetInt32());

    [Theory]
    [InlineData("sso:admin")]
    [InlineData("key:deploy-bot")]
    [InlineData("SSO:Admin")]
    [InlineData("  key:padded")]
    public async Task CreateUser_ReservedPrefix_Is400NamingUserName(string userName)
    {
        var errors = await ErrorsOf(await Client.PostAsJsonAsync("/api/v1/users", new { userName, password = "long-enough-1", role = PortalRoles.ProviderOperator }));

        Assert.Contains("cannot start with", errors.GetProperty("userName")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_AdminUserWithAReservedPrefix_IsRefusedNamingTheKey()
    {
        var portal = new PortalFactory(Folder.File("admin.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:AdminUser"] = "key:root",
            ["EdgePortal:Security:AdminPassword"] = "long-enough-1",
        });

        var failure = Assert.ThrowsAny<Exception>(() => portal.CreateClient());

        Assert.Contains("EdgePortal:Security:AdminUser", failure.ToString(), StringComparison.Ordinal);
        await portal.DisposeAsync();
    }

    [Theory]
    [InlineData("EdgePortal:Limits:MinCronInterval", "00:00:00")]
    [InlineData("EdgePortal:Limits:MaxSchedulesPerTenant", "0")]
    [InlineData("EdgePortal:Audit:RefusalsPerSourceAndWindow", "0")]
    public async Task Start_LimitOutOfRange_IsRefusedNamingTheKey(string key, string value)
    {
        var portal = new PortalFactory(Folder.File("bad.db"), new Dictionary<string, string?> { [key] = value });

        var failure = Assert.ThrowsAny<Exception>(() => portal.CreateClient());

        Assert.Contains(key, failure.ToString(), StringComparison.Ordinal);
        await portal.DisposeAsync();
    }
}
