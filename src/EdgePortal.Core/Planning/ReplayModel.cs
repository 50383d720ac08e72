namespace EdgePortal.Core.Planning;

/// <summary>
/// What the MS2M model predicts for a message-replay migration. Times in ms, measured from the start
/// of the checkpoint; message counts in messages. A value type: evaluating the model allocates nothing.
/// </summary>
public readonly record struct ReplayPrediction
{
    /// <summary>λ, messages per second arriving.</summary>
    public double ArrivalRate { get; init; }
    /// <summary>μ, messages per second the target replays.</summary>
    public double ProcessingRate { get; init; }
    /// <summary>L, bytes per ms.</summary>
    public double BandwidthBytesPerMs { get; init; }
    /// <summary>The live checkpoint of the running source: a full dump that does not stop it, costed as max(T_p, T_f) (<see cref="PamModel.LiveDumpMs"/>).</summary>
    public double CheckpointMs { get; init; }
    /// <summary>V_0, bytes of the checkpoint image.</summary>
    public double CheckpointBytes { get; init; }
    /// <summary>V_0/L.</summary>
    public double TransferMs { get; init; }
    /// <summary>T_r plus the part of T_add that is not the traffic switch (T_add − SwitchMs).</summary>
    public double RestoreMs { get; init; }
    /// <summary>X = T_checkpoint + T_transfer + T_restore: from the checkpoint until the target can start replaying.</summary>
    public double PreReplayMs { get; init; }
    /// <summary>λ·X, the messages that arrived since the checkpoint when replay starts.</summary>
    public double BacklogMessages { get; init; }
    /// <summary>Whether the replay catches up with the live stream (μ &gt; λ, or nothing to replay).</summary>
    public bool Converges { get; init; }
    /// <summary>
    /// Replay while the source still serves: backlog/(μ − λ) for <see cref="ReplayModel.MessageReplay"/>
    /// (+∞ when it diverges); the replay before the cutoff for <see cref="ReplayModel.WithCutoff"/>.
    /// </summary>
    public double CatchUpMs { get; init; }
    /// <summary>T_replay_max = θ_mig − X − switch (cutoff variant only; NaN otherwise).</summary>
    public double MaxReplayMs { get; init; }
    /// <summary>T_cutoff, from the checkpoint, when the source is stopped (cutoff variant only; null otherwise).</summary>
    public double? CutoffMs { get; init; }
    /// <summary>Whether the cutoff actually stops the source before the replay has caught up.</summary>
    public bool CutoffTriggers { get; init; }
    /// <summary>Draining the backlog left at the cutoff at rate μ, with the source stopped: downtime.</summary>
    public double DrainAfterCutoffMs { get; init; }
    /// <summary>The traffic switch: downtime.</summary>
    public double SwitchMs { get; init; }
    /// <summary>
    /// The source frozen while CRIU dumps it (--leave-running: it serves again afterwards, but its clients wait meanwhile):
    /// downtime, T_f (<see cref="PamModel.LiveFreezeMs"/>: calibrated where measured, else the checkpoint's T_p).
    /// </summary>
    public double FrozenMs { get; init; }
    /// <summary>The time no instance serves: the source frozen for the live dump, the drain after the cutoff (if any), the switch.</summary>
    public double DowntimeMs { get; init; }
    /// <summary>From the checkpoint to the switched traffic: X + replay + drain + switch.</summary>
    public double MigrationTimeMs { get; init; }
}

