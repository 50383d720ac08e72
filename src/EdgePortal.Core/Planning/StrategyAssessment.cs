using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Core.Planning;

/// <summary>The request's numbers, pointed at one destination at a time (<see cref="At"/>).</summary>
internal sealed class DesignInputs
{
    public DesignInputs(DesignRequest request)
    {
        var profile = request.Profile;
        Parameters = request.Parameters;
        StateBytes = profile.StateSizeBytes;
        R = Parameters.NormalisedDirtyRate(profile);
        Lambda = profile.MessageArrivalRate;
        Mu = profile.MessageProcessingRate;
        ConsumesMessages = profile.ConsumesMessages;
        MaxDowntimeMs = request.Targets.MaxDowntimeMs;
        MaxMigrationTimeMs = request.Targets.MaxMigrationTimeMs;
        MaxUserLatencyMs = request.Targets.MaxUserLatencyMs;
        Objective = request.Objective;
        ForcedIterations = request.ForcedIterations;
        SourceCapabilities = request.SourceCapabilities;
        AllowPostCopy = request.AllowPostCopy;
        PostCopyDeniedBy = request.PostCopyDeniedBy;
    }

    /// <summary>Points the inputs at a destination: what its path offers, within the cap, and what its runtime can do.</summary>
    public void At(DestinationCandidate candidate, Bandwidth? cap)
    {
        var available = candidate.PathBandwidth.BytesPerMillisecond;
        if (cap is { } limit && limit.BytesPerMillisecond < available)
            available = limit.BytesPerMillisecond;
        AvailableBytesPerMs = available;
        DestinationCapabilities = candidate.Capabilities;
    }

    public PamParameters Parameters { get; }
    public long StateBytes { get; }
    public double R { get; }
    public double Lambda { get; }
    public double Mu { get; }
    public bool ConsumesMessages { get; }
    public double MaxDowntimeMs { get; }
    public double MaxMigrationTimeMs { get; }
    public double MaxUserLatencyMs { get; }
    public Objective Objective { get; }
    public int? ForcedIterations { get; }
    public NodeCapabilities? SourceCapabilities { get; }
    public bool AllowPostCopy { get; }
    public string? PostCopyDeniedBy { get; }
    public NodeCapabilities? DestinationCapabilities { get; private set; }
    public double AvailableBytesPerMs { get; private set; }
}

/// <summary>One strategy at one destination: its configuration, predictions and verdict (numbers only; text is built for the answer).</summary>
internal struct StrategyAssessment
{
    public MigrationStrategy Strategy;
    public bool Applicable;
    public bool Feasible;
    public double BandwidthBytesPerMs;
    public int Iterations;
    public double DowntimeMs;
    public double MigrationTimeMs;
    public double? CutoffMs;
    public BandwidthRequirement Requirement;
    public string? Binding;
    public string? NotApplicable;
    /// <summary>Set when a capability of the node pair's runtime is why the strategy does not apply.</summary>
    public bool RuledOutByCapability;
    public IterationProblem IterationProblem;
    public IterationBudget Budget;
    public double DownRatio;
    public double MigRatio;
    public double Score;
    public PamPrediction Pam;
    public ReplayPrediction Replay;
    public PostCopyPrediction PostCopy;
    /// <summary>For a PostCopy kept off by allowPostCopy: whether the node pair could run it (so that it is worth mentioning).</summary>
    public bool PostCopyRunnable;
}

internal enum IterationProblem
{
    None,
    /// <summary>Even I = 0 misses θ_mig.</summary>
    NoPreCopyFits,
    /// <summary>I = 0 fits, so there is no room for a dump round.</summary>
    NoRoundFits,
}

