using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>One random migration: a workload, a link, targets and an objective, plus spare uniforms in [0, 1] for tests to use.</summary>
public sealed record Scenario(
    long StateBytes,
    double DirtyPagesPerSecond,
    double BandwidthBytesPerMs,
    int Iterations,
    double ArrivalRate,
    double ProcessingRate,
    double MaxDowntimeMs,
    double MaxMigrationTimeMs,
    Objective Objective,
    bool DirtyTracking,
    double U1,
    double U2)
{
    public double R => PamParameters.PaperTestbed.NormalisedDirtyRate(StateBytes, DirtyPagesPerSecond);

    public DesignRequest Request(double downtimeFactor = 1, double migrationFactor = 1) => new()
    {
        Profile = new WorkloadProfile(StateBytes, DirtyPagesPerSecond, ArrivalRate, ProcessingRate),
        Source = PlanningArbitraries.Source,
        Destinations = [new DestinationCandidate(PlanningArbitraries.Destination, Bandwidth.FromBytesPerMillisecond(BandwidthBytesPerMs), 2, 0.3, "dest")],
        Targets = new KpiTargets(MaxDowntimeMs * downtimeFactor, MaxMigrationTimeMs * migrationFactor, 10),
        Objective = Objective,
        SourceCapabilities = DirtyTracking ? null : TestCapabilities.AgentNode("src", TestCapabilities.WithoutDirtyTracking),
    };
}

/// <summary>
/// Generates scenarios across the ranges that matter at the edge: 100 kB – 4 GB of state, any dirty rate up to
/// every page each second, 1 Mbit/s – 100 Gbit/s, targets from 50 ms to minutes, with and without message streams.
/// </summary>
public static class PlanningArbitraries
{
    public static readonly NodeId Source = NodeId.New();
    public static readonly NodeId Destination = NodeId.New();
    private const int Resolution = 1_000_000;

    public static Arbitrary<Scenario> Scenarios() => Arb.From(Gen.ArrayOf(Gen.Choose(0, Resolution), 13).Select(Build));

    private static Scenario Build(int[] u)
    {
        double U(int i) => (double)u[i] / Resolution;
        double LogUniform(int i, double low, double high) => low * Math.Pow(high / low, U(i));
        var state = (long)LogUniform(0, 1e5, 4e9);
        var pages = Math.Ceiling(state / 4096.0);
        var dirty = U(1) < 0.2 ? 0 : U(1) * 1.2 * pages;
        var bandwidth = LogUniform(2, 1e6, 1e11) / 8_000;
        var iterations = (int)(U(3) * 16);
        var consumes = U(4) < 0.5;
        var arrival = consumes ? LogUniform(5, 1, 5_000) : 0;
        var processing = consumes ? arrival * LogUniform(6, 0.5, 4) : 0;
        var maxDowntime = LogUniform(7, 50, 60_000);
        var maxMigration = maxDowntime * LogUniform(8, 1, 20);
        var objective = U(9) < 0.5 ? Objective.MinDowntime : Objective.MinResources;
        var dirtyTracking = U(10) < 0.8;
        return new Scenario(state, dirty, bandwidth, iterations, arrival, processing, maxDowntime, maxMigration, objective, dirtyTracking, U(11), U(12));
    }
}

[Properties(Arbitrary = [typeof(PlanningArbitraries)], MaxTest = 2_000)]
public sealed class PlanningProperties
{
    private static readonly PamParameters P = PamParameters.PaperTestbed;
    private static readonly MigrationDesigner Designer = new();

    private static bool AtMost(double value, double bound) => value <= bound + 1e-9 * Math.Max(1, Math.Abs(bound));

