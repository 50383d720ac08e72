using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>[MOSE]'s answer for one migration: strategy, bandwidth, iterations, the prediction, and why.</summary>
/// <param name="Strategy">Cold, PreCopy (I = 0) or IterativePreCopy.</param>
/// <param name="BandwidthBytesPerMs">The bandwidth to reserve, bytes per ms.</param>
/// <param name="Iterations">Dump rounds I.</param>
/// <param name="Prediction">The [PAM] prediction for this configuration.</param>
/// <param name="Feasible">Whether it meets θ_down and θ_mig.</param>
/// <param name="BindingConstraint">The constraint that set the configuration or that is missed (see <see cref="PlanConstraints"/>).</param>
/// <param name="Explanation">Plain English, with the numbers; for a miss, the nearest feasible target.</param>
public sealed record MoseConfiguration(
    MigrationStrategy Strategy,
    double BandwidthBytesPerMs,
    int Iterations,
    PamPrediction Prediction,
    bool Feasible,
    string? BindingConstraint,
    string Explanation)
{
    public Bandwidth Bandwidth => Bandwidth.FromBytesPerMillisecond(BandwidthBytesPerMs);
}

/// <summary>
/// The configuration algorithm of [MOSE] (Fig. 5) on the [PAM] model, for services without a message
/// stream: for MR, Cold with the least bandwidth meeting θ_down (the maximum, and a reported miss, when
/// that is more than available); for MD, iterative pre-copy at the maximum bandwidth with the largest I
/// meeting θ_mig ([PAM] eq. 34), falling back to Cold when even I = 0 misses θ_mig.
/// <see cref="MigrationDesigner"/> generalises it to all strategies.
/// </summary>
public static class MoseAlgorithm
{
    public static MoseConfiguration Configure(Objective objective, long stateBytes, double r, double availableBytesPerMs,
        double maxDowntimeMs, double maxMigrationTimeMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        p.EnsureValid();
        var at = PlanText.RateOfBytesPerMs(availableBytesPerMs);
        if (objective == Objective.MinResources)
        {
            // Cold: T_mig = T_down, so both targets bound the same time.
            var target = Math.Min(maxDowntimeMs, maxMigrationTimeMs);
            var binding = maxDowntimeMs <= maxMigrationTimeMs ? PlanConstraints.Downtime : PlanConstraints.MigrationTime;
            var requirement = PamConfiguration.MinBandwidthForDowntime(MigrationStrategy.Cold, stateBytes, r, target, p);
            if (requirement.FitsWithin(availableBytesPerMs))
            {
                var reserved = PamConfiguration.Reserve(requirement, availableBytesPerMs, p);
                var cold = PamModel.Cold(stateBytes, reserved, p);
                return new MoseConfiguration(MigrationStrategy.Cold, reserved, 0, cold, true, binding,
                    $"MR: Cold reserving {PlanText.RateOfBytesPerMs(reserved)}, the least that meets {binding} (needs ≥ {PlanText.RateAtLeast(requirement.BitsPerSecond)}): downtime = migration time = {PlanText.Duration(cold.DowntimeMs)}.");
            }
            var atMax = PamModel.Cold(stateBytes, availableBytesPerMs, p);
            var fix = requirement.IsAchievable
                ? $"reserve ≥ {PlanText.RateAtLeast(requirement.BitsPerSecond)} ({at} available)"
                : $"processing alone takes {PlanText.Duration(requirement.FixedMs)}, so no bandwidth is enough";
            return new MoseConfiguration(MigrationStrategy.Cold, availableBytesPerMs, 0, atMax, false, binding,
                $"MR: Cold misses {binding} even with all of {at}: {(binding == PlanConstraints.Downtime ? "downtime" : "migration time")} ≥ {PlanText.DurationAtLeast(atMax.DowntimeMs)} needed at {at}, or {fix}.");
        }

        var budget = PamConfiguration.MaxIterations(stateBytes, r, availableBytesPerMs, maxMigrationTimeMs, p);
        if (budget.Iterations is int iterations)
        {
            var strategy = iterations == 0 ? MigrationStrategy.PreCopy : MigrationStrategy.IterativePreCopy;
            var pre = PamModel.Predict(strategy, stateBytes, r, availableBytesPerMs, iterations, p);
            var limit = budget.LimitedByCap ? PlanConstraints.IterationCap : PlanConstraints.MigrationTime;
            if (pre.DowntimeMs <= maxDowntimeMs * (1 + 1e-9))
                return new MoseConfiguration(strategy, availableBytesPerMs, iterations, pre, true, limit,
                    $"MD: {strategy} at {at} with I = {iterations} (the most {(budget.LimitedByCap ? "the iteration cap" : "θ_mig")} allows): downtime {PlanText.Duration(pre.DowntimeMs)}, migration time {PlanText.Duration(pre.MigrationTimeMs)}.");
            var requirement = PamConfiguration.MinBandwidthForDowntime(strategy, stateBytes, r, maxDowntimeMs, p);
            var fix = requirement.IsAchievable
                ? $"or reserve ≥ {PlanText.RateAtLeast(requirement.BitsPerSecond)}"
                : $"processing alone takes {PlanText.Duration(requirement.FixedMs)}";
            return new MoseConfiguration(strategy, availableBytesPerMs, iterations, pre, false, PlanConstraints.Downtime,
                $"MD: {strategy} misses θ_down: downtime ≥ {PlanText.DurationAtLeast(pre.DowntimeMs)} needed at {at} ({fix}).");
        }

        var cold2 = PamModel.Cold(stateBytes, availableBytesPerMs, p);
        var meets = cold2.DowntimeMs <= maxDowntimeMs * (1 + 1e-9) && cold2.MigrationTimeMs <= maxMigrationTimeMs * (1 + 1e-9);
        var preCopy = PamModel.PreCopy(stateBytes, r, availableBytesPerMs, 0, p);
        return new MoseConfiguration(MigrationStrategy.Cold, availableBytesPerMs, 0, cold2, meets, PlanConstraints.MigrationTime, meets
            ? $"MD: even one pre-dump misses θ_mig (pre-copy takes {PlanText.Duration(preCopy.MigrationTimeMs)}), so Cold at {at}: downtime = migration time = {PlanText.Duration(cold2.DowntimeMs)}."
            : $"MD: neither pre-copy ({PlanText.Duration(preCopy.MigrationTimeMs)}) nor Cold ({PlanText.Duration(cold2.DowntimeMs)}) fits: migration time ≥ {PlanText.DurationAtLeast(Math.Min(cold2.MigrationTimeMs, preCopy.MigrationTimeMs))} needed at {at}.");
    }
}