/// <summary>
/// Assessment: configures one strategy for a destination (iterations, reserved bandwidth), predicts its downtime and
/// migration time with [PAM] or the MS2M replay model, and says whether it applies and meets θ_down and θ_mig.
/// </summary>
internal static class StrategyAssessor
{
    internal static StrategyAssessment Assess(DesignInputs x, MigrationStrategy strategy)
    {
        var p = x.Parameters;
        var a = new StrategyAssessment { Strategy = strategy, Applicable = true };
        var isReplay = strategy is MigrationStrategy.MessageReplay or MigrationStrategy.ReplayWithCutoff;
        var capability = CapabilityRules.RuleOut(strategy, x.SourceCapabilities, x.DestinationCapabilities, x.StateBytes);
        if (strategy == MigrationStrategy.PostCopy && !x.AllowPostCopy)
        {
            // The permission comes first: a strategy nobody allowed is not reported as missing a capability.
            a.NotApplicable = $"allowPostCopy is off{(x.PostCopyDeniedBy is { } who ? $" for {who}" : "")}: until its last page arrives the service would depend on the source, and a source failure then loses it";
            a.Binding = PlanConstraints.PostCopyNotAllowed;
            a.PostCopyRunnable = capability is null;
        }
        else if (capability is { } ruledOut)
        {
            a.NotApplicable = ruledOut.Reason;
            a.Binding = ruledOut.Constraint;
            a.RuledOutByCapability = true;
        }
        else if (isReplay && !x.ConsumesMessages)
        {
            a.NotApplicable = "the service consumes no message stream, so there is nothing to replay";
            a.Binding = PlanConstraints.MessageStream;
        }
        a.Applicable = a.NotApplicable is null;

        // Iterations: forced, else the most that fit θ_mig at full bandwidth (MD), else one round (MR).
        if (strategy == MigrationStrategy.IterativePreCopy)
        {
            if (x.ForcedIterations is { } forced)
                a.Iterations = forced;
            else if (x.Objective == Objective.MinResources)
                a.Iterations = 1;
            else
            {
                a.Budget = PamConfiguration.MaxIterations(x.StateBytes, x.R, x.AvailableBytesPerMs, x.MaxMigrationTimeMs, p);
                a.Iterations = a.Budget.Iterations is int n && n > 0 ? n : 1;
                a.IterationProblem = a.Budget.Iterations switch
                {
                    null => IterationProblem.NoPreCopyFits,
                    0 => IterationProblem.NoRoundFits,
                    _ => IterationProblem.None,
                };
            }
        }

        a.Requirement = Requirement(x, strategy, a.Iterations);
        var fits = a.Requirement.FitsWithin(x.AvailableBytesPerMs);
        a.BandwidthBytesPerMs = x.Objective == Objective.MinResources && fits && a.IterationProblem == IterationProblem.None
            ? PamConfiguration.Reserve(a.Requirement, x.AvailableBytesPerMs, p)
            : x.AvailableBytesPerMs;
        Predict(x, ref a);

        var meets = Meets(a.DowntimeMs, x.MaxDowntimeMs) && Meets(a.MigrationTimeMs, x.MaxMigrationTimeMs);
        a.Feasible = a.Applicable && a.IterationProblem == IterationProblem.None && fits && meets;
        a.DownRatio = a.DowntimeMs / x.MaxDowntimeMs;
        a.MigRatio = a.MigrationTimeMs / x.MaxMigrationTimeMs;
        a.Score = a.Applicable && !double.IsNaN(a.DownRatio) && !double.IsNaN(a.MigRatio) ? Math.Max(a.DownRatio, a.MigRatio) : double.PositiveInfinity;

        if (!a.Applicable)
            return a;
        if (a.Feasible)
            a.Binding = FeasibleBinding(x, a, a.Budget);
        else if (x.AvailableBytesPerMs <= 0)
            a.Binding = PlanConstraints.Bandwidth;
        else if (strategy == MigrationStrategy.MessageReplay && !a.Replay.Converges)
            a.Binding = PlanConstraints.ReplayDivergence;
        else if (a.IterationProblem != IterationProblem.None)
            a.Binding = PlanConstraints.MigrationTime;
        else
            a.Binding = a.DownRatio >= a.MigRatio ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
        return a;
    }


    internal static BandwidthRequirement Requirement(DesignInputs x, MigrationStrategy strategy, int iterations) => strategy switch
    {
        MigrationStrategy.MessageReplay => ReplayModel.MinBandwidthForMessageReplay(x.StateBytes, x.Lambda, x.Mu, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
        MigrationStrategy.ReplayWithCutoff => ReplayModel.MinBandwidthForCutoff(x.StateBytes, x.Lambda, x.Mu, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
        MigrationStrategy.PostCopy => PostCopyModel.MinBandwidth(x.StateBytes, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
        _ => PamConfiguration.MinBandwidth(strategy, x.StateBytes, x.R, iterations, x.MaxDowntimeMs, x.MaxMigrationTimeMs, x.Parameters),
    };

    internal static void Predict(DesignInputs x, ref StrategyAssessment a)
    {
        var p = x.Parameters;
        switch (a.Strategy)
        {
            case MigrationStrategy.MessageReplay:
                a.Replay = ReplayModel.MessageReplay(x.StateBytes, a.BandwidthBytesPerMs, x.Lambda, x.Mu, p);
                a.DowntimeMs = a.Replay.DowntimeMs;
                a.MigrationTimeMs = a.Replay.MigrationTimeMs;
                break;
            case MigrationStrategy.ReplayWithCutoff:
                a.Replay = ReplayModel.WithCutoff(x.StateBytes, a.BandwidthBytesPerMs, x.Lambda, x.Mu, x.MaxMigrationTimeMs, p);
                a.DowntimeMs = a.Replay.DowntimeMs;
                a.MigrationTimeMs = a.Replay.MigrationTimeMs;
                a.CutoffMs = a.Replay.CutoffMs;
                break;
            case MigrationStrategy.PostCopy:
                a.PostCopy = PostCopyModel.Predict(x.StateBytes, a.BandwidthBytesPerMs, p);
                a.DowntimeMs = a.PostCopy.DowntimeMs;
                a.MigrationTimeMs = a.PostCopy.MigrationTimeMs;
                break;
            default:
                a.Pam = PamModel.Predict(a.Strategy, x.StateBytes, x.R, a.BandwidthBytesPerMs, a.Iterations, p);
                a.DowntimeMs = a.Pam.DowntimeMs;
                a.MigrationTimeMs = a.Pam.MigrationTimeMs;
                break;
        }
    }

    internal static bool Meets(double value, double target) => value <= target * (1 + 1e-9) + 1e-9;

    internal static string? FeasibleBinding(DesignInputs x, in StrategyAssessment a, IterationBudget budget)
    {
        if (x.Objective == Objective.MinResources)
            return a.DowntimeMs / x.MaxDowntimeMs >= a.MigrationTimeMs / x.MaxMigrationTimeMs ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
        if (a.Strategy == MigrationStrategy.IterativePreCopy && x.ForcedIterations is null)
            return budget.LimitedByCap ? PlanConstraints.IterationCap : PlanConstraints.MigrationTime;
        if (a.Strategy == MigrationStrategy.ReplayWithCutoff && a.Replay.CutoffTriggers)
            return PlanConstraints.MigrationTime;
        return null;
    }
}
