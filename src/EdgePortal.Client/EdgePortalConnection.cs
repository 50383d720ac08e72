using System.Net.Http.Headers;

namespace EdgePortal.Client;

/// <summary>
/// Where a portal is and the API key to call it with: from <c>EDGEPORTAL_URL</c> and <c>EDGEPORTAL_KEY</c>, or given. Makes the
/// <see cref="HttpClient"/> the generated <see cref="EdgePortalClient"/> sends through (its base address and bearer token).
/// </summary>
public sealed record EdgePortalConnection(Uri BaseAddress, string ApiKey)
{
    public const string UrlVariable = "EDGEPORTAL_URL";
    public const string KeyVariable = "EDGEPORTAL_KEY";

    /// <summary>The connection the environment names; null, with what is missing or wrong, when it names none.</summary>
    public static EdgePortalConnection? FromEnvironment(out string? problem)
    {
        var url = Environment.GetEnvironmentVariable(UrlVariable);
        var key = Environment.GetEnvironmentVariable(KeyVariable);
        problem = string.IsNullOrWhiteSpace(url) ? $"{UrlVariable} is not set (the portal's address, e.g. http://127.0.0.1:5080)."
            : !Uri.TryCreate(url, UriKind.Absolute, out _) ? $"{UrlVariable} is not an absolute URL (was '{url}')."
            : string.IsNullOrWhiteSpace(key) ? $"{KeyVariable} is not set (an API key: POST /api/v1/keys, or the portal's bootstrap key)."
            : null;
        return problem is null ? new EdgePortalConnection(new Uri(url!), key!) : null;
    }

    /// <summary>An <see cref="HttpClient"/> for this portal; the caller owns it.</summary>
    public HttpClient CreateHttpClient(HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
        return Configure(http, timeout);
    }

    /// <summary>Points <paramref name="http"/> at this portal with this key.</summary>
    public HttpClient Configure(HttpClient http, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.BaseAddress = BaseAddress;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        if (timeout is { } t)
            http.Timeout = t;
        return http;
    }

    /// <summary>The typed client over <paramref name="http"/> (made by <see cref="CreateHttpClient"/> or <see cref="Configure"/>).</summary>
    public static EdgePortalClient Client(HttpClient http) => new(http);
}
