namespace EdgePortal.Core.Domain;

/// <summary>
/// A customer of the edge provider. It sees only its own services and may use only the clusters it is allotted, with at
/// most <see cref="MaxConcurrentMigrations"/> migrations in flight reserving at most <see cref="MaxReservedBandwidthBitsPerSecond"/>
/// together (null: no quota).
/// </summary>
public sealed record Tenant
{
    public Tenant(TenantId id, string name, IReadOnlyList<ClusterId> allowedClusters, Objective defaultObjective = Objective.MinDowntime,
        int? maxConcurrentMigrations = null, double? maxReservedBandwidthBitsPerSecond = null, bool allowPostCopy = false)
    {
        AllowPostCopy = allowPostCopy;
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
    /// <summary>
    /// Whether the tenant accepts post-copy for services that ask for it (KubeVirt's <c>allowPostCopy</c>; off by default): during
    /// post-copy's page-in the service depends on its source, and a source failure then loses the service.
    /// </summary>
    public bool AllowPostCopy { get; }

    public bool MayUse(ClusterId cluster) => AllowedClusters.Contains(cluster);
}

/// <summary>What the designer optimises once the KPI targets are met ([MOSE] MD and MR).</summary>
public enum Objective
{
    MinDowntime,
    MinResources,
}
