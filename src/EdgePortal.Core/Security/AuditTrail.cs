namespace EdgePortal.Core.Security;

/// <summary>
/// Writes audit entries for every action, stamped with the clock and clipped to the stored lengths: the one way anything
/// records what it did (pages and endpoints through their use cases, drains whoever starts them, retention); the log itself
/// is append-only and links each entry into its hash chain.
/// </summary>
public sealed class AuditTrail(IAuditLog log, TimeProvider clock)
{
    /// <summary>Appends the entry and returns it as stored.</summary>
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

    private static string Clip(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max] + "…";
}
