using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Windows;

/// <summary>Replaces a cluster's maintenance window (the provider's operation; audited as <c>window.update</c>).</summary>
public sealed class UpdateMaintenanceWindow(WindowAccess access)
{
    public UseCaseResult<MaintenanceWindow> Run(TenantScope scope, ClusterId cluster, MaintenanceWindowId id, MaintenanceWindowBody fields)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        return access.Windows.Find(id) is { } existing && existing.ClusterId == cluster
            ? access.Save(scope, cluster, existing.Id, fields, AuditActions.WindowUpdate)
            : WindowAccess.NotFound("maintenance window", id.Value);
    }
}
