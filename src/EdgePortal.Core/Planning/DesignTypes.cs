using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Core.Planning;

/// <summary>
/// A node the service could move to, as the designer sees it: the bottleneck bandwidth of the path from
/// the source, the latency the users would see there, the node's load (0–1), and what its runtime can do there
/// (<see cref="Capabilities"/>; null when nothing restricts it).
/// </summary>
public sealed record DestinationCandidate(NodeId Node, Bandwidth PathBandwidth, double UserLatencyMs, double Load, string? Name = null,
    NodeCapabilities? Capabilities = null)
{
    /// <summary>An input of the designer, not part of its answer: what it ruled out is in each <see cref="StrategyEvaluation.RuledOutBy"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public NodeCapabilities? Capabilities { get; init; } = Capabilities;

    /// <summary>The name to show, or the id when there is none.</summary>
    public string DisplayName => Name ?? Node.ToString();
}

/// <summary>
/// Everything the designer needs for one migration. The caller picks <see cref="Parameters"/> for the
/// source host's class and passes what the source's runtime can do (<see cref="SourceCapabilities"/>; each destination
/// carries its own), so that only what the node pair can run is planned.
/// </summary>
public sealed record DesignRequest
{
    /// <summary>M, R̂ and, for message-driven services, λ and μ (raw values go through the <see cref="WorkloadProfile"/> constructor).</summary>
    public required WorkloadProfile Profile { get; init; }
    /// <summary>The node the service runs on.</summary>
    public required NodeId Source { get; init; }
    /// <summary>Where it may go. The designer tries them best first (user latency, then bandwidth, then load) and takes the first with a feasible plan.</summary>
    public required IReadOnlyList<DestinationCandidate> Destinations { get; init; }
    /// <summary>θ_down and θ_mig (and the users' latency, which the rationale reports).</summary>
    public required KpiTargets Targets { get; init; }
    /// <summary>[MOSE] MD or MR.</summary>
    public Objective Objective { get; init; } = Objective.MinDowntime;
    /// <summary>The calibration of the source host's class.</summary>
    public PamParameters Parameters { get; init; } = PamParameters.PaperTestbed;
    /// <summary>Use exactly this many dump rounds for IterativePreCopy instead of deriving them from θ_mig.</summary>
    public int? ForcedIterations { get; init; }
    /// <summary>Plan this strategy whatever the comparison says (it is still evaluated and explained).</summary>
    public MigrationStrategy? StrategyOverride { get; init; }
    /// <summary>Reserve at most this much, even if the path offers more.</summary>
    public Bandwidth? BandwidthCap { get; init; }
    /// <summary>
    /// What the source's runtime can do there, as probed; a strategy it rules out (<see cref="CapabilityRules"/>) is not
    /// applicable and the rationale names the capability. Null when nothing restricts it (a what-if).
    /// </summary>
    public NodeCapabilities? SourceCapabilities { get; init; }
    /// <summary>
    /// Whether PostCopy may be planned (KubeVirt's <c>allowPostCopy</c>; off by default): until its last page arrives the service
    /// depends on the source, and a source failure in that window loses it. The planner allows it when both the tenant and
    /// the service do (<see cref="Tenant.AllowPostCopy"/>, <see cref="ServiceInstance.AllowPostCopy"/>).
    /// </summary>
    public bool AllowPostCopy { get; init; }
    /// <summary>Who keeps PostCopy off, for the rationale ("service s1", "tenant acme"); null says "allowPostCopy is off".</summary>
    public string? PostCopyDeniedBy { get; init; }

    /// <summary>A request for a service as it is: its profile, node, targets and objective.</summary>
    public static DesignRequest For(ServiceInstance service, IReadOnlyList<DestinationCandidate> destinations, PamParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        return new DesignRequest
        {
            Profile = service.Profile,
            Source = service.NodeId,
            Destinations = destinations,
            Targets = service.Targets,
            Objective = service.Objective,
            Parameters = parameters ?? PamParameters.PaperTestbed,
            AllowPostCopy = service.AllowPostCopy,
            PostCopyDeniedBy = service.AllowPostCopy ? null : $"service {service.Name}",
        };
    }
}

