using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// GET /criu/capabilities: what <c>criu check</c> and <c>criu check --all</c> said about the agent's host, detected each time
/// and never assumed.
/// </summary>
/// <param name="Usable">The basic check passed ("Looks good."): dump and restore of ordinary processes work.</param>
/// <param name="DirtyTracking">Soft-dirty memory tracking, needed by incremental pre-dump (<c>--track-mem</c>).</param>
/// <param name="TcpRepair">TCP repair mode (established connections survive a dump).</param>
/// <param name="Report">CRIU's own words from both checks, for the operator.</param>
/// <param name="LazyPages">
/// Post-copy can run here: CRIU's <c>uffd-noncoop</c> feature is supported and CRIU can grow its page pipes (root has
/// CAP_SYS_RESOURCE, or <c>fs.pipe-max-size</c> is at least 256 MiB; at the default 1 MiB the first page request fails).
/// </param>
/// <param name="Uffd">What <c>criu check --feature uffd-noncoop</c> said: userfaultfd for lazy restores.</param>
/// <param name="PipeMaxSizeBytes"><c>/proc/sys/fs/pipe-max-size</c>; null when it could not be read.</param>
/// <param name="LazyPagesDetail">Why lazy pages can or cannot run, with the fix when a host setting is missing.</param>
/// <param name="Podman">The host's Podman, when the agent drives it (<c>EdgePortal:Agent:Podman:Enabled</c>); null otherwise.</param>
public sealed record CriuCapabilities(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("usable")] bool Usable,
    [property: JsonPropertyName("dirtyTracking")] bool DirtyTracking,
    [property: JsonPropertyName("tcpRepair")] bool TcpRepair,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings,
    [property: JsonPropertyName("report")] string Report,
    [property: JsonPropertyName("lazyPages")] bool LazyPages = false,
    [property: JsonPropertyName("uffd")] bool Uffd = false,
    [property: JsonPropertyName("pipeMaxSizeBytes")] long? PipeMaxSizeBytes = null,
    [property: JsonPropertyName("lazyPagesDetail")] string? LazyPagesDetail = null,
    [property: JsonPropertyName("podman")] PodmanCapabilities? Podman = null);