    [Property]
    public bool PamModel_MoreBandwidth_NeverIncreasesDowntime(Scenario s)
    {
        var more = s.BandwidthBytesPerMs * (1 + 10 * s.U1);
        return AtMost(PamModel.Cold(s.StateBytes, more, P).DowntimeMs, PamModel.Cold(s.StateBytes, s.BandwidthBytesPerMs, P).DowntimeMs)
            && AtMost(PamModel.PreCopy(s.StateBytes, s.R, more, s.Iterations, P).DowntimeMs, PamModel.PreCopy(s.StateBytes, s.R, s.BandwidthBytesPerMs, s.Iterations, P).DowntimeMs)
            && AtMost(PamModel.PreCopy(s.StateBytes, s.R, more, s.Iterations, P).MigrationTimeMs, PamModel.PreCopy(s.StateBytes, s.R, s.BandwidthBytesPerMs, s.Iterations, P).MigrationTimeMs);
    }

    [Property]
    public bool ReplayModel_MoreBandwidth_NeverIncreasesDowntime(Scenario s)
    {
        var arrival = Math.Max(s.ArrivalRate, 1);
        var processing = Math.Max(s.ProcessingRate, 0.5);
        var more = s.BandwidthBytesPerMs * (1 + 10 * s.U1);
        var replay = ReplayModel.MessageReplay(s.StateBytes, more, arrival, processing, P).DowntimeMs
                     <= ReplayModel.MessageReplay(s.StateBytes, s.BandwidthBytesPerMs, arrival, processing, P).DowntimeMs;
        var cutoffMore = ReplayModel.WithCutoff(s.StateBytes, more, arrival, processing, s.MaxMigrationTimeMs, P);
        var cutoffLess = ReplayModel.WithCutoff(s.StateBytes, s.BandwidthBytesPerMs, arrival, processing, s.MaxMigrationTimeMs, P);
        return replay && AtMost(cutoffMore.DowntimeMs, cutoffLess.DowntimeMs);
    }

    [Property]
    public bool PamModel_MoreIterations_NeverDecreasesMigrationTime(Scenario s)
    {
        var fewer = PamModel.PreCopy(s.StateBytes, s.R, s.BandwidthBytesPerMs, s.Iterations, P);
        var more = PamModel.PreCopy(s.StateBytes, s.R, s.BandwidthBytesPerMs, s.Iterations + 1 + (int)(s.U1 * 5), P);
        return more.MigrationTimeMs >= fewer.MigrationTimeMs && more.DowntimeMs == fewer.DowntimeMs;
    }

    [Property]
    public bool Design_TargetsTightened_InfeasibleStaysInfeasible(Scenario s)
    {
        if (Designer.Design(s.Request()).Feasible)
            return true;
        return !Designer.Design(s.Request(downtimeFactor: 0.1 + 0.9 * s.U1, migrationFactor: 0.1 + 0.9 * s.U2)).Feasible;
    }

    [Property]
    public bool Design_TargetsLoosened_FeasibleStaysFeasible(Scenario s)
    {
        if (!Designer.Design(s.Request()).Feasible)
            return true;
        return Designer.Design(s.Request(downtimeFactor: 1 + 9 * s.U1, migrationFactor: 1 + 9 * s.U2)).Feasible;
    }

    [Property]
    public bool Design_AnyPlan_DowntimeStepsSumToPredictedDowntime(Scenario s)
    {
        var plan = Designer.Design(s.Request()).Plan;
        double downtime = 0, total = 0;
        foreach (var step in plan.Steps)
        {
            if (step.IsDowntime)
                downtime += step.PredictedMs;
            if (step.Kind is not (StepKind.Profile or StepKind.CleanUp))
                total += step.PredictedMs;
        }
        return downtime.Equals(plan.PredictedDowntimeMs) && total.Equals(plan.PredictedMigrationTimeMs)
            && plan.Steps[0].Kind == StepKind.Profile && plan.Steps[^1].Kind == StepKind.CleanUp;
    }

