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
    /// <summary>
    /// Post-copy: restore without the memory (CRIU restore --lazy-pages); criu lazy-pages fetches the pages from the source's
    /// lazy page server (the dump's lazyPageServer, a configured peer's page server address) through this agent, at
    /// <see cref="BandwidthBitsPerSecond"/>. POST /criu/images/{id}/page-in waits for the last page.
    /// </summary>
    [JsonPropertyName("lazyPageServer")] public CriuPageServerCall? LazyPageServer { get; init; }
    /// <summary>The pages' rate limit (the migration's reserved bandwidth); null: the agent's default.</summary>
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
}
