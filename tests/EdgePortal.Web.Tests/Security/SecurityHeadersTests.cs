using System.Net;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// The response headers against cross-site use (issue 14 item 6): CSP with frame-ancestors, nosniff, no referrer; HSTS and
/// Secure cookies over https, including https a trusted proxy terminated (and only a trusted one).
/// </summary>
public sealed class SecurityHeadersTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("/account/login")]
    [InlineData("/")]
    [InlineData("/api/v1/services")]
    [InlineData("/healthz")]
    public async Task Response_AnyPath_CarriesTheSecurityHeaders(string path)
    {
        await using var factory = new PortalFactory(_folder.File("headers.db"));
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync(path);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'self'", csp);
        Assert.Matches("script-src 'self' 'nonce-[A-Za-z0-9_-]{22}';", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task Page_ImportMap_CarriesTheNonceOfItsPolicy()
    {
        await using var factory = new PortalFactory(_folder.File("nonce.db"));
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/account/login");
        var html = await response.Content.ReadAsStringAsync();

        var nonce = System.Text.RegularExpressions.Regex.Match(response.Headers.GetValues("Content-Security-Policy").Single(), "'nonce-([^']+)'").Groups[1].Value;
        Assert.Contains($"<script type=\"importmap\" nonce=\"{nonce}\"", html);
        // Every other script is a file of the portal's own.
        Assert.All(System.Text.RegularExpressions.Regex.Matches(html, "<script(?![^>]*importmap)[^>]*>").Select(m => m.Value), tag => Assert.Contains(" src=\"", tag));
    }

    /// <summary>The portal in Production on Kestrel (a real client address), asked for a host that is not localhost.</summary>
    private (PortalFactory Factory, HttpClient Client) Production(string name, params (string Key, string Value)[] settings)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["EdgePortal:Security:AdminUser"] = "root",
            ["EdgePortal:Security:AdminPassword"] = "root-password-1",
        };
        foreach (var (key, value) in settings)
            configuration[key] = value;
        var factory = new PortalFactory(_folder.File(name), configuration);
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = factory.StartOnKestrel() };
        client.DefaultRequestHeaders.Host = "portal.example";
        return (factory, client);
    }

    private static async Task<string> SignInCookieAsync(HttpClient client, params (string Header, string Value)[] headers)
    {
        using var form = new HttpRequestMessage(HttpMethod.Get, "/account/login");
        foreach (var (header, value) in headers)
            form.Headers.Add(header, value);
        using var page = await client.SendAsync(form);
        var html = await page.Content.ReadAsStringAsync();
        var token = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value);
        var antiforgery = page.Headers.GetValues("Set-Cookie").First(c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal)).Split(';')[0];
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["userName"] = "root", ["password"] = "root-password-1", ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            }),
        };
        post.Headers.Add("Cookie", antiforgery);
        foreach (var (header, value) in headers)
            post.Headers.Add(header, value);
        using var response = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("EdgePortal.Auth=", StringComparison.Ordinal));
    }

    /// <summary>A request and a sign-in that say, as a proxy terminating TLS would, that the client came over https.</summary>
    private static async Task<(HttpResponseMessage Response, string Cookie)> AsIfOverHttpsAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-Forwarded-Proto", "https");
        var response = await client.SendAsync(request);
        return (response, await SignInCookieAsync(client, ("X-Forwarded-Proto", "https")));
    }

    [Fact]
    public async Task Https_ThroughATrustedProxy_HstsAndSecureCookie()
    {
        var (factory, client) = Production("proxy.db", ("EdgePortal:Security:TrustedProxies:0", "127.0.0.1"));
        await using var _ = factory;
        using var __ = client;

        var (response, cookie) = await AsIfOverHttpsAsync(client);

        Assert.StartsWith("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ForwardedProto_FromAnUntrustedAddress_IsIgnored()
    {
        var (factory, client) = Production("noproxy.db");
        await using var _ = factory;
        using var __ = client;

        var (response, cookie) = await AsIfOverHttpsAsync(client);

        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.DoesNotContain("secure", cookie.Split(';').Select(p => p.Trim().ToLowerInvariant()));
    }
}
