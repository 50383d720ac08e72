using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// PUT /criu/workloads/{name}: a process of the agent's host that migrations may name instead of its PID, owned by
/// <see cref="Tenant"/> (the portal's tenant id): then only a call naming that tenant finds it, and two tenants may both
/// have a workload {name} on one host. Without a tenant, any call finds it (single-tenant hosts, the lab).
/// </summary>
public sealed record CriuWorkloadRegistration([property: JsonPropertyName("pid")] int Pid, [property: JsonPropertyName("tenant")] string? Tenant = null);