/// <summary>
/// The MS2M model ([MS2M] 2203.05622, and the threshold-based cutoff of [MS2M] 2509.05794) on top of
/// the [PAM] costs.
/// </summary>
/// <remarks>
/// Our reading, so that the replay strategies compete with the others on the same calibration:
/// <list type="bullet">
/// <item>the checkpoint of the running source (CRIU dump with --leave-running, the kubelet checkpoint API)
/// writes the whole memory without stopping it, so it costs what a pre-dump costs: T_p, image V_0 (or the calibrated freeze T_f
/// where the lab measured that longer: max(T_p, T_f));</item>
/// <item>the transfer is V_0/L; the restore is T_r plus the part of T_add that prepares the target
/// (T_add − SwitchMs: on COAT, clearing and re-creating the network namespace);</item>
/// <item>the switch (SwitchMs, on COAT the client-flow update) is the only downtime of a replay that
/// catches up. Hence X + switch equals the cold migration time, and MessageReplay costs the catch-up
/// on top of it.</item>
/// </list>
/// Message rates are per second, times per millisecond: backlog = λ·X/1000, catch-up = λ·X/(μ − λ).
/// </remarks>
public static class ReplayModel
{
    /// <summary>
    /// MS2M without cutoff: backlog = λ·(T_checkpoint + T_transfer + T_restore); catch-up = backlog/(μ − λ) when
    /// μ &gt; λ; +∞ (divergence) when μ ≤ λ. Downtime = the switch only.
    /// </summary>
    public static ReplayPrediction MessageReplay(long stateBytes, double bandwidthBytesPerMs, double arrivalRate, double processingRate, PamParameters p)
    {
        var basis = Basis(stateBytes, bandwidthBytesPerMs, arrivalRate, processingRate, p);
        var catchUp = CatchUpMs(basis.PreReplayMs, arrivalRate, processingRate);
        return basis with
        {
            CatchUpMs = catchUp,
            MaxReplayMs = double.NaN,
            DowntimeMs = basis.FrozenMs + p.SwitchMs,
            MigrationTimeMs = basis.PreReplayMs + catchUp + p.SwitchMs,
        };
    }

    /// <summary>
    /// MS2M with the threshold-based cutoff ([MS2M] 2509.05794). The replay may last at most
    /// T_replay_max = θ_mig − X − switch; the messages since the checkpoint up to the cutoff, λ·T_cutoff, must be
    /// replayed within it at rate μ, so T_cutoff ≤ T_replay_max·μ/λ. After the cutoff the source stops and the
    /// backlog left drains at μ: that drain plus the switch is downtime.
    /// </summary>
    /// <remarks>
    /// Which T_cutoff within the bound: drain = X + T_cutoff·(λ/μ − 1). When μ &gt; λ a later cutoff leaves less
    /// to drain, so the cutoff is the bound (or the natural catch-up t* = X·μ/(μ − λ) if that comes first: then
    /// it never triggers). When μ ≤ λ every millisecond the source keeps serving adds to the drain, so the
    /// source is stopped as soon as the target is restored (T_cutoff = X) and the bound only decides whether
    /// θ_mig is met. The cutoff never precedes X; when the bound is below X, θ_mig cannot be met and the
    /// prediction is for T_cutoff = X.
    /// </remarks>
    public static ReplayPrediction WithCutoff(long stateBytes, double bandwidthBytesPerMs, double arrivalRate, double processingRate, double maxMigrationTimeMs, PamParameters p)
    {
        var basis = Basis(stateBytes, bandwidthBytesPerMs, arrivalRate, processingRate, p);
        var x = basis.PreReplayMs;
        var maxReplay = MaxReplayMs(x, maxMigrationTimeMs, p);
        var maxCutoff = MaxCutoffMs(maxReplay, arrivalRate, processingRate);
        var converging = arrivalRate > 0 && processingRate > arrivalRate;
        // The threshold the executor applies; with μ ≤ λ (or nothing to replay) it is X itself.
        var threshold = converging ? Math.Max(x, maxCutoff) : x;
        var cutoff = converging ? Math.Max(x, Math.Min(maxCutoff, x * processingRate / (processingRate - arrivalRate))) : x;
        if (double.IsNaN(cutoff) || double.IsNaN(threshold))
            cutoff = threshold = x;
        // λ·T_cutoff messages replayed at μ; the target starts at X.
        var replayEnd = arrivalRate <= 0 ? x : x + arrivalRate * cutoff / processingRate;
        var drain = double.IsPositiveInfinity(replayEnd) ? double.PositiveInfinity : Math.Max(0, replayEnd - cutoff);
        var beforeCutoff = double.IsFinite(x) ? cutoff - x : 0;
        return basis with
        {
            CatchUpMs = beforeCutoff,
            MaxReplayMs = maxReplay,
            CutoffMs = threshold,
            CutoffTriggers = drain > 0,
            DrainAfterCutoffMs = drain,
            DowntimeMs = basis.FrozenMs + drain + p.SwitchMs,
            MigrationTimeMs = x + beforeCutoff + drain + p.SwitchMs,
        };
    }

