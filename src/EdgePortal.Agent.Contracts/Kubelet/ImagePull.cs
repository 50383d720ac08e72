using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// POST /kubelet/image-pulls: the node's container runtime pulls <see cref="Image"/> (by digest, <c>repo@sha256:…</c>) through
/// <c>crictl pull</c> before a checkpoint is restored on top of it (CRI-O restores on the base image and never pulls it).
/// </summary>
public sealed record ImagePullCall
{
    [JsonPropertyName("image")] public string Image { get; init; } = "";
}

/// <summary>What the pull did: the image, how long, and crictl's own line (<c>Image is up to date for sha256:…</c>).</summary>
public sealed record ImagePullAnswer(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("output")] string Output);

/// <summary>
/// POST /registry/image-deletions: delete a pushed checkpoint image (its manifest, by digest) from a registry of the agent's
/// configuration, named as in <see cref="CheckpointImageRequest.Registry"/>; the registry's garbage collection frees its blobs.
/// </summary>
public sealed record RegistryImageDeletion
{
    [JsonPropertyName("registry")] public string Registry { get; init; } = "";
    [JsonPropertyName("repository")] public string Repository { get; init; } = "";
    [JsonPropertyName("digest")] public string Digest { get; init; } = "";
}
