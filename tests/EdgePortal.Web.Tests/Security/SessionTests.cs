using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Sessions end when access ends (issue 14 item 3), for the cookie and a Blazor circuit's authentication state, on a fake
/// clock: deleting, disabling, changing the role or tenant of a user, or revoking a key ends it at once on this replica and
/// within <see cref="SecurityOptions.SessionRevalidationSeconds"/> when the change happened elsewhere (another replica
/// writing the shared store directly); a session also has an idle and an absolute lifetime.
/// </summary>
public sealed class SessionTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TempFolder _folder = new();
    private readonly PortalFactory _factory;

    public SessionTests()
    {
        _factory = new PortalFactory(_folder.File("sessions.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:SignInAttemptsPerMinute"] = "10000",
        }, _clock);
    }

    public void Dispose()
    {
        _factory.Dispose();
        _folder.Dispose();
    }

    private IUserRepository Users => _factory.Services.GetRequiredService<IUserRepository>();

    private static readonly TenantScope AdminScope = new(null, "test-admin") { Role = PortalRoles.ProviderAdmin };

    /// <summary>A browser signed in as a fresh account of <paramref name="role"/> (SkyFleet for tenant roles).</summary>
    private async Task<(HttpClient Browser, PortalUser User)> SignedInAsync(string role = PortalRoles.Viewer)
    {
        var name = $"user-{Guid.NewGuid():N}"[..20];
        var admin = _factory.Services.GetRequiredService<UserAdministration>();
        var created = Assert.IsType<UseCaseResult<PortalUser>.Done>(admin.CreateUser(AdminScope, name, "a-long-password-1", role, DemoEdge.SkyFleet.Value));
        var browser = PortalFactory.Authorize(_factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }), null);
        var token = await PortalLogin.AntiforgeryToken(browser);
        var login = await PortalLogin.Post(browser, name, "a-long-password-1", token);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/services")).StatusCode);
        return (browser, created.Value);
    }

    [Fact]
    public async Task Cookie_UserDeletedHere_RefusedAtTheNextRequest()
    {
        var (browser, user) = await SignedInAsync();

        Assert.IsType<UseCaseResult<PortalUser>.Done>(_factory.Services.GetRequiredService<UserAdministration>().DeleteUser(AdminScope, user.Id));

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/services")).StatusCode);
        var page = await browser.GetAsync("/");
        Assert.StartsWith("/account/login", page.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task Cookie_UserDeletedOnAnotherReplica_RefusedWithinAMinute()
    {
        var (browser, user) = await SignedInAsync();

        // Another replica deletes the user in the shared store: this one hears nothing and finds out at its next check.
        Users.Delete(user.Id);
        _clock.Advance(TimeSpan.FromSeconds(30));
        var before = await browser.GetAsync("/api/v1/services");
        _clock.Advance(TimeSpan.FromSeconds(31));
        var after = await browser.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [InlineData("role")]
    [InlineData("tenant")]
    [InlineData("disabled")]
    [InlineData("password")]
    public async Task Cookie_AccessChangedThroughTheApi_SessionEnds(string change)
    {
        var (browser, user) = await SignedInAsync(PortalRoles.TenantOperator);
        using var api = _factory.CreateClient();
        object body = change switch
        {
            "role" => new { role = PortalRoles.Viewer },
            "tenant" => new { tenantId = DemoEdge.ArenaPlay.Value },
            "disabled" => new { disabled = true },
            _ => new { password = "another-password-2" },
        };

        using var changed = await api.PatchAsJsonAsync($"/api/v1/users/{user.Id}", body);

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/services")).StatusCode);
        Assert.Contains(_factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery(Action: AuditActions.UserChange)),
            e => e.Target.Contains(user.UserName, StringComparison.Ordinal));
    }

    [Fact]
    public void ChangeUser_OwnRoleOrDisabled_IsRefusedNamingTheField()
    {
        var admin = _factory.Services.GetRequiredService<UserAdministration>();
        var self = Users.FindByName("admin")!;
        var scope = new TenantScope(null, "admin") { Role = PortalRoles.ProviderAdmin };

        var demote = Assert.IsType<UseCaseResult<PortalUser>.Invalid>(admin.ChangeUser(scope, self.Id, PortalRoles.Viewer, DemoEdge.SkyFleet.Value, null, null));
        var disable = Assert.IsType<UseCaseResult<PortalUser>.Invalid>(admin.ChangeUser(scope, self.Id, null, null, true, null));

        Assert.Equal(["role"], demote.Errors.Keys);
        Assert.Equal(["disabled"], disable.Errors.Keys);
    }

    [Fact]
    public void ChangeUser_TenantAdmin_CannotReachAnotherTenantsUserOrGiveAProviderRole()
    {
        var admin = _factory.Services.GetRequiredService<UserAdministration>();
        var skyfleetAdmin = new TenantScope(DemoEdge.SkyFleet, "skyfleet-admin") { Role = PortalRoles.TenantAdmin };
        var arena = Users.FindByName("arena-viewer")!;
        var own = Users.FindByName("skyfleet-operator")!;

        Assert.IsType<UseCaseResult<PortalUser>.NotFound>(admin.ChangeUser(skyfleetAdmin, arena.Id, null, null, true, null));
        Assert.Equal(["role"], Assert.IsType<UseCaseResult<PortalUser>.Invalid>(admin.ChangeUser(skyfleetAdmin, own.Id, PortalRoles.ProviderAdmin, null, null, null)).Errors.Keys);
        Assert.Equal(["tenantId"], Assert.IsType<UseCaseResult<PortalUser>.Invalid>(admin.ChangeUser(skyfleetAdmin, own.Id, null, DemoEdge.ArenaPlay.Value, null, null)).Errors.Keys);
    }

    [Fact]
    public async Task Cookie_IdleLongerThanTheSlidingWindow_Expires()
    {
        var (browser, _) = await SignedInAsync();

        _clock.Advance(TimeSpan.FromMinutes(61));

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task Cookie_ActiveForLongerThanTheAbsoluteLifetime_Ends()
    {
        var (browser, _) = await SignedInAsync();

        // Every 20 minutes, for 12 hours: the sliding window never lapses, the absolute lifetime does.
        for (var minutes = 20; minutes <= 12 * 60; minutes += 20)
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/services")).StatusCode);
        }
        _clock.Advance(TimeSpan.FromMinutes(20));

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/services")).StatusCode);
    }

    [Fact]
    public async Task Cookie_ChangeThroughTheApi_IsRefusedAndAReadIsNot()
    {
        var (browser, _) = await SignedInAsync(PortalRoles.TenantAdmin);

        var read = await browser.GetAsync("/api/v1/users");
        var change = await browser.PostAsJsonAsync("/api/v1/keys", new { name = "from-a-cookie", role = PortalRoles.Viewer });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, change.StatusCode);
        Assert.DoesNotContain(_factory.Services.GetRequiredService<IApiKeyRepository>().List(), k => k.Name == "from-a-cookie");
    }

    [Fact]
    public async Task Cookie_Attributes_AreHttpOnlyAndSameSiteStrict()
    {
        using var browser = PortalFactory.Authorize(_factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), null);
        var token = await PortalLogin.AntiforgeryToken(browser);

        var login = await PortalLogin.Post(browser, "admin", "admin-demo-1", token);

        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("EdgePortal.Auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    private static ClaimsPrincipal KeyPrincipal(ApiKey key)
        => new(PortalPolicies.Identity(ApiKeyAuthenticationHandler.SchemeName, key.Id, $"key:{key.Name}", key.Role, key.TenantId));

    /// <summary>
    /// A circuit's authentication state as the circuit host sets it, for <paramref name="principal"/>, and the state it changes
    /// to next.
    /// </summary>
    private (Task<AuthenticationState> Next, IServiceScope Scope) Circuit(ClaimsPrincipal principal)
    {
        var scope = _factory.Services.CreateScope();
        var state = (RevalidatingAuthenticationState)scope.ServiceProvider.GetRequiredService<AuthenticationStateProvider>();
        var next = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        state.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        state.AuthenticationStateChanged += async task => next.TrySetResult(await task);
        return (next.Task, scope);
    }

    [Fact]
    public async Task Circuit_UserDeletedOnAnotherReplica_BecomesAnonymousAtTheNextCheck()
    {
        var user = Users.FindByName("skyfleet-operator")!;
        var (next, scope) = Circuit(_factory.Services.GetRequiredService<SessionValidator>().Principal(user));
        using (scope)
        {
            Users.Delete(user.Id);
            _clock.Advance(TimeSpan.FromSeconds(59));
            Assert.False(next.IsCompleted);

            _clock.Advance(TimeSpan.FromSeconds(1));

            var state = await next.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(state.User.Identity?.IsAuthenticated);
        }
    }

    [Fact]
    public async Task Circuit_UserDisabledHere_BecomesAnonymousAtOnce()
    {
        var user = Users.FindByName("skyfleet-operator")!;
        var (next, scope) = Circuit(_factory.Services.GetRequiredService<SessionValidator>().Principal(user));
        using (scope)
        {
            Assert.IsType<UseCaseResult<PortalUser>.Done>(_factory.Services.GetRequiredService<UserAdministration>().ChangeUser(AdminScope, user.Id, null, null, true, null));

            var state = await next.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(state.User.Identity?.IsAuthenticated);
        }
    }

    [Fact]
    public void Refusal_SessionWithinItsAccess_IsNone()
    {
        var validator = _factory.Services.GetRequiredService<SessionValidator>();
        var user = Users.FindByName("skyfleet-operator")!;
        var key = _factory.Services.GetRequiredService<ApiKeyService>().Create("live", PortalRoles.Viewer, DemoEdge.SkyFleet.Value, _clock.GetUtcNow().AddHours(1), "test");

        Assert.Null(validator.Refusal(validator.Principal(user)));
        Assert.Null(validator.Refusal(KeyPrincipal(key.Record)));
        Assert.Null(validator.Refusal(new ClaimsPrincipal(new ClaimsIdentity())));
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal("the API key was revoked or has expired", validator.Refusal(KeyPrincipal(key.Record)));
    }
}
