using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>
/// Leases over an <see cref="InMemoryMigrationRepository"/>, with the semantics of the LiteDB and PostgreSQL stores: one
/// lease per migration with a growing fencing token, claims atomic under one lock, limits counted over the unexpired
/// leases of unfinished migrations. Two engines sharing one instance behave as two replicas on one database.
/// </summary>
public sealed class InMemoryMigrationLeaseStore(InMemoryMigrationRepository migrations) : IMigrationLeaseStore
{
    private static readonly MigrationState[] InFlight = [MigrationState.Running, MigrationState.RollingBack];

    private readonly Lock _gate = new();
    private readonly Dictionary<MigrationId, Entry> _leases = [];

    public IReadOnlyList<MigrationLease> ClaimQueued(string owner, DateTimeOffset now, TimeSpan duration, ClaimLimits limits, int max, ClaimScope? scope = null)
    {
        Validate(owner, duration);
        ArgumentNullException.ThrowIfNull(limits);
        lock (_gate)
        {
            var unfinished = migrations.Unfinished();
            var held = Held(unfinished, now);
            var claimed = new List<MigrationLease>();
            foreach (var migration in unfinished.Where(m => m.State == MigrationState.Queued).OrderBy(MigrationQuery.CursorOf))
            {
                if (claimed.Count >= max)
                    break;
                if (held.Any(m => m.Id == migration.Id) || scope?.Allows(migration) == false)
                    continue;
                if (held.Count(m => m.ClusterId == migration.ClusterId) >= limits.MaxPerCluster
                    || held.Count(m => m.Source == migration.Source) >= limits.MaxOutboundPerNode
                    || limits.TenantLimit(migration.TenantId) is { } tenantMax && held.Count(m => m.TenantId == migration.TenantId) >= tenantMax)
                    continue;
                claimed.Add(Claim(migration.Id, owner, now, duration));
                held.Add(migration);
            }
            return claimed;
        }
    }

    public IReadOnlyList<MigrationLease> ClaimAbandoned(string owner, DateTimeOffset now, TimeSpan duration, int max)
    {
        Validate(owner, duration);
        lock (_gate)
        {
            var unfinished = migrations.Unfinished();
            var held = Held(unfinished, now).Select(m => m.Id).ToHashSet();
            return [.. unfinished.Where(m => InFlight.Contains(m.State) && !held.Contains(m.Id)).OrderBy(MigrationQuery.CursorOf).Take(max)
                .Select(m => Claim(m.Id, owner, now, duration))];
        }
    }

    public MigrationLease? Renew(MigrationLease lease, DateTimeOffset now, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Validate(lease.Owner, duration);
        lock (_gate)
        {
            if (!Holds(lease))
                return null;
            _leases[lease.MigrationId] = _leases[lease.MigrationId] with { ExpiresAt = now + duration };
            return lease with { ExpiresAt = now + duration };
        }
    }

    public bool Release(MigrationLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_gate)
        {
            if (!Holds(lease))
                return false;
            // The token stays, so that the next claim's token is still larger than every one handed out before.
            _leases[lease.MigrationId] = _leases[lease.MigrationId] with { Owner = null, ExpiresAt = DateTimeOffset.MinValue };
            return true;
        }
    }

    public IReadOnlyList<MigrationLease> Active(DateTimeOffset now)
    {
        lock (_gate)
            return [.. Held(migrations.Unfinished(), now).Select(m => ToLease(m.Id, _leases[m.Id]))
                .OrderBy(l => l.MigrationId.Value.ToString("d"), StringComparer.Ordinal)];
    }

    /// <summary>The unfinished migrations with an unexpired, held lease.</summary>
    private List<Migration> Held(IReadOnlyList<Migration> unfinished, DateTimeOffset now)
        => [.. unfinished.Where(m => _leases.TryGetValue(m.Id, out var e) && e.Owner is not null && e.ExpiresAt > now)];

    private MigrationLease Claim(MigrationId id, string owner, DateTimeOffset now, TimeSpan duration)
    {
        var token = _leases.TryGetValue(id, out var previous) ? previous.Token + 1 : 1L;
        var entry = new Entry(owner, token, now + duration);
        _leases[id] = entry;
        return ToLease(id, entry);
    }

    private bool Holds(MigrationLease lease)
        => _leases.TryGetValue(lease.MigrationId, out var entry) && entry.Owner == lease.Owner && entry.Token == lease.Token;

    private static MigrationLease ToLease(MigrationId id, Entry entry) => new(id, entry.Owner!, entry.Token, entry.ExpiresAt);

    private static void Validate(string owner, TimeSpan duration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
    }

    private sealed record Entry(string? Owner, long Token, DateTimeOffset ExpiresAt);
}