    /// <summary>
    /// The least bandwidth with which MessageReplay meets both targets. Its downtime is the switch alone, so θ_down
    /// is met by any bandwidth or by none; its total is k·X + switch with k = μ/(μ − λ) and X = X_0 + V_0/L, so
    /// L ≥ k·V_0 / (θ_mig − k·X_0 − switch). Unachievable when the switch exceeds θ_down or the replay diverges (μ ≤ λ).
    /// </summary>
    public static BandwidthRequirement MinBandwidthForMessageReplay(long stateBytes, double arrivalRate, double processingRate,
        double maxDowntimeMs, double maxMigrationTimeMs, PamParameters p)
    {
        var (x0, v0) = Fixed(stateBytes, p);
        // The downtime, the live dump's freeze and the switch, does not depend on the bandwidth.
        var down = PamModel.LiveFreezeMs(stateBytes, p) + p.SwitchMs;
        if (down > maxDowntimeMs)
            return new BandwidthRequirement(double.PositiveInfinity, down, maxDowntimeMs);
        if (arrivalRate > 0 && processingRate <= arrivalRate)
            return new BandwidthRequirement(double.PositiveInfinity, double.PositiveInfinity, maxMigrationTimeMs);
        var k = arrivalRate > 0 ? processingRate / (processingRate - arrivalRate) : 1;
        return BandwidthRequirement.For(k * x0 + p.SwitchMs, k * v0, maxMigrationTimeMs);
    }

    /// <summary>
    /// The least bandwidth with which ReplayWithCutoff meets both targets, in terms of the pre-replay time X = X_0 + V_0/L
    /// (so <see cref="BandwidthRequirement.FixedMs"/> is X_0 and <see cref="BandwidthRequirement.TargetMs"/> the largest X allowed).
    /// With k = μ/λ: θ_mig needs T_cutoff ≥ X, i.e. X ≤ k·(θ_mig − switch)/(1 + k); θ_down needs X ≤ k·(θ_down − switch)
    /// when μ ≤ λ (drain λX/μ), and X ≤ (θ_down − switch + (k − 1)·(θ_mig − switch))/k when μ &gt; λ (drain at the bound).
    /// </summary>
    public static BandwidthRequirement MinBandwidthForCutoff(long stateBytes, double arrivalRate, double processingRate,
        double maxDowntimeMs, double maxMigrationTimeMs, PamParameters p)
    {
        if (arrivalRate <= 0)
            return MinBandwidthForMessageReplay(stateBytes, arrivalRate, processingRate, maxDowntimeMs, maxMigrationTimeMs, p);
        var (x0, v0) = Fixed(stateBytes, p);
        // The live dump's freeze is downtime whatever the bandwidth: θ_down leaves the rest for the drain and the switch.
        var frozen = PamModel.LiveFreezeMs(stateBytes, p);
        if (frozen + p.SwitchMs > maxDowntimeMs || processingRate <= 0)
            return new BandwidthRequirement(double.PositiveInfinity, frozen + p.SwitchMs, maxDowntimeMs);
        var k = processingRate / arrivalRate;
        var byMigration = k * (maxMigrationTimeMs - p.SwitchMs) / (1 + k);
        var byDowntime = k <= 1
            ? k * (maxDowntimeMs - frozen - p.SwitchMs)
            : (maxDowntimeMs - frozen - p.SwitchMs + (k - 1) * (maxMigrationTimeMs - p.SwitchMs)) / k;
        return BandwidthRequirement.For(x0, v0, Math.Min(byMigration, byDowntime));
    }

