using System.Security.Claims;
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

    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(SignInPost, Login).AllowAnonymous().RequireRateLimiting(SecurityHosting.SignInRateLimit).ExcludeFromDescription();
        app.MapPost(SignOutPost, (Delegate)Logout).WithMetadata(new RequireAntiforgeryTokenAttribute()).ExcludeFromDescription();
        // Single sign-on: a challenge of the OpenID Connect scheme (404 when it is not configured).
        app.MapGet("/account/sso", (string? returnUrl, OidcSettings oidc) => oidc.Enabled
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [OidcClaims.Scheme])
                : Results.NotFound())
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> Login(HttpContext context, [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
        AccountService accounts, AuditTrail audit, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AccountEndpoints));
        var back = LocalUrl(returnUrl);
        switch (accounts.Login(userName, password))
        {
            case LoginResult.Success s:
                var identity = PortalPolicies.Identity(CookieAuthenticationDefaults.AuthenticationScheme, s.User.Id, s.User.UserName, s.User.Role, s.User.TenantId);
                await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
                logger.LogInformation("Login of {User} ({Role})", s.User.UserName, s.User.Role);
                audit.Record(s.User.UserName, AuditActions.LoginSucceeded, $"user {s.User.UserName}", s.User.Role, s.User.TenantId);
                return Results.LocalRedirect(back);
            case LoginResult.LockedOut l:
                logger.LogWarning("Login refused: {User} is locked until {Until}", userName, l.Until);
                audit.Record(userName ?? "", AuditActions.LoginLockedOut, $"user {userName}", $"locked until {l.Until:u}", succeeded: false);
                return Results.LocalRedirect($"{LoginPath}?error=locked&returnUrl={Uri.EscapeDataString(back)}");
            default:
                logger.LogWarning("Login failed for {User}", userName);
                audit.Record(userName ?? "", AuditActions.LoginFailed, $"user {userName}", succeeded: false);
                return Results.LocalRedirect($"{LoginPath}?error=failed&returnUrl={Uri.EscapeDataString(back)}");
        }
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

    /// <summary>Only a local path is followed after login (no open redirect).</summary>
    internal static string LocalUrl(string? url)
        => url is { Length: > 0 and < 2000 } && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
