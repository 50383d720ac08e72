using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>PUT /images/{name} (a peer agent's stream of an OCI image layout): what the receiving agent stored, and where.</summary>
public sealed record ReceivedImage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("blobs")] int Blobs);
