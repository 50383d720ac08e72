using System.Net;
using System.Net.Http.Json;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>The login form through real HTTP: antiforgery, the cookie; and the seeded accounts (the test host runs in Development, the demo profile).</summary>
public sealed class LoginTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly PortalFactory _factory;

    public LoginTests()
    {
        _factory = new PortalFactory(_folder.File("edge.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
        });
    }

    public void Dispose()
    {
        _factory.Dispose();
        _folder.Dispose();
    }


    private HttpClient Browser() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    [Fact]
    public async Task Login_DemoUserWithToken_SetsCookieAndRedirectsToReturnUrl()
    {
        using var client = Browser();
        var token = await PortalLogin.AntiforgeryToken(client);

        var response = await PortalLogin.Post(client, "skyfleet-operator", "skyfleet-demo-2", token, "/migrations");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/migrations", response.Headers.Location?.OriginalString);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("EdgePortal.Auth=", StringComparison.Ordinal));
        var login = Assert.Single(_factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery(Action: AuditActions.LoginSucceeded)));
        Assert.Equal("skyfleet-operator", login.Actor);
    }

    [Fact]
    public async Task LoginPage_DemoPortal_NamesTheDemoSignIns()
    {
        using var client = Browser();

        var html = await client.GetStringAsync("/account/login");

        Assert.Contains("demo-accounts", html);
        Assert.Contains("<strong>admin</strong> / <strong>admin-demo-1</strong> to see the whole provider", html);
        Assert.Contains("<strong>skyfleet-operator</strong> / <strong>skyfleet-demo-2</strong> for one tenant&#x27;s view", html);
    }

    [Fact]
    public async Task LoginPage_DemoUsersOff_NamesNoAccount()
    {
        using var folder = new TempFolder();
        await using var factory = new PortalFactory(folder.File("real.db"), new Dictionary<string, string?> { ["EdgePortal:Seed:DemoUsers"] = "false" });
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/account/login");

        Assert.Contains("Sign in to EdgePortal", html);
        Assert.DoesNotContain("demo-accounts", html);
        Assert.DoesNotContain("admin-demo-1", html);
    }

    [Fact]
    public async Task Login_WithoutAntiforgeryToken_IsRefused()
    {
        using var client = Browser();
        _ = await PortalLogin.AntiforgeryToken(client);

        var response = await PortalLogin.Post(client, "admin", "admin-demo-1", token: null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("EdgePortal.Auth=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Login_ExternalReturnUrl_RedirectsHomeInstead()
    {
        using var client = Browser();
        var token = await PortalLogin.AntiforgeryToken(client);

        var response = await PortalLogin.Post(client, "admin", "admin-demo-1", token, "https://evil.example/");

        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public void Seed_FirstStart_CreatesTheConfiguredAdminAndOneDemoUserPerRole()
    {
        var users = _factory.Services.GetRequiredService<IUserRepository>().List();

        var root = Assert.Single(users, u => u.UserName == "root");
        Assert.Equal(PortalRoles.ProviderAdmin, root.Role);
        Assert.DoesNotContain("root-password-1", root.PasswordHash);
        Assert.Equal(PortalRoles.All.OrderBy(r => r), users.Where(u => u.UserName != "root").Select(u => u.Role).OrderBy(r => r));
        Assert.All(users.Where(u => !PortalRoles.IsProviderRole(u.Role)), u => Assert.NotNull(u.TenantId));
    }

    [Fact]
    public void Seed_DemoUsersOff_CreatesOnlyTheConfiguredAdmin()
    {
        using var factory = new PortalFactory(_folder.File("plain.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Seed:DemoUsers"] = "false",
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
        });

        var users = factory.Services.GetRequiredService<IUserRepository>().List();

        Assert.Equal(["root"], users.Select(u => u.UserName));
    }

    [Fact]
    public void Seed_AccountDeleted_DoesNotComeBackAtRestart()
    {
        var users = _factory.Services.GetRequiredService<IUserRepository>();
        users.Delete(users.FindByName("operator")!.Id);
        users.Delete(users.FindByName("root")!.Id);
        _factory.Dispose();

        using var restarted = new PortalFactory(_folder.File("edge.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
        });
        var after = restarted.Services.GetRequiredService<IUserRepository>().List().Select(u => u.UserName).ToList();

        Assert.DoesNotContain("operator", after);
        Assert.DoesNotContain("root", after);
        Assert.Contains("admin", after);
    }

    [Fact]
    public async Task Seed_Production_CreatesNoDemoUserAndTheLoginPageNamesNone()
    {
        using var folder = new TempFolder();
        await using var factory = new PortalFactory(folder.File("prod.db"), new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
        });
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/account/login");
        var users = factory.Services.GetRequiredService<IUserRepository>().List();

        Assert.Equal(["root"], users.Select(u => u.UserName));
        Assert.DoesNotContain("demo-accounts", html);
        Assert.DoesNotContain("admin-demo-1", html);
    }

    [Fact]
    public async Task Start_ProductionWithDemoUsersOn_RefusesNamingTheKey()
    {
        using var folder = new TempFolder();
        await using var factory = new PortalFactory(folder.File("prod.db"), new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["EdgePortal:Seed:DemoUsers"] = "true",
        });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("EdgePortal:Seed:DemoUsers", error.Message);
        Assert.Contains("Production", error.Message);
    }

    [Fact]
    public void ApiKey_ExpiredOrRevoked_IsRefused()
    {
        var keys = _factory.Services.GetRequiredService<ApiKeyService>();
        var live = keys.Create("live", PortalRoles.Viewer, Guid.NewGuid(), DateTimeOffset.UtcNow.AddDays(1), "test");
        var expired = keys.Create("old", PortalRoles.Viewer, Guid.NewGuid(), DateTimeOffset.UtcNow.AddSeconds(-1), "test");
        var revoked = keys.Create("gone", PortalRoles.Viewer, Guid.NewGuid(), null, "test");
        keys.Revoke(revoked.Record.Id);

        Assert.NotNull(keys.Validate(live.Key));
        Assert.Null(keys.Validate(expired.Key));
        Assert.Null(keys.Validate(revoked.Key));
        Assert.Null(keys.Validate(live.Key + "x"));
        Assert.DoesNotContain(live.Key, live.Record.Hash);
    }

    [Fact]
    public async Task Cookie_AfterLogin_OpensPagesAndApiAsThatUserAndItsRole()
    {
        using var client = Browser();
        PortalFactory.Authorize(client, null);
        var token = await PortalLogin.AntiforgeryToken(client);
        await PortalLogin.Post(client, "arena-viewer", "arena-demo-1", token);

        var overview = await client.GetAsync("/");
        var settings = await client.GetAsync("/settings");
        var services = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/services");
        var start = await client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = Guid.NewGuid() });

        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.Contains("arena-viewer", await overview.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, settings.StatusCode);
        Assert.StartsWith("/account/denied", settings.Headers.Location?.PathAndQuery);
        Assert.All(services.EnumerateArray(), s => Assert.Equal(Runtime.Simulated.DemoEdge.ArenaPlay.Value, s.GetProperty("tenantId").GetGuid()));
        // A cookie never authenticates a change through the API (another site could make the browser send it): 401, not 403.
        Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
    }

    [Fact]
    public async Task Logout_WithoutAntiforgeryToken_IsRefusedAndTheCookieStays()
    {
        using var client = Browser();
        PortalFactory.Authorize(client, null);
        var token = await PortalLogin.AntiforgeryToken(client);
        await PortalLogin.Post(client, "admin", "admin-demo-1", token);

        var refused = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string>()));
        var still = await client.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public async Task Anonymous_PageAndApi_RedirectToLoginAnd401()
    {
        using var client = Browser();
        PortalFactory.Authorize(client, null);

        var page = await client.GetAsync("/migrations");
        var api = await client.GetAsync("/api/v1/migrations");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login?ReturnUrl=%2Fmigrations", page.Headers.Location?.PathAndQuery);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Logout_WithToken_EndsTheSession()
    {
        using var client = Browser();
        PortalFactory.Authorize(client, null);
        var token = await PortalLogin.AntiforgeryToken(client);
        await PortalLogin.Post(client, "admin", "admin-demo-1", token);
        var html = await client.GetStringAsync("/account/logout");
        var logoutToken = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;

        var response = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = WebUtility.HtmlDecode(logoutToken) }));
        var after = await client.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Cookie_AfterARestartOnTheSameDatabase_StillSignsIn()
    {
        string cookie;
        using (var first = Browser())
        {
            PortalFactory.Authorize(first, null);
            var token = await PortalLogin.AntiforgeryToken(first);
            var login = await PortalLogin.Post(first, "admin", "admin-demo-1", token);
            cookie = login.Headers.GetValues("Set-Cookie").First(c => c.StartsWith("EdgePortal.Auth=", StringComparison.Ordinal)).Split(';')[0];
        }
        _factory.Dispose();
        Assert.True(Directory.Exists(_folder.File("keys")), "The data-protection keys are kept beside the database.");

        using var restarted = new PortalFactory(_folder.File("edge.db"));
        using var client = PortalFactory.Authorize(restarted.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false }), null);
        client.DefaultRequestHeaders.Add("Cookie", cookie);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task SignIn_ManyAttemptsFromOneAddress_AreThrottledWith429()
    {
        using var factory = new PortalFactory(_folder.File("throttle.db"), new Dictionary<string, string?> { ["EdgePortal:Security:SignInAttemptsPerMinute"] = "3" });
        using var client = PortalFactory.Authorize(factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), null);
        var token = await PortalLogin.AntiforgeryToken(client);
        var users = new[] { "admin", "operator", "skyfleet-admin", "arena-viewer" };

        var answers = new List<HttpStatusCode>();
        foreach (var user in users)
            answers.Add((await PortalLogin.Post(client, user, "guess-123456", token)).StatusCode);

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], answers);
    }
}
