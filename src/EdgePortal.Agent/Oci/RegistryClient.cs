using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Agent.Transfer;

namespace EdgePortal.Agent.Oci;

/// <summary>
/// The push half of the OCI distribution API: blobs by monolithic upload (POST then PUT with the digest), then the manifest;
/// and the delete of a manifest. Talks to a registry of the agent's configuration only, over TLS verified against its
/// <see cref="AgentRegistryOptions.CertificateAuthorityFile"/> (or the system's trust), authenticating as it says: a static
/// bearer token, or a user and password — sent as Basic, or exchanged at the registry's token service for a bearer token
/// of the repository's scope (the Docker token flow, answered to a 401 <c>WWW-Authenticate: Bearer realm=…</c>).
/// </summary>
public sealed class RegistryClient(HttpClient http)
{
    private const int MaxErrorBytes = 16 * 1024;

    private readonly ConcurrentDictionary<string, HttpClient> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AuthenticationHeaderValue> _authorization = new(StringComparer.Ordinal);

    /// <summary>The registry's base URI, <c>https://host[:port]/</c> (http with <see cref="AgentRegistryOptions.PlainHttp"/>).</summary>
    public static Uri BaseUri(AgentRegistryOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new Uri($"{(target.PlainHttp ? "http" : "https")}://{target.Host}/");
    }

    public async Task<string> PushAsync(AgentRegistryOptions target, string repository, string tag, OciCheckpointImage image, TokenBucket? bucket,
        TransferProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        var registry = new Target(target, BaseUri(target), repository);
        await PushBlobAsync(registry, repository, image.Layer, () => File.OpenRead(image.LayerPath), bucket, progress, cancellationToken).ConfigureAwait(false);
        await PushBlobAsync(registry, repository, image.Config, () => new MemoryStream(image.ConfigBytes), bucket, progress, cancellationToken).ConfigureAwait(false);

        using var response = await SendAsync(registry, () =>
        {
            var put = new HttpRequestMessage(HttpMethod.Put, new Uri(registry.Uri, $"v2/{repository}/manifests/{tag}"))
            {
                Content = new ByteArrayContent(image.ManifestBytes),
            };
            put.Content.Headers.ContentType = new MediaTypeHeaderValue(OciMediaTypes.Manifest);
            return put;
        }, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"PUT manifest {repository}:{tag}", cancellationToken).ConfigureAwait(false);
        progress?.Add(image.ManifestBytes.Length);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : image.Manifest.Digest;
    }

