using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace EdgePortal.Web.Security;

/// <summary>
/// The "device cookie" of OWASP's advice against online guessing: after a successful sign-in the browser gets a signed,
/// encrypted token naming the account, valid for <see cref="Lifetime"/>. Its sign-in attempts for that account are then held
/// only to their own failures (<see cref="SignInAttempt.Keys"/>), so a stranger's failures never delay the account's owner.
/// </summary>
public sealed class TrustedBrowser(IDataProtectionProvider protection, TimeProvider clock)
{
    public const string CookieName = "EdgePortal.Device";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private readonly IDataProtector _protector = protection.CreateProtector("EdgePortal.SignIn.TrustedBrowser.v1");

    /// <summary>The browser's token for <paramref name="account"/> (normalised), or null when it holds none that is valid.</summary>
    public string? Read(HttpRequest request, string account)
    {
        if (request.Cookies[CookieName] is not { Length: > 0 and < 4096 } cookie)
            return null;
        try
        {
            // id|issued|account: the account last, whole, whatever characters it holds.
            var parts = _protector.Unprotect(cookie).Split('|', 3);
            if (parts.Length != 3 || !string.Equals(parts[2], account, StringComparison.Ordinal)
                || !long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var issued)
                || clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(issued) > Lifetime)
                return null;
            return parts[0];
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Gives the browser a token for <paramref name="account"/> (normalised), keeping its id when it had one.</summary>
    public void Issue(HttpContext context, string account, string? device)
    {
        var now = clock.GetUtcNow();
        var id = device ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        context.Response.Cookies.Append(CookieName, _protector.Protect($"{id}|{now.ToUnixTimeSeconds()}|{account}"), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/account",
            // Relative, so that a client's clock and the portal's need not agree.
            MaxAge = Lifetime,
            IsEssential = true,
        });
    }
}
