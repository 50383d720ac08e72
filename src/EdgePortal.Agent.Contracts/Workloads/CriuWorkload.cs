using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>A registered workload as /proc shows it now (GET /criu/workloads, GET /criu/workloads/{name}).</summary>
/// <param name="Pid">The PID in the agent's PID namespace (for a restored workload, the restored root's PID seen from there).</param>
/// <param name="Tenant">The tenant the workload belongs to (its registration's, its container's label or name); null for a process registered without one.</param>
/// <param name="Container">The Podman container the name resolved to; null for a process.</param>
/// <param name="RestoredFrom">The images a restored workload came from (it runs in its own PID namespace); null for a process registered by PID.</param>
public sealed record CriuWorkload(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("running")] bool Running,
    [property: JsonPropertyName("commandLine")] string? CommandLine,
    [property: JsonPropertyName("residentBytes")] long? ResidentBytes,
    [property: JsonPropertyName("threads")] int? Threads,
    [property: JsonPropertyName("restoredFrom")] string? RestoredFrom,
    [property: JsonPropertyName("tenant")] string? Tenant = null,
    [property: JsonPropertyName("container")] PodmanContainer? Container = null);
