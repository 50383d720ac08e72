using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;

namespace EdgePortal.Web.Planning;

/// <summary>
/// A hypothetical migration described the way people reason about it: a state size, a normalised dirty
/// rate r (0 = hardly any page dirtied, 1 = every page every profiling interval), a link bandwidth, the two
/// targets and an objective. <c>POST /api/v1/plans/what-if</c> and the Planner page both take this, so that
/// the same numbers give the same plan in either. The model runs on the paper testbed's parameters unless a host class's
/// calibration is chosen (<see cref="Parameters"/>), as the planner does for a stored service on a calibrated host.
/// </summary>
public sealed record WhatIfInput
{
    /// <summary>M, bytes (&gt; 0).</summary>
    public required long StateSizeBytes { get; init; }
    /// <summary>r in [0, 1] (docs/migration-model.md §1).</summary>
    public required double DirtyRateNormalized { get; init; }
    /// <summary>L, the path bandwidth to the destination, bit/s (&gt; 0).</summary>
    public required double BandwidthBitsPerSecond { get; init; }
    /// <summary>θ_down, ms (&gt; 0).</summary>
    public required double MaxDowntimeMs { get; init; }
    /// <summary>θ_mig, ms (&gt; 0).</summary>
    public required double MaxMigrationTimeMs { get; init; }
    /// <summary>[MOSE] MD or MR.</summary>
    public Objective Objective { get; init; } = Objective.MinDowntime;
    /// <summary>The parameter set the model runs on: the paper testbed's, or a host class's calibration.</summary>
    public PamParameters Parameters { get; init; } = PamParameters.PaperTestbed;
    /// <summary>T_add, ms (≥ 0); null keeps the parameter set's own (the paper testbed's 241 ms).</summary>
    public double? RuntimeOverheadMs { get; init; }
    /// <summary>Force this many IterativePreCopy dump rounds (0..<see cref="PamParameters.MaxIterations"/>); null lets θ_mig decide.</summary>
    public int? Iterations { get; init; }
    /// <summary>λ, messages/s (0 for a request/response service).</summary>
    public double MessageArrivalRate { get; init; }
    /// <summary>μ, messages/s.</summary>
    public double MessageProcessingRate { get; init; }
    /// <summary>Whether PostCopy may be planned (allowPostCopy; off by default, as for tenants and services).</summary>
    public bool AllowPostCopy { get; init; }

    /// <summary>The same hypothetical migration over another link (the feasibility map's x axis).</summary>
    public WhatIfInput AtBandwidth(double bitsPerSecond) => this with { BandwidthBitsPerSecond = bitsPerSecond };
}

/// <summary>
/// Turns a <see cref="WhatIfInput"/> into a <see cref="DesignRequest"/> against one synthetic destination whose
/// path offers exactly the given bandwidth, and designs it. The one place the conversion lives: r becomes a
/// dirty-page rate through <see cref="PamParameters.DirtyPagesPerSecond"/>, T_add (when given) replaces the parameter set's.
/// </summary>
public static class WhatIf
{
    /// <summary>The largest state the what-if accepts (1 TB): beyond it nothing is an edge service.</summary>
    public const double MaxStateSizeBytes = 1e12;

    /// <summary>The synthetic source node; no stored node has this id.</summary>
    public static NodeId Source { get; } = NodeId.From(new Guid("5f0e1c2a-0000-4000-8000-000000000001"));

    /// <summary>The synthetic destination node; no stored node has this id.</summary>
    public static NodeId Destination { get; } = NodeId.From(new Guid("5f0e1c2a-0000-4000-8000-000000000002"));

    /// <summary>How the synthetic destination reads in the rationale ("IterativePreCopy to the destination: …").</summary>
    public const string DestinationName = "the destination";

    private static readonly MigrationDesigner Designer = new();

    /// <summary>The parameter set of the what-if: the input's set with its T_add, when given (the switch part kept within it).</summary>
    public static PamParameters Parameters(WhatIfInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var basis = input.Parameters;
        if (input.RuntimeOverheadMs is not { } runtimeOverheadMs || runtimeOverheadMs == basis.RuntimeOverheadMs)
            return basis;
        return basis with { RuntimeOverheadMs = runtimeOverheadMs, SwitchMs = Math.Min(basis.SwitchMs, runtimeOverheadMs) };
    }

    /// <summary>The dirty-page rate R̂ (pages/s) that r means for this state size.</summary>
    public static double DirtyPagesPerSecond(WhatIfInput input) => Parameters(input).DirtyPagesPerSecond(input.StateSizeBytes, input.DirtyRateNormalized);

    /// <summary>
    /// The designer's request for <paramref name="input"/>: one destination over a path of the given bandwidth, no user
    /// latency to weigh. Throws <see cref="ArgumentException"/> for values outside the ranges the API validates.
    /// </summary>
    public static DesignRequest ToDesignRequest(WhatIfInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var parameters = Parameters(input);
        if (input.Iterations is < 0 || input.Iterations > parameters.MaxIterations)
            throw new ArgumentOutOfRangeException(nameof(input), input.Iterations, $"Iterations must lie in 0..{parameters.MaxIterations}.");
        var profile = new WorkloadProfile(input.StateSizeBytes,
            parameters.DirtyPagesPerSecond(input.StateSizeBytes, input.DirtyRateNormalized),
            input.MessageArrivalRate, input.MessageProcessingRate);
        return new DesignRequest
        {
            Profile = profile,
            Source = Source,
            Destinations = [new DestinationCandidate(Destination, new Bandwidth(input.BandwidthBitsPerSecond), 0, 0, DestinationName)],
            // No users here: their latency target only feeds the rationale's last sentence, which Design drops.
            Targets = new KpiTargets(input.MaxDowntimeMs, input.MaxMigrationTimeMs, maxUserLatencyMs: 1),
            Objective = input.Objective,
            Parameters = parameters,
            ForcedIterations = input.Iterations,
            AllowPostCopy = input.AllowPostCopy,
        };
    }

    /// <summary>
    /// Designs the what-if; the rationale leaves out the users' latency, which a what-if has none of, and ends by naming a
    /// calibrated parameter set as a stored service's plan does ("Model parameters: …").
    /// </summary>
    public static DesignResult Design(WhatIfInput input)
    {
        var design = Designer.Design(ToDesignRequest(input));
        var rationale = WithoutUserLatency(design.Plan.Rationale);
        if (input.Parameters.Name != PamParameters.PaperTestbedName)
            rationale = $"{rationale} {PlanText.ModelParameters(input.Parameters)}";
        return design with { Plan = design.Plan with { Rationale = rationale } };
    }

    /// <summary>Every strategy at the synthetic destination, without choosing (the Planner page's curves).</summary>
    public static IReadOnlyList<StrategyEvaluation> Compare(WhatIfInput input)
    {
        var request = ToDesignRequest(input);
        return Designer.Compare(request, request.Destinations[0]);
    }

    // The designer closes every rationale with "Users would see … ms there (target …)."; a what-if has no users.
    private static string WithoutUserLatency(string rationale)
    {
        var at = rationale.LastIndexOf("Users would see", StringComparison.Ordinal);
        return at > 0 ? rationale[..at].TrimEnd() : rationale;
    }
}
