using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

public static class AuditTrailExtensions
{
    /// <summary>An action of <paramref name="scope"/>'s principal on something of <paramref name="tenant"/> (its own tenant when null).</summary>
    public static AuditEntry Record(this AuditTrail trail, TenantScope scope, string action, string target, string detail = "", TenantId? tenant = null,
        bool succeeded = true)
    {
        ArgumentNullException.ThrowIfNull(trail);
        ArgumentNullException.ThrowIfNull(scope);
        return trail.Record(scope.Actor, action, target, detail, (tenant ?? scope.Tenant)?.Value, succeeded);
    }
}
