using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /checkpoints/{id}/image answers once the image is pushed (or streamed to the peer).</summary>
/// <param name="Reference">The image's reference: <c>registry/repository:tag</c>, or the peer's URL of the streamed image.</param>
/// <param name="TransferId">The transfer's id on the agent (GET /transfers/{id}).</param>
public sealed record CheckpointImageResult(
    [property: JsonPropertyName("reference")] string Reference,
    [property: JsonPropertyName("manifestDigest")] string ManifestDigest,
    [property: JsonPropertyName("layerDigest")] string LayerDigest,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("transferId")] string TransferId);
