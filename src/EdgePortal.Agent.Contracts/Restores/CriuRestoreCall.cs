using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /criu/images/{id}/restore: restore on the agent's host; the restored tree is registered as <see cref="Workload"/> when given.</summary>
public sealed record CriuRestoreCall
{
    [JsonPropertyName("workload")] public string? Workload { get; init; }
    /// <summary>The images were dumped with tcpClose: restore their TCP connections closed (CRIU --tcp-close).</summary>
    [JsonPropertyName("tcpClose")] public bool TcpClose { get; init; }
}
