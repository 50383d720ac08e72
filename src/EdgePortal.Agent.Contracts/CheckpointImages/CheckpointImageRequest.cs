using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// POST /checkpoints/{id}/image: turn the kubelet's checkpoint archive {id} into an OCI checkpoint image, and push it to
/// <see cref="Registry"/> or stream it to the agent <see cref="Peer"/> (exactly one of the two). Both are names in the agent's
/// own configuration (<c>EdgePortal:Agent:Registries</c>, <c>EdgePortal:Agent:Peers</c>), never hosts or URLs.
/// </summary>
public sealed record CheckpointImageRequest
{
    /// <summary>The registry to push to, by its name in the agent's <c>EdgePortal:Agent:Registries</c>.</summary>
    [JsonPropertyName("registry")] public string? Registry { get; init; }
    /// <summary>The destination agent to stream the image to instead of a registry, by its name in the agent's <c>EdgePortal:Agent:Peers</c>.</summary>
    [JsonPropertyName("peer")] public string? Peer { get; init; }
    [JsonPropertyName("repository")] public string Repository { get; init; } = "";
    [JsonPropertyName("tag")] public string Tag { get; init; } = "";
    /// <summary>The checkpointed container's name (it becomes the checkpoint annotation).</summary>
    [JsonPropertyName("containerName")] public string ContainerName { get; init; } = "";
    [JsonPropertyName("podName")] public string PodName { get; init; } = "";
    [JsonPropertyName("namespace")] public string Namespace { get; init; } = "";
    /// <summary>The image the container ran (the checkpoint's rootfs base), when known.</summary>
    [JsonPropertyName("rootfsImage")] public string? RootfsImage { get; init; }
    /// <summary>The OCI runtime that dumped the container (runc, crun), when known: Podman restores an image only with the same runtime.</summary>
    [JsonPropertyName("runtimeName")] public string? RuntimeName { get; init; }
    /// <summary>The rate limit of the push or stream; null or 0: the agent's default.</summary>
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
}
