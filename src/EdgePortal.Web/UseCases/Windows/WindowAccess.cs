using EdgePortal.Core.Security;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Windows;

/// <summary>What the maintenance-window use cases share: reading the window from its fields, storing it, and one audit target text.</summary>
public sealed class WindowAccess(IInventoryRepository inventory, IMaintenanceWindowRepository windows, IScheduleCalendar calendar, AuditTrail audit)
{
    internal IMaintenanceWindowRepository Windows => windows;

    internal static UseCaseResult<MaintenanceWindow>.NotFound NotFound(string what, Guid id) => new($"No {what} has id {id}.");

    /// <summary>Validates and stores the window of <paramref name="cluster"/>; null when the cluster is unknown.</summary>
    internal UseCaseResult<MaintenanceWindow> Save(TenantScope scope, ClusterId cluster, MaintenanceWindowId id, MaintenanceWindowBody fields, string action)
    {
        if (inventory.FindCluster(cluster) is not { } found)
            return NotFound("cluster", cluster.Value);
        var errors = new Dictionary<string, string>();
        var window = MaintenanceWindowInput.TryBuild(cluster, id, fields.Name, fields.Days, fields.Start, fields.DurationMinutes, fields.TimeZone, calendar,
            (field, message) => errors.TryAdd(field, message));
        if (window is null)
            return new UseCaseResult<MaintenanceWindow>.Invalid(errors);
        windows.Save(window);
        Record(scope, action, found.Name, window, window.Describe());
        return new UseCaseResult<MaintenanceWindow>.Done(window);
    }

    internal void Record(TenantScope scope, string action, string clusterName, MaintenanceWindow window, string detail = "")
        => audit.Record(scope, action, $"window {window.Name} ({window.Id}) of cluster {clusterName}", detail);

    internal string ClusterName(ClusterId cluster) => inventory.FindCluster(cluster)?.Name ?? cluster.ToString();
}
