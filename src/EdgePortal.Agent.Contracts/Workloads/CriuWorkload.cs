using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>A registered workload as /proc shows it now (GET /criu/workloads, GET /criu/workloads/{name}).</summary>
/// <param name="Pid">The PID in the agent's PID namespace (for a restored workload, the restored root's PID seen from there).</param>
/// <param name="RestoredFrom">The images a restored workload came from (it runs in its own PID namespace); null for a process registered by PID.</param>
public sealed record CriuWorkload(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("running")] bool Running,
    [property: JsonPropertyName("commandLine")] string? CommandLine,
    [property: JsonPropertyName("residentBytes")] long? ResidentBytes,
    [property: JsonPropertyName("threads")] int? Threads,
    [property: JsonPropertyName("restoredFrom")] string? RestoredFrom);
