using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// What <c>podman container checkpoint/restore --print-stats</c> said: Podman's own duration, the OCI runtime's, and CRIU's
/// statistics (microseconds, as they measured them). The CRIU figures of a checkpoint are in <see cref="Dump"/>, of a restore
/// in <see cref="Restore"/>.
/// </summary>
public sealed record PodmanStats(
    [property: JsonPropertyName("podmanDurationUs")] long PodmanDurationUs,
    [property: JsonPropertyName("runtimeDurationUs")] long RuntimeDurationUs,
    [property: JsonPropertyName("dump")] CriuDumpStats? Dump,
    [property: JsonPropertyName("restore")] CriuRestoreStats? Restore);

/// <summary>A Podman container a workload name resolves to on an agent's host.</summary>
/// <param name="Name">The container's name.</param>
/// <param name="Id">Its full id.</param>
/// <param name="Image">Its image.</param>
/// <param name="NetworkMode">Podman's network mode; only <c>host</c> containers move between hosts' network namespaces.</param>
public sealed record PodmanContainer(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("networkMode")] string NetworkMode);
