using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /criu/dumps: dump <see cref="Pid"/> or the registered <see cref="Workload"/> into the images <see cref="Id"/>.</summary>
public sealed record CriuDumpCall
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("pid")] public int? Pid { get; init; }
    [JsonPropertyName("workload")] public string? Workload { get; init; }
    /// <summary>The tenant that owns <see cref="Workload"/> (the portal's tenant id): the workload is looked up tenant-qualified.</summary>
    [JsonPropertyName("tenant")] public string? Tenant { get; init; }
    /// <summary>Keep the process running after the dump (a checkpoint, not a migration; MS2M: the source serves on).</summary>
    [JsonPropertyName("leaveRunning")] public bool LeaveRunning { get; init; }
    /// <summary>The service address (CIDR) to take off the host after the dump, before CRIU's network lock is lifted.</summary>
    [JsonPropertyName("releaseAddress")] public string? ReleaseAddress { get; init; }
    /// <summary>The device <see cref="ReleaseAddress"/> is on; null: the agent's service device.</summary>
    [JsonPropertyName("device")] public string? Device { get; init; }
    /// <summary>Dump TCP connections as closed (CRIU --tcp-close): the process keeps them, a restored copy reconnects.</summary>
    [JsonPropertyName("tcpClose")] public bool TcpClose { get; init; }
    /// <summary>Send the pages to this page server (POST /criu/images/{id}/page-server on the destination) while dumping.</summary>
    [JsonPropertyName("pageServer")] public CriuPageServerCall? PageServer { get; init; }
    /// <summary>
    /// A pre-dump round instead of a dump (CRIU pre-dump --track-mem, the process runs on): round 0 writes all the memory into
    /// images/{id}/pre-0, round n only the pages dirtied since round n-1 into pre-n (--prev-images-dir ../pre-{n-1}).
    /// </summary>
    [JsonPropertyName("preDumpRound")] public int? PreDumpRound { get; init; }
    /// <summary>The final dump after pre-dump round n: only the pages dirtied since it (--track-mem --prev-images-dir pre-n).</summary>
    [JsonPropertyName("afterPreDumpRound")] public int? AfterPreDumpRound { get; init; }
    /// <summary>
    /// Post-copy's dump (CRIU dump --lazy-pages): everything but the memory is written here, then the process stays frozen
    /// while a page server on this host (the answer's lazyPageServer) serves its pages to the destination's criu lazy-pages;
    /// it is killed once they are all sent (POST /criu/images/{id}/lazy-dump waits for that). The answer comes when the page
    /// server listens, after <see cref="ReleaseAddress"/> left the host.
    /// </summary>
    [JsonPropertyName("lazyPages")] public bool LazyPages { get; init; }
}
