using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Windows;

/// <summary>Removes a cluster's maintenance window (the provider's operation; audited as <c>window.delete</c>).</summary>
public sealed class DeleteMaintenanceWindow(WindowAccess access)
{
    public UseCaseResult<MaintenanceWindow> Run(TenantScope scope, ClusterId cluster, MaintenanceWindowId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (access.Windows.Find(id) is not { } window || window.ClusterId != cluster || !access.Windows.Delete(id))
            return WindowAccess.NotFound("maintenance window", id.Value);
        access.Record(scope, AuditActions.WindowDelete, access.ClusterName(cluster), window, window.Describe());
        return new UseCaseResult<MaintenanceWindow>.Done(window);
    }
}
