using EdgePortal.Core.Security;

namespace EdgePortal.Testing;

/// <summary>An append-only list, hash-chained and filtered the way the LiteDB log does it.</summary>
public sealed class InMemoryAuditLog : IAuditLog
{
    private readonly List<AuditEntry> _entries = [];
    private readonly Lock _gate = new();

    public AuditEntry Append(AuditEntry entry)
    {
        lock (_gate)
        {
            var linked = AuditChain.Link(entry, _entries.Count > 0 ? _entries[^1] : null);
            _entries.Add(linked);
            return linked;
        }
    }

    /// <summary>Replaces a stored entry as someone with write access to the store could: what verification must notice.</summary>
    public void Tamper(long sequence, Func<AuditEntry, AuditEntry> change)
    {
        lock (_gate)
        {
            var index = _entries.FindIndex(e => e.Sequence == sequence);
            _entries[index] = change(_entries[index]);
        }
    }

    public IReadOnlyList<AuditEntry> Query(AuditQuery query)
    {
        lock (_gate)
            return _entries.Where(e => (query.From is null || e.At >= query.From) && (query.To is null || e.At <= query.To)
                    && (string.IsNullOrEmpty(query.Action) || e.Action == query.Action)
                    && (query.Tenant is null || e.TenantId == query.Tenant.Value.Value)
                    && (string.IsNullOrEmpty(query.Actor) || e.Actor.Contains(query.Actor, StringComparison.OrdinalIgnoreCase)))
                .OrderByDescending(e => e.Sequence).Take(query.Limit).ToList();
    }

    public IReadOnlyList<AuditEntry> Chain(long afterSequence, int limit)
    {
        lock (_gate)
            return [.. _entries.Where(e => e.Sequence > afterSequence).OrderBy(e => e.Sequence).Take(limit)];
    }
}
