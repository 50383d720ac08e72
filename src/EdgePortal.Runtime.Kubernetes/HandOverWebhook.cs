using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>Where the service is reached after the hand-over: the destination cluster's Service and the restored pod.</summary>
public sealed record HandOverEndpoint
{
    public required string Cluster { get; init; }
    public required string Namespace { get; init; }
    public required string Service { get; init; }
    /// <summary>The Service's cluster IP, null for a headless Service.</summary>
    public string? ClusterIp { get; init; }
    /// <summary>The Service's load-balancer ingress addresses (IPs or host names), empty when it has none.</summary>
    public IReadOnlyList<string> LoadBalancer { get; init; } = [];
    public IReadOnlyList<int> Ports { get; init; } = [];
    public required string Pod { get; init; }
    public string? PodIp { get; init; }
    public required string Node { get; init; }
}

/// <summary>The body of a hand-over call (JSON, camelCase).</summary>
public sealed record HandOverNotice
{
    /// <summary><c>switch</c>: the service now runs in <see cref="ToCluster"/>; <c>rollback</c>: it runs in <see cref="FromCluster"/> again.</summary>
    public required string Event { get; init; }
    public required string MigrationId { get; init; }
    public required string Tenant { get; init; }
    public required string Service { get; init; }
    public required string FromCluster { get; init; }
    public required string ToCluster { get; init; }
    public required string FromNode { get; init; }
    public required string ToNode { get; init; }
    /// <summary>The new endpoint (<c>switch</c>); on <c>rollback</c> the endpoint that is withdrawn.</summary>
    public required HandOverEndpoint Endpoint { get; init; }
    public required DateTimeOffset SentAt { get; init; }
}

/// <summary>The webhook did not accept the hand-over after every attempt.</summary>
public sealed class HandOverRefusedException(string message) : Exception(message);

/// <summary>
/// Calls the hand-over webhook (<see cref="HandOverWebhookOptions"/>): a POST of the <see cref="HandOverNotice"/> signed with
/// HMAC-SHA256 (<c>X-EdgePortal-Signature: sha256=&lt;hex&gt;</c>) or carrying the bearer token, <c>X-EdgePortal-Delivery</c>
/// the same on every attempt (the receiver deduplicates by it), each attempt bounded by <c>Timeout</c> on the injected
/// clock, retried after <c>RetryDelay</c> (doubled each time) on a network error, a timeout, 408, 429 or 5xx.
/// </summary>
public sealed class HandOverWebhook(HttpClient http, TimeProvider time)
{
    public const string SignatureHeader = "X-EdgePortal-Signature";
    public const string DeliveryHeader = "X-EdgePortal-Delivery";
    public const string EventHeader = "X-EdgePortal-Event";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The signature the receiver recomputes: <c>sha256=</c> and the lower-case hex HMAC-SHA256 of the body.</summary>
    public static string Sign(string secret, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    /// <summary>Delivers <paramref name="notice"/>; what the webhook answered, for the step's message.</summary>
    /// <exception cref="HandOverRefusedException">No attempt was accepted.</exception>
    public async Task<string> NotifyAsync(HandOverWebhookOptions options, HandOverNotice notice, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(notice);
        var url = options.Url ?? throw new HandOverRefusedException("the hand-over webhook has no Url");
        var body = JsonSerializer.SerializeToUtf8Bytes(notice, Json);
        string secret;
        try
        {
            secret = options.ReadSecret();
        }
        catch (IOException e)
        {
            throw new HandOverRefusedException($"the hand-over webhook's SecretFile cannot be read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new HandOverRefusedException($"the hand-over webhook's SecretFile cannot be read: {e.Message}");
        }
        if (secret.Length < 16)
            throw new HandOverRefusedException("the hand-over webhook's secret is shorter than 16 characters: no call is made with it");
        var delivery = $"{notice.MigrationId}/{notice.Event}";
        var delay = options.RetryDelay;
        var last = "";
        for (var attempt = 1; ; attempt++)
        {
            using var deadline = new CancellationTokenSource(options.Timeout, time);
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
            bool retry;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Add(DeliveryHeader, delivery);
                request.Headers.Add(EventHeader, notice.Event);
                if (options.Authentication == HandOverAuthentication.Bearer)
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                else
                    request.Headers.Add(SignatureHeader, Sign(secret, body));
                using var response = await http.SendAsync(request, bounded.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                    return string.Create(CultureInfo.InvariantCulture, $"the hand-over webhook {url.GetLeftPart(UriPartial.Path)} accepted it (HTTP {status}{(attempt > 1 ? $", attempt {attempt}" : "")})");
                last = string.Create(CultureInfo.InvariantCulture, $"HTTP {status} {response.ReasonPhrase}");
                retry = status is 408 or 429 or >= 500;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                last = $"no answer within {Durations.Format(options.Timeout.TotalMilliseconds)} (Timeout)";
                retry = true;
            }
            catch (HttpRequestException e)
            {
                last = $"unreachable: {e.Message}";
                retry = true;
            }
            if (!retry || attempt >= options.Attempts)
                throw new HandOverRefusedException(string.Create(CultureInfo.InvariantCulture,
                    $"the hand-over webhook {url.GetLeftPart(UriPartial.Path)} did not accept the hand-over after {attempt} attempt{(attempt == 1 ? "" : "s")}: {last}"));
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
            delay *= 2;
        }
    }
}
