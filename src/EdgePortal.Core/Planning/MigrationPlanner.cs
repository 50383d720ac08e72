using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>What the planner may be told beyond the service's own profile, targets and objective.</summary>
public sealed record PlanningOptions
{
    /// <summary>The calibration to use when <see cref="ParametersForHostClass"/> is absent or has none for the source's class.</summary>
    public PamParameters Parameters { get; init; } = PamParameters.PaperTestbed;
    /// <summary>
    /// Picks the calibration for the source host's class (<see cref="EdgeNode.HostClass"/>); null falls back to <see cref="Parameters"/>.
    /// When set, the plan's rationale ends by naming the parameter set used (<see cref="PamParameters.Name"/>).
    /// </summary>
    public Func<string, PamParameters?>? ParametersForHostClass { get; init; }
    /// <summary>Overrides the service's objective.</summary>
    public Objective? Objective { get; init; }
    /// <summary>Overrides the service's targets.</summary>
    public KpiTargets? Targets { get; init; }
    /// <summary>Only this node is considered (it must still pass placement).</summary>
    public NodeId? Destination { get; init; }
    /// <inheritdoc cref="DesignRequest.ForcedIterations"/>
    public int? ForcedIterations { get; init; }
    /// <inheritdoc cref="DesignRequest.StrategyOverride"/>
    public MigrationStrategy? StrategyOverride { get; init; }
    /// <inheritdoc cref="DesignRequest.BandwidthCap"/>
    public Bandwidth? BandwidthCap { get; init; }
    /// <summary>
    /// What the runtime can do on a node (the source, and each destination the designer tries), as probed; null when
    /// nothing restricts the plan (a what-if). The coordinator reads it from the <see cref="Execution.RuntimeCapabilityCatalog"/>.
    /// </summary>
    public Func<EdgeNode, Execution.NodeCapabilities?>? Capabilities { get; init; }
    /// <summary>
    /// What a transfer from the source (first) to a destination (second) can have of the path, when other migrations
    /// hold part of it (the residual of the <see cref="Capacity.LinkLedger"/>); null plans on the path's whole bandwidth.
    /// </summary>
    public Func<NodeId, NodeId, Bandwidth>? ResidualBandwidth { get; init; }
}

/// <summary>Where and how to migrate one service: the placement, the design (null when no node can take it), and a one-line summary.</summary>
public sealed record PlanningResult(ServiceInstance Service, PlacementResult Placement, DesignResult? Design, string Summary)
{
    public bool Feasible => Design?.Feasible ?? false;
    public MigrationPlan? Plan => Design?.Plan;
}

/// <summary>
/// Placement and design together: ranks the destinations for a service (<see cref="PlacementRanker"/>) and
/// designs the migration to the best one for which a feasible plan exists (<see cref="MigrationDesigner"/>);
/// when none is feasible, the nearest plan with what would make it feasible. One instance per topology snapshot.
/// </summary>
public sealed class MigrationPlanner
{
    private readonly PlacementRanker _ranker;
    private readonly MigrationDesigner _designer;

    public MigrationPlanner(EdgeTopology topology, MigrationDesigner? designer = null)
    {
        _ranker = new PlacementRanker(topology);
        _designer = designer ?? new MigrationDesigner();
    }

    public EdgeTopology Topology => _ranker.Topology;

