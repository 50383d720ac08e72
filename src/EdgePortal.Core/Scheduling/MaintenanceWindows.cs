using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Scheduling;

/// <summary>Window gating: may an automatic migration start on this cluster now?</summary>
public static class MaintenanceWindows
{
    /// <summary>Open when the cluster has no windows, or when <paramref name="now"/> is inside one of them.</summary>
    public static bool IsOpen(IEnumerable<MaintenanceWindow> windows, ClusterId cluster, DateTimeOffset now)
    {
        var any = false;
        foreach (var window in windows)
        {
            if (window.ClusterId != cluster)
                continue;
            any = true;
            if (window.Contains(now))
                return true;
        }
        return !any;
    }

    /// <summary>Whether an automatic migration may start: inside a window, or urgent enough to override it.</summary>
    public static bool MayStart(bool windowOpen, double severity, double urgentSeverity) => windowOpen || severity >= urgentSeverity;
}
