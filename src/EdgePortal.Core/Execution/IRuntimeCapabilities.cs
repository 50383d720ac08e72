using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// What a runtime's probes said a host can do, cached so that planning never waits on the edge. The coordinator asks it for
/// the source host of every plan and passes the answer to the designer (<see cref="Planning.PlanningOptions.DirtyTrackingSupported"/>),
/// which then never chooses pre-copy on a host that cannot track dirty pages, and says so in the rationale.
/// </summary>
public interface IRuntimeCapabilities
{
    /// <summary>Whether <paramref name="node"/> tracks dirty pages as last probed; null when this runtime does not drive <paramref name="cluster"/>.</summary>
    bool? DirtyTrackingSupported(EdgeCluster cluster, EdgeNode node);
}
