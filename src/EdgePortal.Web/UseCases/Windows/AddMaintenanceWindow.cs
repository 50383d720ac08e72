using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Windows;

/// <summary>Adds a weekly maintenance window to a cluster (the provider's operation; audited as <c>window.create</c>).</summary>
public sealed class AddMaintenanceWindow(WindowAccess access)
{
    public UseCaseResult<MaintenanceWindow> Run(TenantScope scope, ClusterId cluster, MaintenanceWindowBody fields)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(fields);
        return access.Save(scope, cluster, MaintenanceWindowId.New(), fields, AuditActions.WindowCreate);
    }
}
