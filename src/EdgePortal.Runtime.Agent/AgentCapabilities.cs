using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// What the Agent runtime can do, as its probe reports it (<see cref="AgentEdgeRuntime.ProbeAsync"/>): per host, what that
/// host's CRIU said (GET /criu/capabilities: dirty tracking for pre-copy at the source); per cluster, what its configuration
/// adds (a broker for MessageReplay / ReplayWithCutoff, the Cold transfer path). Images travel agent to agent.
/// </summary>
public static class AgentCapabilities
{
    /// <summary>The strategies this runtime has steps for; which of them a cluster or host can run is in its capabilities.</summary>
    public static bool Executes(MigrationStrategy strategy) => strategy is MigrationStrategy.Cold or MigrationStrategy.PreCopy
        or MigrationStrategy.IterativePreCopy or MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff or MigrationStrategy.PostCopy;

    /// <summary>A host whose agent answered: pre-copy is possible with it as the source only where CRIU tracks dirty pages.</summary>
    public static RuntimeCapabilities Host(AgentClusterOptions cluster, CriuCapabilities criu)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(criu);
        return new RuntimeCapabilities
        {
            // As a destination a host restores pre-dumped images like any other; the source's dirty tracking decides pre-copy.
            Strategies = Strategies(cluster, preCopy: true, criu.LazyPages),
            DirtyTracking = criu.DirtyTracking,
            PreDump = true,
            // PostCopy only where this host's CRIU, kernel (userfaultfd) and fs.pipe-max-size say lazy pages work.
            LazyPages = criu.LazyPages,
            ReplayBroker = cluster.Broker is not null,
            TransferPaths = Paths(cluster),
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"CRIU {criu.Version}{(criu.Usable ? "" : " (criu check fails)")}, dirty tracking {(criu.DirtyTracking ? "on" : "off")}, TCP repair {(criu.TcpRepair ? "yes" : "no")}, lazy pages {(criu.LazyPages ? "yes" : $"no ({criu.LazyPagesDetail ?? "not reported"})")}{Containers(criu.Podman)}"),
        };
    }

    /// <summary>
    /// What containers on the host can do, for the Detail the planner's rationale shows (nothing where the agent drives no
    /// Podman): Podman's own probe, then the strategies
    /// it runs on containers. Cold always; MessageReplay / ReplayWithCutoff where the OCI runtime hands CRIU the configuration
    /// file a container's org.criu.config annotation names (the copy is restored with its connections closed through it;
    /// Podman 4.3 has no --tcp-close); PreCopy only with --pre-checkpoint where CRIU tracks dirty pages (not run by this agent
    /// yet); PostCopy never with Podman 4.x (no lazy pages).
    /// </summary>
    public static string Containers(PodmanCapabilities? podman) => podman switch
    {
        null => "",
        { Usable: false } => $"; containers cannot migrate here: {podman.Detail}",
        { TcpClose: true } => $"; {podman.Detail}; containers: Cold, MessageReplay and ReplayWithCutoff (the copy restored with its connections closed through org.criu.config; PreCopy --pre-checkpoint with dirty tracking, PostCopy lazy pages: neither with Podman {podman.Version})",
        _ => $"; {podman.Detail}; containers: Cold (MessageReplay/ReplayWithCutoff need a runtime that honours org.criu.config, PreCopy --pre-checkpoint with dirty tracking, PostCopy lazy pages: none of them with Podman {podman.Version} here)",
    };

    /// <summary>A host whose agent did not answer: nothing runs there until it does.</summary>
    public static RuntimeCapabilities Silent(string error) => RuntimeCapabilities.None($"agent not answering: {error}");

    /// <summary>The cluster: pre-copy where some host tracks dirty pages, replay where a broker is configured.</summary>
    public static RuntimeCapabilities Cluster(AgentClusterOptions cluster, IReadOnlyList<HostCapabilities> hosts)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(hosts);
        var tracking = hosts.Any(h => h.Capabilities.DirtyTracking);
        var lazy = hosts.Count(h => h.Capabilities.LazyPages) >= 2;
        return new RuntimeCapabilities
        {
            Strategies = Strategies(cluster, tracking, lazy),
            DirtyTracking = tracking,
            PreDump = true,
            // Post-copy needs two hosts that can run lazy pages: a source and a destination.
            LazyPages = lazy,
            ReplayBroker = cluster.Broker is not null,
            TransferPaths = Paths(cluster),
            Detail = cluster.Broker is null
                ? "no broker configured for message replay"
                : $"message replay for {string.Join(", ", cluster.Broker.Services.Keys.Order(StringComparer.Ordinal))}",
        };
    }

    private static MigrationStrategy[] Strategies(AgentClusterOptions cluster, bool preCopy, bool postCopy)
    {
        var strategies = new List<MigrationStrategy> { MigrationStrategy.Cold };
        if (preCopy)
            strategies.AddRange([MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy]);
        if (cluster.Broker is not null)
            strategies.AddRange([MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff]);
        if (postCopy)
            strategies.Add(MigrationStrategy.PostCopy);
        return [.. strategies];
    }

    private static TransferPath[] Paths(AgentClusterOptions cluster) => cluster.ColdTransferPath == AgentColdTransfer.PageServer
        ? [TransferPath.AgentStream, TransferPath.PageServer]
        : [TransferPath.AgentStream];
}
