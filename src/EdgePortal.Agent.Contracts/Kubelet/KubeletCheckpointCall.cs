using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// POST /kubelet/checkpoints: the node's agent asks its own kubelet to checkpoint a container
/// (<c>POST /checkpoint/{namespace}/{pod}/{container}?timeout=</c>) with the agent's service account token, which holds
/// <c>nodes/checkpoint</c> (create) and nothing else. The portal never reaches a kubelet.
/// </summary>
public sealed record KubeletCheckpointCall
{
    [JsonPropertyName("namespace")] public string Namespace { get; init; } = "";
    [JsonPropertyName("pod")] public string Pod { get; init; } = "";
    [JsonPropertyName("container")] public string Container { get; init; } = "";
    /// <summary>The CRI deadline the kubelet gets (its <c>timeout</c> parameter), seconds; the agent waits 15 s longer for the answer.</summary>
    [JsonPropertyName("timeoutSeconds")] public int TimeoutSeconds { get; init; }
}

/// <summary>
/// What the kubelet answered to <see cref="KubeletCheckpointCall"/>. The agent relays the kubelet's verdict, whichever it
/// is: <see cref="Status"/> 200 with the archive, or the kubelet's status and its words (<see cref="Message"/>, cut short).
/// </summary>
/// <param name="Status">The kubelet's HTTP status.</param>
/// <param name="Path">On 200: the archive path the kubelet answered (<c>items[0]</c>), as the kubelet sees it.</param>
/// <param name="Archive">On 200: the archive's file name, when that file is in the agent's checkpoint directory.</param>
/// <param name="Bytes">The archive's size, when found.</param>
/// <param name="Message">The kubelet's body on an error (plain text or a Status message), at most 1,000 characters.</param>
/// <param name="Seconds">How long the kubelet took.</param>
public sealed record KubeletCheckpointAnswer(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("path")] string? Path,
    [property: JsonPropertyName("archive")] string? Archive,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("seconds")] double Seconds);
