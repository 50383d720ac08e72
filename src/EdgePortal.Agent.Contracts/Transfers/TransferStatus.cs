using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>GET /transfers, GET /transfers/{id}: one transfer's progress on the agent, as it was when asked.</summary>
/// <param name="Kind">push, stream, receive, criu-stream or criu-receive.</param>
/// <param name="State">running, done or failed.</param>
/// <param name="Error">Why it failed, in the words of whatever failed.</param>
/// <param name="Seconds">From the start to now, or to the end.</param>
/// <param name="SendingSeconds">From the first byte sent to the last: the window the rate limit governs; 0 until two sends.</param>
public sealed record TransferStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("totalBytes")] long TotalBytes,
    [property: JsonPropertyName("limitBitsPerSecond")] double? LimitBitsPerSecond,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("bitsPerSecond")] double BitsPerSecond,
    [property: JsonPropertyName("percent")] double Percent,
    [property: JsonPropertyName("sendingSeconds")] double SendingSeconds);
