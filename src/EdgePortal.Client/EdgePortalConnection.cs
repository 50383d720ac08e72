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
        => From(Environment.GetEnvironmentVariable(UrlVariable), Environment.GetEnvironmentVariable(KeyVariable), out problem);

    /// <summary>
    /// The connection to <paramref name="url"/> with <paramref name="key"/> (a tool's flags, or the environment's values);
    /// null, with what is missing or wrong, when either is.
    /// </summary>
    public static EdgePortalConnection? From(string? url, string? key, out string? problem)
    {
        problem = string.IsNullOrWhiteSpace(url) ? $"{UrlVariable} is not set (the portal's address, e.g. http://127.0.0.1:5080)."
            : !Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https") ? $"{UrlVariable} is not an absolute http(s) URL (was '{url}')."
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
