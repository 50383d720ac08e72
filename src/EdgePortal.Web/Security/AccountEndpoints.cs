using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Mvc;

namespace EdgePortal.Web.Security;

/// <summary>
/// <c>POST /account/signin</c> and <c>POST /account/signout</c>: plain form posts (a Blazor circuit cannot set a cookie),
/// antiforgery-validated. Their paths differ from the pages' (<c>/account/login</c>, <c>/account/logout</c>), because a
/// statically rendered page answers POSTs to its own route too, and two endpoints on one route are ambiguous.
/// </summary>
public static class AccountEndpoints
{
    public const string LoginPath = "/account/login";
    public const string LogoutPath = "/account/logout";
    public const string SignInPost = "/account/signin";
    public const string SignOutPost = "/account/signout";
    public const string SsoLanding = "/account/sso/done";

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(SignInPost, Login).AllowAnonymous().RequireRateLimiting(SecurityHosting.SignInRateLimit).ExcludeFromDescription();
        app.MapPost(SignOutPost, (Delegate)Logout).WithMetadata(new RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        // Single sign-on: a challenge of the OpenID Connect scheme (404 when it is not configured).
        app.MapGet("/account/sso", (string? returnUrl, OidcSettings oidc) => oidc.Enabled
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = $"{SsoLanding}?returnUrl={Uri.EscapeDataString(LocalUrl(returnUrl))}" }, [OidcClaims.Scheme])
                : Results.NotFound())
            .AllowAnonymous().ExcludeFromDescription();
        // The identity provider's redirect is a cross-site navigation, on which a browser withholds SameSite=Strict cookies, even
        // along the redirects that follow it. This page's own navigation is same-site, so the new session cookie goes along.
        app.MapGet(SsoLanding, (string? returnUrl) => Results.Content(
                $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={System.Net.WebUtility.HtmlEncode(LocalUrl(returnUrl))}\"><title>Signing in · EdgePortal</title></head>"
                + $"<body><p><a href=\"{System.Net.WebUtility.HtmlEncode(LocalUrl(returnUrl))}\">Continue to EdgePortal</a></p></body></html>", "text/html; charset=utf-8"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> Login(HttpContext context, [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
        AccountService accounts, SessionValidator sessions, SignInThrottle throttle, TrustedBrowser browsers, Auditing.RefusalAuditor refusals, AuditTrail audit,
        ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AccountEndpoints));
        var back = LocalUrl(returnUrl);
        var name = (userName ?? "").Trim();
        var account = AccountNames.Normalize(name.Length > 100 ? name[..100] : name);
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var attempt = new SignInAttempt(account, address, browsers.Read(context.Request, account));
        if (throttle.Wait(attempt) is { } wait)
        {
            // Refused unchecked: checking the password now would tell a right guess from a wrong one at full speed.
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            logger.LogWarning("Sign-in of {User} from {Address} refused: {Seconds} s to wait after failed attempts", name, address, seconds);
            Refused(refusals, AuditActions.LoginThrottled, name, address, $"too early after failed attempts: {seconds} s to wait");
            return Results.LocalRedirect($"{LoginPath}?error=throttled&wait={seconds}&returnUrl={Uri.EscapeDataString(back)}");
        }
        if (accounts.Login(userName, password) is not LoginResult.Success success)
        {
            throttle.Failed(attempt);
            logger.LogWarning("Sign-in failed for {User} from {Address}", name, address);
            Refused(refusals, AuditActions.LoginFailed, name, address, "wrong user name or password");
            return Results.LocalRedirect($"{LoginPath}?error=failed&returnUrl={Uri.EscapeDataString(back)}");
        }
        var user = success.User;
        throttle.Succeeded(attempt);
        browsers.Issue(context, account, attempt.Device);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, sessions.Principal(user));
        logger.LogInformation("Login of {User} ({Role})", user.UserName, user.Role);
        audit.Record(user.UserName, AuditActions.LoginSucceeded, $"user {user.UserName}", $"{user.Role} from {address}", user.TenantId);
        return Results.LocalRedirect(back);
    }

    private static async Task<IResult> Logout(HttpContext context, AuditTrail audit, IAntiforgery antiforgery)
    {
        // The antiforgery middleware checks the token (RequireAntiforgeryTokenAttribute) but only rejects endpoints that bind
        // form data; this one binds none, so it reads the verdict itself.
        var valid = context.Features.Get<IAntiforgeryValidationFeature>() is { } checkedByMiddleware
            ? checkedByMiddleware.IsValid
            : await antiforgery.IsRequestValidAsync(context);
        if (!valid)
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Antiforgery token missing or invalid",
                detail: "Sign out from the portal's sign-out form.");
        if (context.User.Identity?.IsAuthenticated == true)
            audit.Record(TenantScope.Of(context.User), AuditActions.Logout, $"user {context.User.Identity.Name}");
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Results.LocalRedirect(LoginPath);
    }

    /// <summary>
    /// A refused sign-in, audited rate-limited per account and client address (<see cref="Auditing.RefusalAuditor"/>: the first
    /// few one by one, then "and K more"), so that guessing cannot flood the log.
    /// </summary>
    internal static void Refused(Auditing.RefusalAuditor refusals, string action, string account, string address, string why)
        => refusals.Refused(action, $"{AccountNames.Normalize(account)} from {address}", account, $"user {account}", $"{why} (from {address})");

    /// <summary>Only a local path is followed after login (no open redirect).</summary>
    internal static string LocalUrl(string? url)
        => url is { Length: > 0 and < 2000 } && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