    /// <summary>Catch-up without cutoff: backlog/(μ − λ) = λ·X/(μ − λ) ms; 0 with nothing to replay; +∞ when μ ≤ λ.</summary>
    public static double CatchUpMs(double preReplayMs, double arrivalRate, double processingRate)
    {
        if (arrivalRate <= 0 || preReplayMs <= 0)
            return 0;
        return processingRate > arrivalRate ? arrivalRate * preReplayMs / (processingRate - arrivalRate) : double.PositiveInfinity;
    }

    /// <summary>T_replay_max = θ_mig − X − switch, the longest replay θ_mig allows (negative when none).</summary>
    public static double MaxReplayMs(double preReplayMs, double maxMigrationTimeMs, PamParameters p) => maxMigrationTimeMs - preReplayMs - p.SwitchMs;

    /// <summary>The bound of [MS2M] 2509.05794: T_cutoff ≤ T_replay_max·μ/λ (+∞ with no arrivals; negative when T_replay_max is).</summary>
    public static double MaxCutoffMs(double maxReplayMs, double arrivalRate, double processingRate) =>
        arrivalRate <= 0 ? double.PositiveInfinity : maxReplayMs * processingRate / arrivalRate;

    /// <summary>X_0 (the pre-replay time without the transfer) and V_0.</summary>
    private static (double X0, double V0) Fixed(long stateBytes, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateBytes);
        return (PamModel.LiveDumpMs(stateBytes, p) + PamModel.RestoreMs(stateBytes, p) + p.RuntimeOverheadMs - p.SwitchMs,
            PamModel.PreDumpBytes(stateBytes, p));
    }

    private static ReplayPrediction Basis(long stateBytes, double bandwidthBytesPerMs, double arrivalRate, double processingRate, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateBytes);
        if (double.IsNaN(bandwidthBytesPerMs) || bandwidthBytesPerMs < 0)
            throw new ArgumentOutOfRangeException(nameof(bandwidthBytesPerMs), bandwidthBytesPerMs, "Bandwidth must be ≥ 0 bytes per ms.");
        if (!double.IsFinite(arrivalRate) || arrivalRate < 0)
            throw new ArgumentOutOfRangeException(nameof(arrivalRate), arrivalRate, "λ must be a finite number ≥ 0.");
        if (!double.IsFinite(processingRate) || processingRate < 0)
            throw new ArgumentOutOfRangeException(nameof(processingRate), processingRate, "μ must be a finite number ≥ 0.");
        var checkpoint = PamModel.LiveDumpMs(stateBytes, p);
        var bytes = PamModel.PreDumpBytes(stateBytes, p);
        var transfer = PamModel.TransferMs(bytes, bandwidthBytesPerMs);
        var restore = PamModel.RestoreMs(stateBytes, p) + (p.RuntimeOverheadMs - p.SwitchMs);
        var x = checkpoint + transfer + restore;
        return new ReplayPrediction
        {
            ArrivalRate = arrivalRate,
            ProcessingRate = processingRate,
            BandwidthBytesPerMs = bandwidthBytesPerMs,
            CheckpointMs = checkpoint,
            FrozenMs = PamModel.LiveFreezeMs(stateBytes, p),
            CheckpointBytes = bytes,
            TransferMs = transfer,
            RestoreMs = restore,
            PreReplayMs = x,
            BacklogMessages = arrivalRate * x / 1_000,
            Converges = arrivalRate <= 0 || processingRate > arrivalRate,
            SwitchMs = p.SwitchMs,
        };
    }
}
