namespace EdgePortal.Core.Domain;

/// <summary>
/// A replica's claim on one migration: only <see cref="Owner"/> drives it until <see cref="ExpiresAt"/>, and it renews
/// the lease well before then. <see cref="Token"/> grows with every claim of the migration (a fencing token): a holder
/// whose lease expired and was claimed again holds a smaller token and can neither renew nor release it.
/// </summary>
public sealed record MigrationLease(MigrationId MigrationId, string Owner, long Token, DateTimeOffset ExpiresAt);

/// <summary>
/// The concurrency limits a claim keeps across every replica, counted over the unexpired leases of unfinished
/// migrations: per cluster, per source node (outbound), and per tenant where the tenant has a quota.
/// </summary>
public sealed record ClaimLimits(int MaxPerCluster, int MaxOutboundPerNode, IReadOnlyDictionary<TenantId, int>? MaxPerTenant = null)
{
    public int? TenantLimit(TenantId tenant) => MaxPerTenant is not null && MaxPerTenant.TryGetValue(tenant, out var max) ? max : null;
}

/// <summary>
/// Which queued migrations a claim may take: those the claiming replica accepted itself (<see cref="Own"/>) at once, and
/// another replica's only once queued at or before <see cref="OthersQueuedBefore"/>. The replica that accepts a
/// migration publishes its Queued event, so it runs it unless it is busy or gone: another replica starting it at once
/// could deliver its Started before the Queued event had left the first replica.
/// </summary>
public sealed record ClaimScope(IReadOnlySet<MigrationId> Own, DateTimeOffset OthersQueuedBefore)
{
    /// <summary>Queued migrations held back until their predicted start (planned to follow others on the links): not claimed now.</summary>
    public IReadOnlySet<MigrationId> Held { get; init; } = new HashSet<MigrationId>();

    public bool Allows(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        return !Held.Contains(migration.Id) && (Own.Contains(migration.Id) || migration.CreatedAt <= OthersQueuedBefore);
    }
}

/// <summary>
/// Storage primitives for running each migration on exactly one replica. Times are the caller's clock (replicas keep
/// theirs in step, as NTP does on any cluster); the store makes each claim atomic, so two replicas claiming at once
/// never get the same migration and never exceed the limits together.
/// </summary>
public interface IMigrationLeaseStore
{
    /// <summary>
    /// Claims queued migrations that no one holds (no lease, or an expired one), oldest first, for
    /// <paramref name="owner"/> until <paramref name="now"/> + <paramref name="duration"/>: at most
    /// <paramref name="max"/>, and only those that fit <paramref name="limits"/> beside the leases already held and that
    /// <paramref name="scope"/> allows (null: any).
    /// </summary>
    IReadOnlyList<MigrationLease> ClaimQueued(string owner, DateTimeOffset now, TimeSpan duration, ClaimLimits limits, int max, ClaimScope? scope = null);

    /// <summary>
    /// Claims in-flight migrations (Running or RollingBack) whose lease expired or that never had one: their replica
    /// died, and the claimer resumes or rolls them back. Oldest first, at most <paramref name="max"/>.
    /// </summary>
    IReadOnlyList<MigrationLease> ClaimAbandoned(string owner, DateTimeOffset now, TimeSpan duration, int max);

    /// <summary>Extends a lease its holder still has (same owner and token); null when it was lost.</summary>
    MigrationLease? Renew(MigrationLease lease, DateTimeOffset now, TimeSpan duration);

    /// <summary>Gives a lease up (the migration finished, or the replica stops); false when it was no longer held.</summary>
    bool Release(MigrationLease lease);

    /// <summary>The leases not yet expired at <paramref name="now"/>, on unfinished migrations.</summary>
    IReadOnlyList<MigrationLease> Active(DateTimeOffset now);
}
