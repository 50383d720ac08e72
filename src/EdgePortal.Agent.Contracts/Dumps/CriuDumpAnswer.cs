using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /criu/dumps answers: the images written, CRIU's own stats and the agent's wall clock.</summary>
/// <param name="Bytes">The images written on the agent (without the pages when they went to a page server).</param>
/// <param name="Log">The path of CRIU's log on the agent's host.</param>
/// <param name="PidInNamespace">The PID CRIU dumped: the process's PID in its own PID namespace (a restored tree's), else <see cref="Pid"/>.</param>
/// <param name="PageServer">The page server the pages went to (address:port), or null when they were written on the agent.</param>
/// <param name="PreDumpRound">The pre-dump round this was, or null for a dump.</param>
/// <param name="Container">The Podman container checkpointed (podman container checkpoint --export), or null for a process.</param>
/// <param name="Podman">Podman's, the OCI runtime's and CRIU's figures of a container checkpoint (--print-stats).</param>
/// <param name="PrevImagesDir">The previous round's images CRIU linked as parent (--prev-images-dir), or null.</param>
public sealed record CriuDumpAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("files")] int Files,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs,
    [property: JsonPropertyName("stats")] CriuDumpStats? Stats,
    [property: JsonPropertyName("log")] string Log,
    [property: JsonPropertyName("pidInNamespace")] int PidInNamespace = 0,
    [property: JsonPropertyName("pageServer")] string? PageServer = null,
    [property: JsonPropertyName("preDumpRound")] int? PreDumpRound = null,
    [property: JsonPropertyName("prevImagesDir")] string? PrevImagesDir = null,
    [property: JsonPropertyName("container")] PodmanContainer? Container = null,
    [property: JsonPropertyName("podman")] PodmanStats? Podman = null,
    [property: JsonPropertyName("lazyPageServer")] CriuPageServerCall? LazyPageServer = null);