    public PlanningResult Plan(ServiceInstance service, Tenant tenant, PlanningOptions? options = null)
    {
        options ??= DefaultOptions;
        var placement = _ranker.Rank(service, tenant);
        var candidates = placement.Candidates;
        DestinationCandidate[] destinations;
        if (options.Destination is { } only)
        {
            destinations = [];
            foreach (var candidate in candidates)
                if (candidate.Node == only)
                    destinations = [candidate.ToDestination()];
            if (destinations.Length == 0)
                return new PlanningResult(service, placement, null, NoDestination(service, placement, only));
        }
        else
        {
            if (candidates.Count == 0)
                return new PlanningResult(service, placement, null, NoDestination(service, placement, null));
            destinations = new DestinationCandidate[candidates.Count];
            for (var i = 0; i < destinations.Length; i++)
                destinations[i] = candidates[i].ToDestination();
        }
        if (options.ResidualBandwidth is { } residual)
            for (var i = 0; i < destinations.Length; i++)
                destinations[i] = destinations[i] with { PathBandwidth = residual(service.NodeId, destinations[i].Node) };
        Execution.NodeCapabilities? sourceCapabilities = null;
        if (options.Capabilities is { } capabilitiesOf)
        {
            sourceCapabilities = capabilitiesOf(Topology.Node(service.NodeId));
            for (var i = 0; i < destinations.Length; i++)
                destinations[i] = destinations[i] with { Capabilities = capabilitiesOf(Topology.Node(destinations[i].Node)) };
        }

        var parameters = options.Parameters;
        string? model = null;
        if (options.ParametersForHostClass is { } pick)
        {
            // Said in the rationale whenever a calibration was looked for, so that a plan shows which set it rests on.
            var hostClass = Topology.Node(service.NodeId).HostClass;
            if (pick(hostClass) is { } forClass)
            {
                parameters = forClass;
                model = PlanText.ModelParameters(forClass);
            }
            else
                model = PlanText.ModelParameters(parameters, $"host class '{hostClass}' has no calibration");
        }
        var request = new DesignRequest
        {
            Profile = service.Profile,
            Source = service.NodeId,
            Destinations = destinations,
            Targets = options.Targets ?? service.Targets,
            Objective = options.Objective ?? service.Objective,
            Parameters = parameters,
            ForcedIterations = options.ForcedIterations,
            StrategyOverride = options.StrategyOverride,
            BandwidthCap = options.BandwidthCap,
            SourceCapabilities = sourceCapabilities,
            AllowPostCopy = tenant.AllowPostCopy && service.AllowPostCopy,
            PostCopyDeniedBy = (tenant.AllowPostCopy, service.AllowPostCopy) switch
            {
                (false, false) => $"tenant {tenant.Name} and service {service.Name}",
                (false, true) => $"tenant {tenant.Name}",
                (true, false) => $"service {service.Name}",
                _ => null,
            },
        };
        var design = _designer.DesignRanked(request);
        if (model is not null)
            design = design with { Plan = design.Plan with { Rationale = $"{design.Plan.Rationale} {model}" } };
        var rank = 0;
        for (var i = 0; i < candidates.Count; i++)
            if (candidates[i].Node == design.Destination.Node)
                rank = candidates[i].Rank;
        var summary = design.Feasible
            ? $"{service.Name}: {design.Plan.Strategy} to {design.Destination.DisplayName} (candidate #{rank} of {candidates.Count}), downtime {PlanText.Duration(design.Plan.PredictedDowntimeMs)}, migration time {PlanText.Duration(design.Plan.PredictedMigrationTimeMs)}."
            : $"{service.Name}: no feasible plan at any of {destinations.Length} candidate{(destinations.Length == 1 ? "" : "s")}; nearest is {design.Plan.Strategy} to {design.Destination.DisplayName} ({design.Plan.BindingConstraint ?? "targets"} missed).";
        return new PlanningResult(service, placement, design, summary);
    }

    private static readonly PlanningOptions DefaultOptions = new();

    /// <summary>Why no node can take the service (or the one asked for): the summary of a planning without a design.</summary>
    public static string NoDestination(ServiceInstance service, PlacementResult placement, NodeId? only)
    {
        if (only is { } node)
        {
            foreach (var excluded in placement.Excluded)
                if (excluded.Node == node)
                    return $"{service.Name}: the requested destination cannot take it ({excluded.Explanation}).";
            return $"{service.Name}: the requested destination {node} is not in the topology.";
        }
        var counts = new int[Enum.GetValues<PlacementExclusion>().Length];
        foreach (var excluded in placement.Excluded)
            counts[(int)excluded.Reason]++;
        var parts = new List<string>();
        for (var i = 0; i < counts.Length; i++)
            if (counts[i] > 0)
                parts.Add($"{counts[i]} {Describe((PlacementExclusion)i)}");
        return $"{service.Name}: no node can take it ({string.Join(", ", parts)}).";
    }

    private static string Describe(PlacementExclusion reason) => reason switch
    {
        PlacementExclusion.CurrentNode => "current",
        PlacementExclusion.ClusterNotAllowed => "in clusters not allotted to the tenant",
        PlacementExclusion.NotReady => "not ready",
        PlacementExclusion.NoRoom => "without room",
        PlacementExclusion.UnreachableFromSource => "unreachable from the source",
        PlacementExclusion.UsersUnreachable => "unreachable by the users",
        _ => reason.ToString(),
    };
}
