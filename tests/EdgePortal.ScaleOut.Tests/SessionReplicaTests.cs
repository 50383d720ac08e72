using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgePortal.ScaleOut.Tests;

/// <summary>Replicas act as one portal: a sign-in on one is good on another, first start seeds once, readiness names each dependency.</summary>
[Collection(ReplicaCollection.Name)]
public sealed partial class SessionReplicaTests(ReplicaFixture fixture)
{
    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();

    private static HttpClient Browser(PortalProcess portal, CookieContainer cookies)
        => new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };

    [Fact]
    public async Task SignIn_OnOneReplica_TheCookieAndTheFormTokenWorkOnAnother()
    {
        await using var replicas = await Replicas.StartAsync(fixture, 2);
        // Production has no demo users: the test makes its account on one replica, into the shared store.
        var (_, password) = await replicas[0].CreateAccountAsync("admin", "ProviderAdmin", null);
        var cookies = new CookieContainer();
        using var first = Browser(replicas[0], cookies);
        using var second = Browser(replicas[1], cookies);
        var form = await first.GetStringAsync("account/login");
        var token = WebUtility.HtmlDecode(TokenInput().Match(form).Groups[1].Value);
        // Cookies are per host and port: carry replica 0's antiforgery cookie to replica 1, as a load balancer's one address would.
        foreach (Cookie cookie in cookies.GetCookies(replicas[0].BaseAddress))
            cookies.Add(replicas[1].BaseAddress, new Cookie(cookie.Name, cookie.Value, "/"));

        using var signIn = await second.PostAsync("account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["userName"] = "admin", ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/", signIn.Headers.Location?.OriginalString);
        foreach (Cookie cookie in cookies.GetCookies(replicas[1].BaseAddress))
            cookies.Add(replicas[0].BaseAddress, new Cookie(cookie.Name, cookie.Value, "/"));

        using var overview = await first.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.DoesNotContain("account/login", overview.RequestMessage!.RequestUri!.ToString());
        Assert.Contains("Sign out", await overview.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task FirstStart_ThreeReplicasTogether_SeedTheEdgeUsersAndKeyOnce()
    {
        // The first admin from configuration, as deploy/ gives it: created once, into the empty store, by one of the three.
        await using var replicas = await Replicas.StartAsync(fixture, 3, new Dictionary<string, string>
        {
            ["EdgePortal__Security__AdminUser"] = "admin",
            ["EdgePortal__Security__AdminPassword"] = PortalProcess.NewApiKey(),
        });

        Assert.Equal(1, replicas.Scalar("SELECT count(*) FROM users"));
        Assert.Equal(1, replicas.Scalar("SELECT count(*) FROM api_keys"));
        Assert.Equal(replicas.Scalar("SELECT count(*) FROM services"), (await replicas[2].GetAsync<JsonElement>("api/v1/services")).GetArrayLength());
        Assert.True(replicas.Scalar("SELECT count(*) FROM clusters") > 0);
    }

    [Fact]
    public async Task Readyz_ReportsPostgreSqlAndRedis_AndFailsWhenRedisIsGone()
    {
        var redis = await RedisServer.StartAsync();
        await using var replicas = await Replicas.StartAsync(fixture, 1, redis: redis.Configuration);
        using var client = new HttpClient { BaseAddress = replicas[0].BaseAddress };

        var ready = JsonDocument.Parse(await client.GetStringAsync("readyz")).RootElement;
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Contains("schema", ready.GetProperty("checks").GetProperty("postgresql").GetProperty("description").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.False(ready.GetProperty("checks").TryGetProperty("database", out _));

        await redis.DisposeAsync();

        var down = await Eventually.HoldsAsync(async () =>
        {
            using var response = await client.GetAsync("readyz");
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }, r => r.Item1 == 503, TimeSpan.FromSeconds(30), "readiness to fail without Redis");
        Assert.Equal("Unhealthy", down.Item2.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", down.Item2.GetProperty("checks").GetProperty("postgresql").GetProperty("status").GetString());
    }
}
