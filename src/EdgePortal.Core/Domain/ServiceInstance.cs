namespace EdgePortal.Core.Domain;

/// <summary>
/// What the migration model needs to know about a running service: its state size M, its worst-case
/// dirty-page rate R̂ (pages/s), and for message-driven services the arrival rate λ and processing rate μ.
/// </summary>
public sealed record WorkloadProfile
{
    public WorkloadProfile(long stateSizeBytes, double dirtyPagesPerSecond, double messageArrivalRate = 0,
        double messageProcessingRate = 0, int cpuMillicores = 250)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateSizeBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cpuMillicores);
        StateSizeBytes = stateSizeBytes;
        DirtyPagesPerSecond = Guard.FiniteNonNegative(dirtyPagesPerSecond, nameof(dirtyPagesPerSecond));
        MessageArrivalRate = Guard.FiniteNonNegative(messageArrivalRate, nameof(messageArrivalRate));
        MessageProcessingRate = Guard.FiniteNonNegative(messageProcessingRate, nameof(messageProcessingRate));
        CpuMillicores = cpuMillicores;
    }

    public long StateSizeBytes { get; }
    public double DirtyPagesPerSecond { get; }
    /// <summary>λ, messages per second; 0 for a request/response service.</summary>
    public double MessageArrivalRate { get; }
    /// <summary>μ, messages per second the service can process.</summary>
    public double MessageProcessingRate { get; }
    public int CpuMillicores { get; }

    public bool ConsumesMessages => MessageArrivalRate > 0 && MessageProcessingRate > 0;

    /// <summary>Memory the service occupies on a node: its state, which is what CRIU dumps.</summary>
    public long MemoryBytes => StateSizeBytes;
}

/// <summary>The targets a migration of the service must meet: θ_down, θ_mig and the users' latency.</summary>
public sealed record KpiTargets
{
    public KpiTargets(double maxDowntimeMs, double maxMigrationTimeMs, double maxUserLatencyMs)
    {
        MaxDowntimeMs = Guard.FinitePositive(maxDowntimeMs, nameof(maxDowntimeMs));
        MaxMigrationTimeMs = Guard.FinitePositive(maxMigrationTimeMs, nameof(maxMigrationTimeMs));
        MaxUserLatencyMs = Guard.FinitePositive(maxUserLatencyMs, nameof(maxUserLatencyMs));
    }

    public double MaxDowntimeMs { get; }
    public double MaxMigrationTimeMs { get; }
    public double MaxUserLatencyMs { get; }
}

/// <summary>A stateful microservice of a tenant, running on one edge node.</summary>
public sealed record ServiceInstance
{
    public ServiceInstance(ServiceId id, TenantId tenantId, string name, NodeId nodeId, WorkloadProfile profile,
        KpiTargets targets, Objective objective, IReadOnlyDictionary<string, string>? labels = null, string image = "", bool allowPostCopy = false)
    {
        AllowPostCopy = allowPostCopy;
        Id = id;
        TenantId = tenantId;
        Name = Guard.Name(name, nameof(name));
        NodeId = nodeId;
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        Targets = targets ?? throw new ArgumentNullException(nameof(targets));
        Objective = objective;
        Labels = labels ?? new Dictionary<string, string>();
        Image = image ?? "";
    }

    public ServiceId Id { get; }
    public TenantId TenantId { get; }
    public string Name { get; }
    public NodeId NodeId { get; }
    public WorkloadProfile Profile { get; }
    public KpiTargets Targets { get; }
    public Objective Objective { get; }
    public IReadOnlyDictionary<string, string> Labels { get; }
    public string Image { get; }
    /// <summary>
    /// Whether this service may migrate by post-copy, if its tenant allows it too (off by default): during the page-in the
    /// service depends on its source, and a source failure then loses it.
    /// </summary>
    public bool AllowPostCopy { get; }

    /// <summary>The service after a completed migration: same identity, new node.</summary>
    public ServiceInstance MovedTo(NodeId node) => new(Id, TenantId, Name, node, Profile, Targets, Objective, Labels, Image, AllowPostCopy);
}

/// <summary>
/// A group of a service's users (a drone swarm, a fleet, the players in one area) attached to the
/// network at one site. Their latency is the path latency from that site to the service's node.
/// </summary>
public sealed record UserGroup
{
    public UserGroup(UserGroupId id, ServiceId serviceId, string name, NodeId attachedTo, int users)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(users);
        Id = id;
        ServiceId = serviceId;
        Name = Guard.Name(name, nameof(name));
        AttachedTo = attachedTo;
        Users = users;
    }

    public UserGroupId Id { get; }
    public ServiceId ServiceId { get; }
    public string Name { get; }
    /// <summary>The site (node) where the users' traffic enters the edge network.</summary>
    public NodeId AttachedTo { get; }
    public int Users { get; }

    public UserGroup AttachedAt(NodeId site) => new(Id, ServiceId, Name, site, Users);
}
