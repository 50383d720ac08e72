using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// A post-copy's page-in as the destination saw it: criu lazy-pages fetched every page of the lazily restored images
/// <paramref name="Id"/> from the source's lazy page server through the agent's relay.
/// </summary>
/// <param name="Bytes">What came from the source: the pages and the protocol's headers.</param>
/// <param name="ResumedAt">When the lazily restored process was running (the restore's end).</param>
/// <param name="LastPageAt">When the last byte from the source arrived: the end of the degradation window.</param>
/// <param name="WindowMs">From the resume to the last page: the degradation window.</param>
/// <param name="LimitBitsPerSecond">The pages' rate limit; null for none.</param>
/// <param name="Source">The source's lazy page server (address:port).</param>
/// <param name="Log">criu lazy-pages' log.</param>
public sealed record CriuPageInAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("resumedAt")] DateTimeOffset ResumedAt,
    [property: JsonPropertyName("lastPageAt")] DateTimeOffset LastPageAt,
    [property: JsonPropertyName("windowMs")] double WindowMs,
    [property: JsonPropertyName("limitBitsPerSecond")] double? LimitBitsPerSecond,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("log")] string Log);
