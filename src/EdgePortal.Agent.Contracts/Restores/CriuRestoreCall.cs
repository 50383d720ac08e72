using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /criu/images/{id}/restore: restore on the agent's host; the restored tree is registered as <see cref="Workload"/> when given.</summary>
public sealed record CriuRestoreCall
{
    [JsonPropertyName("workload")] public string? Workload { get; init; }
    /// <summary>The tenant that owns <see cref="Workload"/>: a restored process is registered tenant-qualified.</summary>
    [JsonPropertyName("tenant")] public string? Tenant { get; init; }
    /// <summary>The images were dumped with tcpClose: restore their TCP connections closed (CRIU --tcp-close).</summary>
    [JsonPropertyName("tcpClose")] public bool TcpClose { get; init; }
}
