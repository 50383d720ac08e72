using System.Net;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using EdgePortal.Testing;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Sign-in throttling (issue 14 item 10): progressive delays per account, per trusted browser and per address, on a fake
/// clock; through the real form, a stranger cannot lock the owner out, and the refusals reach the audit log rate-limited.
/// </summary>
public sealed class SignInThrottleTests : IDisposable
{
    private static readonly SecurityOptions Settings = new() { SignInFreeFailures = 3, SignInFreeFailuresPerAddress = 20, SignInMaxDelaySeconds = 60 };
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SignInThrottle Throttle(SecurityOptions? settings = null)
        => new(new FixedOptions<SecurityOptions>(settings ?? Settings), _clock);

    [Fact]
    public void Wait_FailuresBeyondTheFreeOnes_DoubleUpToTheMaximum()
    {
        var throttle = Throttle();
        var attempt = new SignInAttempt("admin", "198.51.100.7", null);
        var waits = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            throttle.Failed(attempt);
            waits.Add(throttle.Wait(attempt)?.TotalSeconds ?? 0);
            _clock.Advance(throttle.Wait(attempt) ?? TimeSpan.Zero);
        }

        Assert.Equal([0, 0, 1, 2, 4, 8, 16, 32, 60, 60], waits);
    }

    [Fact]
    public void Wait_AnAttemptTooEarly_DoesNotPushTheWaitFurther()
    {
        var throttle = Throttle();
        var attempt = new SignInAttempt("admin", "198.51.100.7", null);
        for (var i = 0; i < 5; i++)
            throttle.Failed(attempt);
        var first = throttle.Wait(attempt);

        // Refused attempts are not checked and not counted: asking again and again changes nothing.
        for (var i = 0; i < 100; i++)
            Assert.NotNull(throttle.Wait(attempt));
        _clock.Advance(first!.Value);

        Assert.Null(throttle.Wait(attempt));
    }

    [Fact]
    public void Wait_StrangerFailsOnTheAccount_TrustedBrowserOfItsOwnerIsNotDelayed()
    {
        var throttle = Throttle();
        var stranger = new SignInAttempt("admin", "203.0.113.9", null);
        for (var i = 0; i < 50; i++)
            throttle.Failed(stranger);

        var ownerFromSameAddress = new SignInAttempt("admin", "203.0.113.9", "owner-browser");

        Assert.NotNull(throttle.Wait(stranger));
        Assert.NotNull(throttle.Wait(stranger with { Address = "192.0.2.1" }));
        Assert.Null(throttle.Wait(ownerFromSameAddress));
    }

    [Fact]
    public void Wait_OneAddressSprayingManyAccounts_IsDelayedByItsAddress()
    {
        var throttle = Throttle();
        for (var i = 0; i < 25; i++)
            throttle.Failed(new SignInAttempt($"user-{i}", "203.0.113.9", null));

        Assert.NotNull(throttle.Wait(new SignInAttempt("someone-else", "203.0.113.9", null)));
        Assert.Null(throttle.Wait(new SignInAttempt("someone-else", "192.0.2.1", null)));
    }

    [Fact]
    public void Succeeded_ClearsTheAccountButNotTheAddress()
    {
        var throttle = Throttle(new SecurityOptions { SignInFreeFailures = 1, SignInFreeFailuresPerAddress = 1, SignInMaxDelaySeconds = 60 });
        var attempt = new SignInAttempt("ada", "203.0.113.9", null);
        throttle.Failed(attempt);
        throttle.Failed(attempt);
        _clock.Advance(TimeSpan.FromSeconds(2));

        throttle.Succeeded(attempt);
        throttle.Failed(new SignInAttempt("bob", "203.0.113.9", null));

        // The address counter kept growing through the success: an attacker cannot reset it with an account of his own.
        Assert.Equal(TimeSpan.FromSeconds(4), throttle.Wait(new SignInAttempt("carol", "203.0.113.9", null)));
        Assert.Null(throttle.Wait(new SignInAttempt("ada", "192.0.2.1", null)));
    }

    [Fact]
    public void Failed_ManyAccountsNamed_MemoryStaysBounded()
    {
        var throttle = Throttle();
        for (var i = 0; i < SignInThrottle.MaxCounters + 10; i++)
            throttle.Failed(new SignInAttempt($"user-{i}", "203.0.113.9", null));

        // Nothing to assert on the count from outside but that it still answers; the newest account is still held.
        Assert.Null(throttle.Wait(new SignInAttempt($"user-{SignInThrottle.MaxCounters + 9}", "192.0.2.1", null)));
        Assert.NotNull(throttle.Wait(new SignInAttempt("new", "203.0.113.9", null)));
    }

    private PortalFactory Portal(string name)
        => new(_folder.File(name), new Dictionary<string, string?>
        {
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
            ["EdgePortal:Security:SignInAttemptsPerMinute"] = "10000",
        }, _clock);

    private static HttpClient Browser(PortalFactory factory)
        => PortalFactory.Authorize(factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }), null);

    [Fact]
    public async Task SignIn_AfterTheFreeFailures_RightPasswordIsRefusedUncheckedUntilTheWaitPasses()
    {
        await using var factory = Portal("wait.db");
        using var client = Browser(factory);
        var token = await PortalLogin.AntiforgeryToken(client);
        for (var i = 0; i < 3; i++)
            Assert.Contains("error=failed", (await PortalLogin.Post(client, "operator", "wrong-password", token)).Headers.Location?.OriginalString);

        var early = await PortalLogin.Post(client, "operator", "operator-demo-1", token);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var later = await PortalLogin.Post(client, "operator", "operator-demo-1", token);

        Assert.Contains("error=throttled&wait=1", early.Headers.Location?.OriginalString);
        Assert.Equal("/", later.Headers.Location?.OriginalString);
        var audit = factory.Services.GetRequiredService<IAuditLog>().Query(new AuditQuery(Actor: "operator"));
        Assert.Equal(3, audit.Count(e => e.Action == AuditActions.LoginFailed && !e.Succeeded));
        Assert.Single(audit, e => e.Action == AuditActions.LoginThrottled && !e.Succeeded);
        var html = await client.GetStringAsync(early.Headers.Location!.OriginalString);
        Assert.Contains("wait 1 s before you try again", html);
    }

    [Fact]
    public async Task SignIn_StrangerHammersTheAdmin_TheAdminsOwnBrowserStillSignsIn()
    {
        await using var factory = Portal("stranger.db");
        using var owner = Browser(factory);
        Assert.Equal("/", (await PortalLogin.Post(owner, "root", "root-password-1", await PortalLogin.AntiforgeryToken(owner))).Headers.Location?.OriginalString);
        using var stranger = Browser(factory);
        var strangerToken = await PortalLogin.AntiforgeryToken(stranger);

        for (var i = 0; i < 30; i++)
            await PortalLogin.Post(stranger, "root", $"guess-{i}-long", strangerToken);
        var strangerWithTheRightPassword = await PortalLogin.Post(stranger, "root", "root-password-1", strangerToken);
        // Signed in, the owner's browser needs a token of its own for the form.
        var ownerAgain = await PortalLogin.Post(owner, "root", "root-password-1", await PortalLogin.AntiforgeryToken(owner));

        Assert.Contains("error=throttled", strangerWithTheRightPassword.Headers.Location?.OriginalString);
        Assert.Equal("/", ownerAgain.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SignIn_ManyRefusals_AreAuditedRateLimited()
    {
        await using var factory = Portal("flood.db");
        using var client = Browser(factory);
        var token = await PortalLogin.AntiforgeryToken(client);

        for (var i = 0; i < 60; i++)
            await PortalLogin.Post(client, "nobody", $"guess-{i}-long", token);
        _clock.Advance(TimeSpan.FromMinutes(1));
        factory.Services.GetRequiredService<Web.Auditing.RefusalAuditor>().Flush();

        // Three checked failures, then 57 attempts too early: five of those one by one, the rest in one "and K more".
        var audit = factory.Services.GetRequiredService<IAuditLog>();
        var throttled = audit.Query(new AuditQuery(Action: AuditActions.LoginThrottled));
        Assert.Equal(3, audit.Query(new AuditQuery(Action: AuditActions.LoginFailed)).Count(e => e.Actor == "nobody"));
        Assert.Equal(5, throttled.Count(e => e.Actor == "nobody" && e.Detail.StartsWith("too early", StringComparison.Ordinal)));
        Assert.Single(throttled, e => e.Detail.StartsWith("and 52 more login.throttled refusals from nobody from", StringComparison.Ordinal));
        Assert.Equal(6, throttled.Count);
    }

    [Fact]
    public async Task SignIn_DisabledAccount_FailsLikeAWrongPassword()
    {
        await using var factory = Portal("disabled.db");
        var users = factory.Services.GetRequiredService<IUserRepository>();
        users.Save(users.FindByName("operator")! with { Disabled = true });
        using var client = Browser(factory);
        var token = await PortalLogin.AntiforgeryToken(client);

        var response = await PortalLogin.Post(client, "operator", "operator-demo-1", token);

        Assert.Contains("error=failed", response.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }
}
