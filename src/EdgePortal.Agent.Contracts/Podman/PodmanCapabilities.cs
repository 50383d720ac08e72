using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// What the host's Podman said (part of GET /criu/capabilities when the agent drives Podman): its version, the OCI runtime it
/// runs containers with, and the checkpoint features it offers, detected each time and never assumed.
/// </summary>
/// <param name="Version">Podman's version (the service's when the agent talks to it through its API socket).</param>
/// <param name="Remote">The agent drives the host's Podman through its API socket (<c>podman --remote</c>), not the local CLI.</param>
/// <param name="OciRuntime">The OCI runtime and its version (<c>podman info</c>: host.ociRuntime).</param>
/// <param name="Checkpoint">Containers can be checkpointed and restored: the runtime is built with CRIU (runc, or crun +CRIU).</param>
/// <param name="PreCheckpoint">
/// <c>--pre-checkpoint</c> / <c>--with-previous</c> work: Podman offers them, and CRIU tracks dirty pages on this host.
/// </param>
/// <param name="LazyPages">Podman can restore with lazy pages (post-copy); Podman 4.x has no option for it.</param>
/// <param name="Usable">Podman answered and the runtime checkpoints: containers can migrate from and to this host.</param>
/// <param name="Detail">One line for the operator: what works, and why what does not.</param>
/// <param name="TcpClose">
/// A restored container can find its TCP connections closed (what MessageReplay and ReplayWithCutoff need of the copy): the OCI
/// runtime hands CRIU the per-container configuration file its <c>org.criu.config</c> annotation names (runc does; the agent writes
/// <c>tcp-close</c> there and the annotation into the archive's spec before <c>restore --import</c>), and CRIU reads such files (3.11 and later).
/// </param>
public sealed record PodmanCapabilities(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("remote")] bool Remote,
    [property: JsonPropertyName("ociRuntime")] string OciRuntime,
    [property: JsonPropertyName("checkpoint")] bool Checkpoint,
    [property: JsonPropertyName("preCheckpoint")] bool PreCheckpoint,
    [property: JsonPropertyName("lazyPages")] bool LazyPages,
    [property: JsonPropertyName("usable")] bool Usable,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("tcpClose")] bool TcpClose = false);
