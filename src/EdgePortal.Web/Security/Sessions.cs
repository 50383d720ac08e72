using System.Globalization;
using System.Security.Claims;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// Tells the sessions of this replica that someone's access changed (a user deleted, disabled or changed, a key revoked), so
/// that open circuits and hub connections are checked at once instead of at their next periodic check. Another replica's
/// sessions learn it at their periodic check (<see cref="SecurityOptions.SessionRevalidationSeconds"/>, at most a minute).
/// </summary>
public sealed class AccessChanges
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    /// <summary>Completes at the next change.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    /// <summary>Counts the changes: a cookie checked under an older version is checked again.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Publish()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}

/// <summary>
/// The one check of every kind of session (cookie, Blazor circuit, hub connection): is the principal's access still what it
/// was when it signed in? A user must still exist, be enabled, and have the role, tenant and security stamp it signed in
/// with, within the absolute session lifetime; an API key must still be usable, with the same role and tenant.
/// </summary>
public sealed class SessionValidator(IUserRepository users, IApiKeyRepository keys, AccessChanges changes, IOptionsMonitor<SecurityOptions> options,
    TimeProvider clock, ILogger<SessionValidator> logger)
{
    /// <summary>The security stamp the session signed in under.</summary>
    public const string StampClaim = "edgeportal:stamp";
    /// <summary>When the session signed in (Unix seconds): the absolute lifetime counts from it, whatever the sliding renewals.</summary>
    public const string SignedInClaim = "edgeportal:signed-in";

    private const string CheckedAt = ".edgeportal.checked";
    private const string CheckedVersion = ".edgeportal.version";

    public TimeSpan Interval => TimeSpan.FromSeconds(options.CurrentValue.SessionRevalidationSeconds);

    /// <summary>
    /// Completes at the next periodic check (<see cref="Interval"/> from now, on the portal's clock) or when
    /// <paramref name="changed"/> (<see cref="AccessChanges.Next"/>, taken before the last check) completes, whichever is first.
    /// </summary>
    public async Task NextCheckAsync(Task changed, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await Task.WhenAny(Task.Delay(Interval, clock, timer.Token), changed).WaitAsync(cancellationToken);
        }
        finally
        {
            await timer.CancelAsync();
        }
    }

    /// <summary>The cookie principal of a user signing in now.</summary>
    public ClaimsPrincipal Principal(PortalUser user)
    {
        var identity = PortalPolicies.Identity(CookieAuthenticationDefaults.AuthenticationScheme, user.Id, user.UserName, user.Role, user.TenantId);
        identity.AddClaim(new Claim(StampClaim, user.SecurityStamp));
        identity.AddClaim(new Claim(SignedInClaim, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        return new ClaimsPrincipal(identity);
    }

    /// <summary>Null while the principal keeps its access (an anonymous one has none to lose); otherwise why it ended.</summary>
    public string? Refusal(ClaimsPrincipal principal)
    {
        if (principal.Identity is not { IsAuthenticated: true } identity)
            return null;
        if (!Guid.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var id))
            return "the session names no account";
        var role = principal.FindFirst(ClaimTypes.Role)?.Value;
        var tenant = Guid.TryParse(principal.FindFirst(PortalPolicies.TenantClaim)?.Value, out var t) ? t : (Guid?)null;
        var now = clock.GetUtcNow();
        if (identity.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName)
        {
            if (keys.Find(id) is not { } key || !key.IsUsableAt(now))
                return "the API key was revoked or has expired";
            return key.Role != role || key.TenantId != tenant ? "the API key's role or tenant changed" : null;
        }
        if (users.Find(id) is not { } user)
            return "the account was deleted";
        if (user.Disabled)
            return "the account was disabled";
        if (user.Role != role || user.TenantId != tenant || user.SecurityStamp != (principal.FindFirst(StampClaim)?.Value ?? ""))
            return "the account's role, tenant or password changed";
        if (long.TryParse(principal.FindFirst(SignedInClaim)?.Value, CultureInfo.InvariantCulture, out var signedIn)
            && now - DateTimeOffset.FromUnixTimeSeconds(signedIn) > TimeSpan.FromHours(options.CurrentValue.SessionAbsoluteHours))
            return $"the session reached its absolute lifetime of {options.CurrentValue.SessionAbsoluteHours} hours";
        return null;
    }

    /// <summary>
    /// The cookie's <c>OnValidatePrincipal</c>: checks the session when its last check is older than <see cref="Interval"/> or
    /// predates an access change on this replica; a session that lost its access is rejected and its cookie deleted.
    /// </summary>
    public async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        var now = clock.GetUtcNow();
        var items = context.Properties.Items;
        var version = changes.Version.ToString(CultureInfo.InvariantCulture);
        if (items.TryGetValue(CheckedAt, out var at) && long.TryParse(at, CultureInfo.InvariantCulture, out var ticks)
            && now - new DateTimeOffset(ticks, TimeSpan.Zero) < Interval && items.TryGetValue(CheckedVersion, out var seen) && seen == version)
            return;
        if (context.Principal is { } principal && Refusal(principal) is { } why)
        {
            logger.LogInformation("Ended the session of {User}: {Reason}", principal.Identity?.Name, why);
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }
        items[CheckedAt] = now.UtcTicks.ToString(CultureInfo.InvariantCulture);
        items[CheckedVersion] = version;
        context.ShouldRenew = true;
    }
}
