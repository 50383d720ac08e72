namespace EdgePortal.Core.Domain;

/// <summary>
/// A customer of the edge provider. It sees only its own services and may use only the clusters it is allotted, with at
/// most <see cref="MaxConcurrentMigrations"/> migrations in flight reserving at most <see cref="MaxReservedBandwidthBitsPerSecond"/>
/// together (null: no quota).
/// </summary>
public sealed record Tenant
{
    public Tenant(TenantId id, string name, IReadOnlyList<ClusterId> allowedClusters, Objective defaultObjective = Objective.MinDowntime,
        int? maxConcurrentMigrations = null, double? maxReservedBandwidthBitsPerSecond = null)
    {
        if (maxConcurrentMigrations is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxConcurrentMigrations), maxConcurrentMigrations, "A quota of concurrent migrations is at least 1 (null: none).");
        if (maxReservedBandwidthBitsPerSecond is { } bw && (!double.IsFinite(bw) || bw <= 0))
            throw new ArgumentOutOfRangeException(nameof(maxReservedBandwidthBitsPerSecond), maxReservedBandwidthBitsPerSecond, "A bandwidth quota is a positive number (null: none).");
        MaxConcurrentMigrations = maxConcurrentMigrations;
        MaxReservedBandwidthBitsPerSecond = maxReservedBandwidthBitsPerSecond;
        Id = id;
        Name = Guard.Name(name, nameof(name));
        AllowedClusters = allowedClusters ?? throw new ArgumentNullException(nameof(allowedClusters));
        DefaultObjective = defaultObjective;
    }

    public TenantId Id { get; }
    public string Name { get; }
    public IReadOnlyList<ClusterId> AllowedClusters { get; }
    public Objective DefaultObjective { get; }
    public int? MaxConcurrentMigrations { get; }
    public double? MaxReservedBandwidthBitsPerSecond { get; }

    public bool MayUse(ClusterId cluster) => AllowedClusters.Contains(cluster);
}

/// <summary>What the designer optimises once the KPI targets are met ([MOSE] MD and MR).</summary>
public enum Objective
{
    MinDowntime,
    MinResources,
}