/// <summary>How one strategy fares for the request at the chosen destination.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="PredictedDowntimeMs">T_down at <paramref name="ReservedBandwidthBitsPerSecond"/>.</param>
/// <param name="PredictedMigrationTimeMs">T_mig at <paramref name="ReservedBandwidthBitsPerSecond"/>.</param>
/// <param name="Iterations">Dump rounds I (0 unless IterativePreCopy).</param>
/// <param name="MinBandwidthBitsPerSecond">The least bandwidth meeting both targets with these iterations; null when infeasible.</param>
/// <param name="Feasible">Whether the strategy applies and meets θ_down and θ_mig within the available bandwidth.</param>
/// <param name="Reason">Why, in plain English, with the numbers.</param>
/// <param name="ReservedBandwidthBitsPerSecond">What the strategy would reserve: all that is available under MinDowntime, the least sufficient under MinResources.</param>
/// <param name="CutoffMs">T_cutoff from the checkpoint, for ReplayWithCutoff.</param>
/// <param name="BindingConstraint">The constraint that decided the configuration or made it infeasible (θ_down, θ_mig, iteration cap, …).</param>
/// <param name="Applicable">False when the strategy does not apply at all (no message stream, or a capability of the node pair's runtime missing).</param>
/// <param name="RuledOutBy">The missing capability, named with who lacks it ("node h1: no dirty tracking"), when that is why it does not apply.</param>
public sealed record StrategyEvaluation(
    MigrationStrategy Strategy,
    double PredictedDowntimeMs,
    double PredictedMigrationTimeMs,
    int Iterations,
    double? MinBandwidthBitsPerSecond,
    bool Feasible,
    string Reason,
    double ReservedBandwidthBitsPerSecond,
    double? CutoffMs,
    string? BindingConstraint,
    bool Applicable,
    string? RuledOutBy = null);

/// <summary>A destination the designer tried, and the best (or nearest) strategy it found there.</summary>
public sealed record DestinationAssessment(
    DestinationCandidate Candidate,
    MigrationStrategy Strategy,
    bool Feasible,
    string? BindingConstraint,
    double PredictedDowntimeMs,
    double PredictedMigrationTimeMs)
{
    /// <summary>One line for people (formatted on demand).</summary>
    public string Summary => Feasible
        ? $"{Strategy} meets the targets at {Candidate.DisplayName}: downtime {PlanText.Duration(PredictedDowntimeMs)}, migration time {PlanText.Duration(PredictedMigrationTimeMs)}"
        : $"no feasible plan at {Candidate.DisplayName}: nearest is {Strategy}, {BindingConstraint ?? "targets"} missed (downtime {PlanText.Duration(PredictedDowntimeMs)}, migration time {PlanText.Duration(PredictedMigrationTimeMs)})";
}

/// <summary>
/// The designer's answer: the plan (feasible, or the nearest infeasible one with what would make it feasible),
/// the destination it is for, the per-strategy comparison at that destination, and the destinations tried.
/// </summary>
public sealed record DesignResult(
    MigrationPlan Plan,
    DestinationCandidate Destination,
    IReadOnlyList<StrategyEvaluation> Strategies,
    IReadOnlyList<DestinationAssessment> ConsideredDestinations)
{
    public bool Feasible => Plan.Feasible;

    /// <summary>The evaluation of the strategy the plan uses.</summary>
    public StrategyEvaluation Chosen
    {
        get
        {
            foreach (var evaluation in Strategies)
                if (evaluation.Strategy == Plan.Strategy)
                    return evaluation;
            throw new InvalidOperationException("The plan's strategy has no evaluation.");
        }
    }
}

/// <summary>The names of the constraints a plan can be bound by, as the plan and the UI show them.</summary>
public static class PlanConstraints
{
    public const string Downtime = "θ_down";
    public const string MigrationTime = "θ_mig";
    public const string IterationCap = "iteration cap";
    public const string DirtyPageTracking = "dirty-page tracking";
    public const string PreDump = "pre-dump";
    public const string ReplayBroker = "broker for replay";
    public const string ImageLimit = "image size limit";
    public const string RuntimeCapability = "runtime capability";
    public const string MessageStream = "message stream";
    public const string ReplayDivergence = "replay divergence (μ ≤ λ)";
    public const string Bandwidth = "bandwidth";
    public const string LazyPages = "lazy pages";
    public const string PostCopyNotAllowed = "allowPostCopy";
    /// <summary>Source and destination in two clusters that cannot migrate to each other (runtime kinds, no shared registry, a strategy that stays in its cluster).</summary>
    public const string ClusterPair = "cluster pair";
}
