using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /criu/images/{id}/send answers once the peer took the stream.</summary>
/// <param name="LimitBitsPerSecond">The rate limit the stream ran at, or null for none.</param>
/// <param name="TransferId">The transfer's id on the sending agent (GET /transfers/{id}).</param>
/// <param name="Received">What the peer holds under the id once it took the stream (with the pages its page server received).</param>
public sealed record CriuSendAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("limitBitsPerSecond")] double? LimitBitsPerSecond,
    [property: JsonPropertyName("transferId")] string TransferId,
    [property: JsonPropertyName("received")] CriuReceived? Received = null);
