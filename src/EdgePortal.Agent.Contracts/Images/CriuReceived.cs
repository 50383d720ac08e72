using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>PUT /criu/images/{id} (a peer agent's stream): what the receiving agent holds under the id now.</summary>
public sealed record CriuReceived(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("files")] int Files);
