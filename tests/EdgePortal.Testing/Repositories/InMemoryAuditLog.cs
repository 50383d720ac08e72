using EdgePortal.Core.Security;

namespace EdgePortal.Testing;

/// <summary>An append-only list, filtered the way the LiteDB log filters.</summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly List<AuditEntry> _entries = [];
    private readonly Lock _gate = new();

    public void Append(AuditEntry entry)
    {
        lock (_gate)
            _entries.Add(entry);
    }

    public IReadOnlyList<AuditEntry> Query(AuditQuery query)
    {
        lock (_gate)
            return _entries.Where(e => (query.From is null || e.At >= query.From) && (query.To is null || e.At <= query.To)
                    && (string.IsNullOrEmpty(query.Action) || e.Action == query.Action)
                    && (query.Tenant is null || e.TenantId == query.Tenant.Value.Value)
                    && (string.IsNullOrEmpty(query.Actor) || e.Actor.Contains(query.Actor, StringComparison.OrdinalIgnoreCase)))
                .OrderByDescending(e => e.At).Take(query.Limit).ToList();
    }
}
