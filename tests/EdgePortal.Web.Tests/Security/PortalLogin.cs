using System.Net;
using System.Text.RegularExpressions;

namespace EdgePortal.Web.Tests.Security;

/// <summary>Drives the login form the way a browser does: GET the form (antiforgery cookie and token), then POST it.</summary>
internal static partial class PortalLogin
{
    public static async Task<string> AntiforgeryToken(HttpClient client)
    {
        var html = await client.GetStringAsync("/account/login");
        var match = TokenInput().Match(html);
        Assert.True(match.Success, "The login form carries an antiforgery token.");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public static async Task<HttpResponseMessage> Post(HttpClient client, string user, string password, string? token, string returnUrl = "/")
    {
        var fields = new Dictionary<string, string> { ["userName"] = user, ["password"] = password, ["returnUrl"] = returnUrl };
        if (token is not null)
            fields["__RequestVerificationToken"] = token;
        return await client.PostAsync("/account/signin", new FormUrlEncodedContent(fields));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}
