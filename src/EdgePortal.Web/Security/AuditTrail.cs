using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

/// <summary>Writes audit entries for the portal's actions, stamped with the clock; the log itself is append-only.</summary>
public sealed class AuditTrail(IAuditLog log, TimeProvider clock)
{
    /// <summary>Appends the entry (the log links it into its hash chain) and returns it as stored.</summary>
    public AuditEntry Record(string actor, string action, string target, string detail = "", Guid? tenant = null, bool succeeded = true)
        => log.Append(new AuditEntry
        {
            Id = Guid.CreateVersion7(),
            At = clock.GetUtcNow(),
            Actor = Clip(actor, 200),
            Action = action,
            Target = Clip(target, 500),
            Detail = Clip(detail, 2000),
            TenantId = tenant,
            Succeeded = succeeded,
        });

    /// <summary>An action of <paramref name="scope"/>'s principal on something of <paramref name="tenant"/> (its own tenant when null).</summary>
    public AuditEntry Record(TenantScope scope, string action, string target, string detail = "", TenantId? tenant = null, bool succeeded = true)
        => Record(scope.Actor, action, target, detail, (tenant ?? scope.Tenant)?.Value, succeeded);

    private static string Clip(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max] + "…";
}
