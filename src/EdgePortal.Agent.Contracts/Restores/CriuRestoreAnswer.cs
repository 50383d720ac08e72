using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /criu/images/{id}/restore answers: the restored tree, CRIU's own stats and the agent's wall clock.</summary>
/// <param name="PidInNamespace">The restored root's PID in its own PID namespace.</param>
/// <param name="Pid">The restored root's PID as the agent sees it.</param>
/// <param name="Container">The Podman container restored (podman container restore --import), or null for a process.</param>
/// <param name="Podman">Podman's, the OCI runtime's and CRIU's figures of the restore (--print-stats).</param>
/// <param name="HolderPid">The <c>unshare --kill-child</c> process that holds the tree's PID namespace.</param>
public sealed record CriuRestoreAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("pidInNamespace")] int PidInNamespace,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("holderPid")] int HolderPid,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("stats")] CriuRestoreStats? Stats,
    [property: JsonPropertyName("log")] string Log,
    [property: JsonPropertyName("container")] PodmanContainer? Container = null,
    [property: JsonPropertyName("podman")] PodmanStats? Podman = null);
