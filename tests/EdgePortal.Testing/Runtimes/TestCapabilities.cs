using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Testing;

/// <summary>Capabilities as runtimes report them, for planning tests.</summary>
public static class TestCapabilities
{
    /// <summary>A runtime that can do everything (the simulator's shape).</summary>
    public static RuntimeCapabilities Everything { get; } = new()
    {
        Strategies = Enum.GetValues<MigrationStrategy>(),
        DirtyTracking = true,
        PreDump = true,
        LazyPages = true,
        ReplayBroker = true,
        TransferPaths = [TransferPath.AgentStream],
    };

    /// <summary>A node of an Agent cluster "lab" that can do everything but whose own host is <paramref name="host"/>.</summary>
    public static NodeCapabilities AgentNode(string node, RuntimeCapabilities? host = null, RuntimeCapabilities? cluster = null)
        => NodeCapabilities.Of(ClusterKind.Agent, "lab", node, cluster ?? Everything, host ?? Everything);

    /// <summary>A host whose CRIU does not track dirty pages.</summary>
    public static RuntimeCapabilities WithoutDirtyTracking { get; } = Everything with { DirtyTracking = false };
}
