using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// Configuring a migration to meet KPI targets with the [PAM] model: the least bandwidth meeting θ_down
/// ([PAM] eq. 33) and the most pre-copy iterations meeting θ_mig ([PAM] eq. 34).
/// </summary>
public static class PamConfiguration
{
    /// <summary>
    /// [PAM] eq. 33: L &gt; V / (θ_down − T_x − T_r − T_add), with V = V_d and T_x = T_d for pre-copy
    /// (the stop-and-copy moves one dump round), V = V_0 and T_x = T_p for Cold (it moves everything).
    /// Unachievable when processing alone reaches θ_down. Whether the result fits the link is the
    /// caller's check (<see cref="BandwidthRequirement.FitsWithin"/>).
    /// </summary>
    public static BandwidthRequirement MinBandwidthForDowntime(MigrationStrategy strategy, long stateBytes, double r, double maxDowntimeMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var tr = PamModel.RestoreMs(stateBytes, p);
        return strategy switch
        {
            MigrationStrategy.Cold => BandwidthRequirement.For(PamModel.PreDumpMs(stateBytes, p) + tr + p.RuntimeOverheadMs, PamModel.PreDumpBytes(stateBytes, p), maxDowntimeMs),
            MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy =>
                BandwidthRequirement.For(PamModel.DumpMs(stateBytes, r, p) + tr + p.RuntimeOverheadMs, PamModel.DumpBytes(stateBytes, r, p), maxDowntimeMs),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Eq. 33 covers Cold, PreCopy and IterativePreCopy."),
        };
    }

    /// <summary>
    /// The least bandwidth with which pre-copy with I rounds meets θ_mig:
    /// T_mig = (T_p + (I+1)·T_d + T_r + T_add) + (V_0 + (I+1)·V_d)/L ≤ θ_mig. Cold when <paramref name="strategy"/> is Cold
    /// (T_mig = T_down). Eq. 34 read the other way round: with I fixed, solve for L.
    /// </summary>
    public static BandwidthRequirement MinBandwidthForMigrationTime(MigrationStrategy strategy, long stateBytes, double r, int iterations, double maxMigrationTimeMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var tr = PamModel.RestoreMs(stateBytes, p);
        var tp = PamModel.PreDumpMs(stateBytes, p);
        var v0 = PamModel.PreDumpBytes(stateBytes, p);
        if (strategy == MigrationStrategy.Cold)
            return BandwidthRequirement.For(tp + tr + p.RuntimeOverheadMs, v0, maxMigrationTimeMs);
        if (strategy is not (MigrationStrategy.PreCopy or MigrationStrategy.IterativePreCopy))
            throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Covers Cold, PreCopy and IterativePreCopy.");
        var rounds = strategy == MigrationStrategy.PreCopy ? 1 : iterations + 1;
        return BandwidthRequirement.For(tp + rounds * PamModel.DumpMs(stateBytes, r, p) + tr + p.RuntimeOverheadMs,
            v0 + rounds * PamModel.DumpBytes(stateBytes, r, p), maxMigrationTimeMs);
    }

    /// <summary>
    /// The least bandwidth meeting both θ_down and θ_mig for Cold, PreCopy or IterativePreCopy(I):
    /// the larger of <see cref="MinBandwidthForDowntime"/> and <see cref="MinBandwidthForMigrationTime"/>.
    /// </summary>
    public static BandwidthRequirement MinBandwidth(MigrationStrategy strategy, long stateBytes, double r, int iterations, double maxDowntimeMs, double maxMigrationTimeMs, PamParameters p) =>
        BandwidthRequirement.Max(
            MinBandwidthForDowntime(strategy, stateBytes, r, maxDowntimeMs, p),
            MinBandwidthForMigrationTime(strategy, stateBytes, r, iterations, maxMigrationTimeMs, p));

    /// <summary>
    /// [PAM] eq. 34: I = ⌊(θ_mig − T_0 − T_down) / (T_d + T_net)⌋ at bandwidth L, capped at
    /// <see cref="PamParameters.MaxIterations"/>; <see cref="IterationBudget.Iterations"/> is null when I &lt; 0
    /// (even one pre-dump and the stop-and-copy miss θ_mig).
    /// </summary>
    public static IterationBudget MaxIterations(long stateBytes, double r, double bandwidthBytesPerMs, double maxMigrationTimeMs, PamParameters p)
    {
        var pre = PamModel.PreCopy(stateBytes, r, bandwidthBytesPerMs, 0, p);
        var slack = maxMigrationTimeMs - pre.RoundZeroMs - pre.DowntimeMs;
        // A tolerance of 1e-9 relative keeps a target met exactly (as in tests) from flooring to I - 1.
        var tolerance = 1e-9 * Math.Max(1, Math.Abs(maxMigrationTimeMs));
        if (slack < -tolerance || double.IsNaN(slack))
            return new IterationBudget(null, -1);
        var round = pre.DumpMs + pre.DumpTransferMs;
        long uncapped = round <= 0 || double.IsInfinity(slack) ? int.MaxValue : (long)Math.Min(int.MaxValue, Math.Floor((slack + tolerance) / round));
        return new IterationBudget((int)Math.Min(uncapped, p.MaxIterations), uncapped);
    }

    /// <summary>
    /// What to reserve for a requirement: rounded up to <see cref="PamParameters.BandwidthGranularityBitsPerSecond"/>,
    /// never above what is available (rounding up never hurts: more bandwidth never lengthens a phase).
    /// An unachievable requirement reserves everything available.
    /// </summary>
    public static double Reserve(BandwidthRequirement requirement, double availableBytesPerMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!requirement.IsAchievable)
            return availableBytesPerMs;
        var required = requirement.BytesPerMillisecond;
        var granularity = p.BandwidthGranularityBitsPerSecond / 8_000d;
        var reserved = required;
        if (granularity > 0)
            reserved = Math.Max(Math.Ceiling(required / granularity * (1 - 1e-12)), 1) * granularity;
        return Math.Min(Math.Max(reserved, required), availableBytesPerMs);
    }
}