    [Property]
    public bool Design_ChosenStrategy_MatchesItsEvaluation(Scenario s)
    {
        var result = Designer.Design(s.Request());
        var chosen = result.Chosen;
        static bool Close(double a, double b) => a == b || Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(b));
        return Close(result.Plan.PredictedDowntimeMs, chosen.PredictedDowntimeMs)
            && Close(result.Plan.PredictedMigrationTimeMs, chosen.PredictedMigrationTimeMs)
            && result.Plan.Feasible == chosen.Feasible
            && Close(result.Plan.ReservedBandwidth.BitsPerSecond, chosen.ReservedBandwidthBitsPerSecond);
    }

    [Property]
    public bool Design_FeasibleEvaluations_MeetTargetsWithinReservation(Scenario s)
    {
        var request = s.Request();
        foreach (var evaluation in Designer.Design(request).Strategies)
        {
            if (!evaluation.Feasible)
            {
                if (evaluation.MinBandwidthBitsPerSecond is not null)
                    return false;
                continue;
            }
            if (!AtMost(evaluation.PredictedDowntimeMs, request.Targets.MaxDowntimeMs)
                || !AtMost(evaluation.PredictedMigrationTimeMs, request.Targets.MaxMigrationTimeMs)
                || evaluation.MinBandwidthBitsPerSecond is not { } needed
                || !AtMost(needed, evaluation.ReservedBandwidthBitsPerSecond)
                || !AtMost(evaluation.ReservedBandwidthBitsPerSecond, s.BandwidthBytesPerMs * 8_000))
                return false;
        }
        return true;
    }

    [Property]
    public bool Design_MinDowntime_ChoosesLowestFeasibleDowntime(Scenario s)
    {
        var result = Designer.Design(s.Request() with { Objective = Objective.MinDowntime });
        if (!result.Feasible)
            return true;
        foreach (var evaluation in result.Strategies)
            if (evaluation.Feasible && !AtMost(result.Plan.PredictedDowntimeMs, evaluation.PredictedDowntimeMs))
                return false;
        return true;
    }

    [Property]
    public bool MinBandwidth_AtRequirement_MeetsTargetsAndJustBelowMisses(Scenario s)
    {
        var arrival = Math.Max(s.ArrivalRate, 1);
        var processing = Math.Max(s.ProcessingRate, 0.5);
        var down = s.MaxDowntimeMs;
        var mig = s.MaxMigrationTimeMs;
        var checks = new (BandwidthRequirement Requirement, Func<double, (double Down, double Total)> At)[]
        {
            (PamConfiguration.MinBandwidth(MigrationStrategy.Cold, s.StateBytes, s.R, 0, down, mig, P),
                l => (PamModel.Cold(s.StateBytes, l, P).DowntimeMs, PamModel.Cold(s.StateBytes, l, P).MigrationTimeMs)),
            (PamConfiguration.MinBandwidth(MigrationStrategy.IterativePreCopy, s.StateBytes, s.R, s.Iterations, down, mig, P),
                l => (PamModel.PreCopy(s.StateBytes, s.R, l, s.Iterations, P).DowntimeMs, PamModel.PreCopy(s.StateBytes, s.R, l, s.Iterations, P).MigrationTimeMs)),
            (ReplayModel.MinBandwidthForMessageReplay(s.StateBytes, arrival, processing, down, mig, P),
                l => (ReplayModel.MessageReplay(s.StateBytes, l, arrival, processing, P).DowntimeMs, ReplayModel.MessageReplay(s.StateBytes, l, arrival, processing, P).MigrationTimeMs)),
            (ReplayModel.MinBandwidthForCutoff(s.StateBytes, arrival, processing, down, mig, P),
                l => (ReplayModel.WithCutoff(s.StateBytes, l, arrival, processing, mig, P).DowntimeMs, ReplayModel.WithCutoff(s.StateBytes, l, arrival, processing, mig, P).MigrationTimeMs)),
        };
        foreach (var (requirement, at) in checks)
        {
            if (!requirement.IsAchievable || requirement.BytesPerMillisecond <= 0)
                continue;
            var (d, t) = at(requirement.BytesPerMillisecond);
            if (!(d <= down * (1 + 1e-6) && t <= mig * (1 + 1e-6)))
                return false;
            var (dBelow, tBelow) = at(requirement.BytesPerMillisecond * 0.999);
            if (dBelow <= down && tBelow <= mig)
                return false;
        }
        return true;
    }
}
