namespace EdgePortal.Core.Domain;

/// <summary>A customer of the edge provider. It sees only its own services and may use only the clusters it is allotted.</summary>
public sealed record Tenant
{
    public Tenant(TenantId id, string name, IReadOnlyList<ClusterId> allowedClusters, Objective defaultObjective = Objective.MinDowntime)
    {
        Id = id;
        Name = Guard.Name(name, nameof(name));
        AllowedClusters = allowedClusters ?? throw new ArgumentNullException(nameof(allowedClusters));
        DefaultObjective = defaultObjective;
    }

    public TenantId Id { get; }
    public string Name { get; }
    public IReadOnlyList<ClusterId> AllowedClusters { get; }
    public Objective DefaultObjective { get; }

    public bool MayUse(ClusterId cluster) => AllowedClusters.Contains(cluster);
}

/// <summary>What the designer optimises once the KPI targets are met ([MOSE] MD and MR).</summary>
public enum Objective
{
    MinDowntime,
    MinResources,
}
