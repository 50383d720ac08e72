using System.Buffers.Text;
using System.Security.Cryptography;

namespace EdgePortal.Web.Security;

/// <summary>
/// The headers every response carries: a Content-Security-Policy that lets the pages load only the portal's own scripts (and
/// the one inline import map, by a per-request nonce), connect only to the portal, and be framed by no one; no MIME sniffing;
/// no referrer to other sites; no powerful browser features. HSTS is added by <c>UseHsts</c> on HTTPS (outside Development).
/// MudBlazor sets inline <c>style</c> attributes, so styles allow 'unsafe-inline' (styles cannot run script).
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    private const string NonceItem = "EdgePortal.CspNonce";

    /// <summary>The nonce of this request's inline scripts (App.razor's import map).</summary>
    public static string Nonce(HttpContext context)
        => context.Items[NonceItem] as string ?? throw new InvalidOperationException("SecurityHeaders did not run for this request.");

    public static string Policy(string nonce)
        => "default-src 'self'; "
            + $"script-src 'self' 'nonce-{nonce}'; "
            + "style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; "
            + "font-src 'self' data:; "
            + "connect-src 'self'; "
            + "object-src 'none'; "
            + "base-uri 'self'; "
            + "form-action 'self'; "
            + "frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        // Base64url (CSP's nonce grammar allows '-' and '_'): no '+', '/' or '=' that the page's attribute would encode.
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceItem] = nonce;
        // When the response starts: the exception handler clears the headers of a response it takes over.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = Policy(nonce);
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
            return Task.CompletedTask;
        });
        return next(context);
    }
}
