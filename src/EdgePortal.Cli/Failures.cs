using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EdgePortal.Client;

namespace EdgePortal.Cli;

/// <summary>A command line that cannot be carried out as given (ambiguous name, …): exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A name that resolves to nothing this key can see: exit 3, as the portal's own 404 would.</summary>
internal sealed class NotFoundException(string message) : Exception(message);

/// <summary>Why a command stopped: a readable message, the exit code, and the portal's problem document for <c>--output json</c>.</summary>
internal sealed record Failure(string Message, int ExitCode, string? Problem = null);

/// <summary>Turns what a command threw into a <see cref="Failure"/>: the portal's problem details, no answer at all, or bad usage.</summary>
internal static class Failures
{
    public static Failure Classify(Exception exception, CancellationToken interrupt) => exception switch
    {
        UsageException e => new(e.Message, ExitCodes.Usage),
        NotFoundException e => new(e.Message, ExitCodes.Refused),
        EdgePortalApiException e => Refusal(e),
        HttpRequestException { StatusCode: null } e => new(Unreachable(e), ExitCodes.Unreachable),
        OperationCanceledException when interrupt.IsCancellationRequested => new("interrupted.", ExitCodes.Interrupted),
        // HttpClient's own timeout: the portal took the connection but never answered.
        TaskCanceledException e when e.InnerException is TimeoutException => new($"the portal did not answer in time ({e.InnerException.Message}).", ExitCodes.Unreachable),
        _ => new($"unexpected {exception.GetType().Name}: {exception.Message}", ExitCodes.Unexpected),
    };

    private static string Unreachable(HttpRequestException e)
    {
        var cause = e.InnerException is SocketException socket ? socket.Message : e.Message;
        return $"cannot reach the portal: {cause} (check --url or {EdgePortalConnection.UrlVariable}).";
    }

    /// <summary>
    /// The portal's answer: RFC 7807 problem details (with <c>errors</c> per field for a 400). The client hands over the
    /// document it parsed for the statuses the API declares; any other status keeps the body as text, read the same way.
    /// </summary>
    private static Failure Refusal(EdgePortalApiException e)
    {
        var problem = e switch
        {
            EdgePortalApiException<HttpValidationProblemDetails> v => JsonSerializer.Serialize(v.Result),
            EdgePortalApiException<ProblemDetails> p => JsonSerializer.Serialize(p.Result),
            _ => e.Response,
        };
        var message = new StringBuilder($"the portal refused the request ({e.StatusCode}");
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(problem) ? "null" : problem);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                message.Append(Text(root, "title") is { } title ? $" {title})" : ")");
                if (Text(root, "detail") is { } detail)
                    message.Append(": ").Append(detail);
                if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in errors.EnumerateObject())
                    {
                        var texts = field.Value.ValueKind == JsonValueKind.Array
                            ? string.Join(" ", field.Value.EnumerateArray().Select(v => v.ToString()))
                            : field.Value.ToString();
                        message.Append(Environment.NewLine).Append("  ").Append(field.Name).Append(": ").Append(texts);
                    }
                }
                return new(message.ToString(), ExitCodes.Refused, problem);
            }
        }
        catch (JsonException)
        {
        }
        message.Append(')');
        if (!string.IsNullOrWhiteSpace(problem))
            message.Append(": ").Append(problem.Length > 300 ? problem[..300] + "…" : problem);
        return new(message.ToString(), ExitCodes.Refused, null);
    }

    private static string? Text(JsonElement element, string property)
        => element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