    /// <summary>
    /// Deletes the manifest <paramref name="digest"/> of <paramref name="repository"/> (the image's tags go with it; the
    /// registry's garbage collection frees the blobs). False when the registry does not have it (404).
    /// </summary>
    /// <exception cref="RegistryException">Refused, e.g. 405 when the registry does not allow deletes (storage.delete.enabled).</exception>
    public async Task<bool> DeleteAsync(AgentRegistryOptions target, string repository, string digest, CancellationToken cancellationToken)
    {
        var registry = new Target(target, BaseUri(target), repository);
        using var response = await SendAsync(registry, () =>
        {
            var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(registry.Uri, $"v2/{repository}/manifests/{digest}"));
            delete.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.Manifest));
            return delete;
        }, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        if (response.StatusCode == HttpStatusCode.MethodNotAllowed)
            throw new RegistryException($"the registry does not allow deletes (405): enable them (docker-registry: storage.delete.enabled: true), or {repository}@{digest} stays until deleted by hand");
        await EnsureAsync(response, $"DELETE manifest {repository}@{digest}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task PushBlobAsync(Target registry, string repository, OciDescriptor blob, Func<Stream> open, TokenBucket? bucket,
        TransferProgress? progress, CancellationToken cancellationToken)
    {
        // The first request of a push: a registry that wants credentials says so here, before any body is sent.
        using (var exists = await SendAsync(registry, () => new HttpRequestMessage(HttpMethod.Head, new Uri(registry.Uri, $"v2/{repository}/blobs/{blob.Digest}")),
            cancellationToken).ConfigureAwait(false))
        {
            if (exists.StatusCode == HttpStatusCode.OK)
            {
                progress?.Add((int)Math.Min(int.MaxValue, blob.Size));
                return;
            }
        }

        Uri location;
        using (var started = await SendAsync(registry, () => new HttpRequestMessage(HttpMethod.Post, new Uri(registry.Uri, $"v2/{repository}/blobs/uploads/")),
            cancellationToken).ConfigureAwait(false))
        {
            await EnsureAsync(started, $"start upload to {repository}", cancellationToken).ConfigureAwait(false);
            location = started.Headers.Location ?? throw new InvalidOperationException($"The registry started an upload to {repository} without a Location.");
            if (!location.IsAbsoluteUri)
                location = new Uri(registry.Uri, location);
            // The blob goes to the configured registry only, whatever host its answer names.
            if (!string.Equals(location.Authority, registry.Uri.Authority, StringComparison.OrdinalIgnoreCase) || location.Scheme != registry.Uri.Scheme)
                throw new RegistryException($"the registry sent the upload of {repository} to another host ({location.Scheme}://{location.Authority}); only {registry.Uri.Authority} is configured");
        }
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var target = new Uri(location.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(blob.Digest));
        await using var source = open();
        using var put = new HttpRequestMessage(HttpMethod.Put, target)
        {
            Content = new StreamContent(new ThrottledStream(source, bucket, progress, leaveOpen: true)),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        put.Content.Headers.ContentLength = blob.Size;
        // Authenticated by the HEAD and POST before it: the body is sent once.
        put.Headers.Authorization = _authorization.GetValueOrDefault(registry.Key) ?? await StaticAsync(registry.Options, cancellationToken).ConfigureAwait(false);
        using var response = await Client(registry.Options).SendAsync(put, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"upload {blob.Digest} to {repository}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A configured registry, its base URI and the repository a request is about (the token's scope).</summary>
    private sealed record Target(AgentRegistryOptions Options, Uri Uri, string Repository)
    {
        public string Key => $"{Uri.Authority}|{Repository}";
    }

    /// <summary>
    /// Sends what <paramref name="make"/> builds with the registry's credentials; on a 401 it answers the challenge (Basic:
    /// the user and password; Bearer: a token from the challenge's realm, which must be the registry itself or its configured
    /// <see cref="AgentRegistryOptions.TokenRealm"/>) and sends a fresh request once more.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(Target registry, Func<HttpRequestMessage> make, CancellationToken cancellationToken)
    {
        var client = Client(registry.Options);
        using (var first = make())
        {
            first.Headers.Authorization = _authorization.GetValueOrDefault(registry.Key) ?? await StaticAsync(registry.Options, cancellationToken).ConfigureAwait(false);
            var response = await client.SendAsync(first, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized)
                return response;
            var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
            response.Dispose();
            var answer = await AnswerAsync(registry, challenge, cancellationToken).ConfigureAwait(false);
            _authorization[registry.Key] = answer;
        }
        using var again = make();
        again.Headers.Authorization = _authorization[registry.Key];
        return await client.SendAsync(again, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The credential sent before any challenge: the static bearer token, else Basic with the user and password.</summary>
    private static async Task<AuthenticationHeaderValue?> StaticAsync(AgentRegistryOptions o, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(o.TokenFile))
            return new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(o.TokenFile, cancellationToken).ConfigureAwait(false)).Trim());
        return await BasicAsync(o, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<AuthenticationHeaderValue?> BasicAsync(AgentRegistryOptions o, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(o.Username) || string.IsNullOrWhiteSpace(o.PasswordFile))
            return null;
        var password = (await File.ReadAllTextAsync(o.PasswordFile, cancellationToken).ConfigureAwait(false)).TrimEnd('\r', '\n');
        return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.Username}:{password}")));
    }

    private async Task<AuthenticationHeaderValue> AnswerAsync(Target registry, AuthenticationHeaderValue? challenge, CancellationToken cancellationToken)
    {
        var o = registry.Options;
        if (challenge is null)
            throw new RegistryException("the registry answered 401 without a challenge (WWW-Authenticate)");
        if (string.Equals(challenge.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
            return await BasicAsync(o, cancellationToken).ConfigureAwait(false)
                ?? throw new RegistryException($"the registry wants a user and password (401 Basic): set {AgentOptions.Section}:Registries:<name>:Username and PasswordFile");
        if (!string.Equals(challenge.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase))
            throw new RegistryException($"the registry wants {challenge.Scheme} authentication, which the agent does not speak");
        var parameters = Parameters(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realmText) || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm))
            throw new RegistryException("the registry's Bearer challenge names no token realm");
        var allowed = string.Equals(realm.Authority, registry.Uri.Authority, StringComparison.OrdinalIgnoreCase)
            || (!string.IsNullOrWhiteSpace(o.TokenRealm) && string.Equals(realm.GetLeftPart(UriPartial.Path), o.TokenRealm, StringComparison.OrdinalIgnoreCase));
        // Credentials go to the configured registry and its configured token service only, never where an answer points.
        if (!allowed || (realm.Scheme != Uri.UriSchemeHttps && !o.PlainHttp))
            throw new RegistryException($"the registry sends for tokens to {realm.GetLeftPart(UriPartial.Path)}, which is not configured: set {AgentOptions.Section}:Registries:<name>:TokenRealm to that URL if it is the registry's token service");
        var scope = parameters.GetValueOrDefault("scope") ?? $"repository:{registry.Repository}:pull,push";
        var query = $"?scope={Uri.EscapeDataString(scope)}{(parameters.TryGetValue("service", out var service) ? $"&service={Uri.EscapeDataString(service)}" : "")}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(realm.GetLeftPart(UriPartial.Path) + query));
        request.Headers.Authorization = await BasicAsync(o, cancellationToken).ConfigureAwait(false);
        using var response = await Client(o).SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"issue a token for {scope}", cancellationToken).ConfigureAwait(false);
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        var token = (json.RootElement.TryGetProperty("token", out var t) ? t.GetString() : null)
            ?? (json.RootElement.TryGetProperty("access_token", out var a) ? a.GetString() : null)
            ?? throw new RegistryException("the registry's token service answered without a token");
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The parameters of a challenge: <c>realm="…",service="…",scope="…"</c>.</summary>
    private static Dictionary<string, string> Parameters(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf('=', i);
            if (eq < 0)
                break;
            var key = text[i..eq].Trim(' ', ',');
            string value;
            if (eq + 1 < text.Length && text[eq + 1] == '"')
            {
                var end = text.IndexOf('"', eq + 2);
                end = end < 0 ? text.Length : end;
                value = text[(eq + 2)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', eq + 1);
                end = end < 0 ? text.Length : end;
                value = text[(eq + 1)..end];
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary>The HTTP client of a registry: the injected one, or one verifying the registry's certificate against its own CA bundle.</summary>
    private HttpClient Client(AgentRegistryOptions o)
    {
        if (o.PlainHttp || string.IsNullOrWhiteSpace(o.CertificateAuthorityFile))
            return http;
        return _verified.GetOrAdd($"{o.Host}|{o.CertificateAuthorityFile}", _ =>
        {
            var name = new Uri($"https://{o.Host}/").Host.Trim('[', ']');
            return new HttpClient(AgentTls.VerifyingHandler(new PemAuthorities(o.CertificateAuthorityFile), name)) { Timeout = Timeout.InfiniteTimeSpan };
        });
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        // No registry text is relayed (issue 14 item 2): only the status and the distribution spec's error codes
        // ({"errors":[{"code":"BLOB_UNKNOWN",…}]}, upper-case identifiers), read from a bounded prefix of the body.
        var codes = ErrorCodes(await PrefixAsync(response.Content, MaxErrorBytes, cancellationToken).ConfigureAwait(false));
        throw new RegistryException($"the registry refused to {what}: {(int)response.StatusCode} {response.StatusCode}{(codes.Count == 0 ? "" : " " + string.Join(", ", codes))}");
    }

    /// <summary>The OCI error codes of an error body: at most a few, each an upper-case identifier; anything else is dropped.</summary>
    internal static IReadOnlyList<string> ErrorCodes(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind != JsonValueKind.Object || !json.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
                return [];
            return [.. errors.EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null)
                .OfType<string>()
                .Where(c => c.Length is > 0 and <= 40 && c.All(ch => ch is (>= 'A' and <= 'Z') or '_'))
                .Distinct(StringComparer.Ordinal)
                .Take(4)];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static async Task<byte[]> PrefixAsync(HttpContent content, int max, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[max];
        var read = await stream.ReadAtLeastAsync(buffer, max, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return buffer[..read];
    }
}

public sealed class RegistryException(string message) : Exception(message);
