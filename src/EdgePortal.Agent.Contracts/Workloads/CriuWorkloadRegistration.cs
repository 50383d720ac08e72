using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>PUT /criu/workloads/{name}: a process of the agent's host that migrations may name instead of its PID.</summary>
public sealed record CriuWorkloadRegistration([property: JsonPropertyName("pid")] int Pid);
