using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// What the [PAM] model predicts for one configuration: every intermediate quantity of [PAM] eqs. 13–32
/// with the symbols of docs/migration-model.md, so that tests, logs and the UI can show the arithmetic.
/// A value type: evaluating the model allocates nothing.
/// </summary>
/// <remarks>
/// For <see cref="MigrationStrategy.Cold"/> the single frozen dump costs what a pre-dump costs, so the
/// pre-dump quantities (T_p, N_p, V_0) describe it and the per-round quantities (T_d, N_d, V_d, T_net) are 0.
/// </remarks>
public readonly record struct PamPrediction
{
    /// <summary>Cold, PreCopy or IterativePreCopy (PreCopy when I = 0 was asked for as such).</summary>
    public MigrationStrategy Strategy { get; init; }
    /// <summary>I, the dump rounds between the pre-dump and the stop-and-copy.</summary>
    public int Iterations { get; init; }
    /// <summary>L, the bandwidth the prediction assumes, bytes per ms.</summary>
    public double BandwidthBytesPerMs { get; init; }
    /// <summary>T_p, the pre-dump (or the cold dump), ms ([PAM] eqs. 13–32).</summary>
    public double PreDumpMs { get; init; }
    /// <summary>N_p, pages the pre-dump writes.</summary>
    public double PreDumpPages { get; init; }
    /// <summary>V_0 = ρ·τ1·N_p·σ, bytes the pre-dump transfers.</summary>
    public double PreDumpBytes { get; init; }
    /// <summary>T_0 = T_p + V_0/L, round 0 including its transfer, ms.</summary>
    public double RoundZeroMs { get; init; }
    /// <summary>T_d, one dump round (worst case, every round equal), ms.</summary>
    public double DumpMs { get; init; }
    /// <summary>N_d, pages one dump round writes.</summary>
    public double DumpPages { get; init; }
    /// <summary>V_d = ρ·τ2(r)·N_d·σ, bytes one dump round transfers.</summary>
    public double DumpBytes { get; init; }
    /// <summary>T_net = V_d/L, ms.</summary>
    public double DumpTransferMs { get; init; }
    /// <summary>T_r, the restore at the destination, ms.</summary>
    public double RestoreMs { get; init; }
    /// <summary>T_add, what the runtime adds to stop-and-copy, ms.</summary>
    public double RuntimeOverheadMs { get; init; }
    /// <summary>T_down, the time the service is frozen, ms.</summary>
    public double DowntimeMs { get; init; }
    /// <summary>T_mig, the whole migration, ms.</summary>
    public double MigrationTimeMs { get; init; }

    /// <summary>V_0/L, the transfer of the pre-dump (or of the cold dump), ms.</summary>
    public double PreDumpTransferMs => RoundZeroMs - PreDumpMs;
}

/// <summary>
/// The [PAM] analytical model of (iterative pre-copy) container migration, in closed form.
/// Pure and allocation-free: every method takes the state size M (bytes), the normalised dirty rate r,
/// the bandwidth L (bytes per ms; 1 Gbit/s = 125,000 B/ms) and a parameter set.
/// </summary>
public static class PamModel
{
    /// <summary>
    /// T_p = α1·α2·(β + (φp + Γ·ζ·M) + (δ + Λ·M)), the pre-dump of the whole memory ([PAM] eqs. 13–32),
    /// which is also what a cold (or live) full dump costs.
    /// </summary>
    public static double PreDumpMs(long stateBytes, PamParameters p) =>
        p.Alpha1 * p.Alpha2 * (p.BetaMs + (p.PhiPreDumpMs + p.GammaMsPerByte * p.Zeta * stateBytes) + (p.DeltaMs + p.LambdaMsPerByte * stateBytes));

    /// <summary>
    /// T_f, the time a live (<c>--leave-running</c>) dump keeps the source frozen: the calibrated line
    /// <see cref="PamParameters.LiveFreezeMs"/> + <see cref="PamParameters.LiveFreezeMsPerByte"/>·M where a calibration measured
    /// it, else T_p (the dump writes what a cold one writes; [PAM] has no live dump). As measured, even where it exceeds T_p:
    /// on the lab CRIU kept a live-dumped source frozen longer than the fitted cold dump (its memory drained into pipes while
    /// frozen), and capping it at T_p predicted less downtime than clients saw. The live dump then lasts
    /// <see cref="LiveDumpMs"/>.
    /// </summary>
    public static double LiveFreezeMs(long stateBytes, PamParameters p) =>
        p.LiveFreezeMs is { } fixedMs ? fixedMs + p.LiveFreezeMsPerByte * stateBytes : PreDumpMs(stateBytes, p);

    /// <summary>The live dump, from its start until its images are written: max(T_p, T_f) (the freeze is part of it).</summary>
    public static double LiveDumpMs(long stateBytes, PamParameters p) => Math.Max(PreDumpMs(stateBytes, p), LiveFreezeMs(stateBytes, p));

    /// <summary>N_p = μp + νp·M, pages the pre-dump writes ([PAM] eqs. 13–32).</summary>
    public static double PreDumpPages(long stateBytes, PamParameters p) => p.MuPreDumpPages + p.NuPreDumpPerByte * stateBytes;

    /// <summary>V_0 = ρ·τ1·N_p·σ, bytes of the pre-dump image ([PAM] eqs. 13–32).</summary>
    public static double PreDumpBytes(long stateBytes, PamParameters p) => p.Rho * p.Tau1 * PreDumpPages(stateBytes, p) * p.PageSizeBytes;

    /// <summary>T_d = α1·α2·(β + φd + Γ·ξ(r)·M), one dump round, worst case ([PAM] eqs. 13–32).</summary>
    public static double DumpMs(long stateBytes, double r, PamParameters p) =>
        p.Alpha1 * p.Alpha2 * (p.BetaMs + p.PhiDumpMs + p.GammaMsPerByte * p.Xi(r) * stateBytes);

    /// <summary>N_d = μd + νd(r)·M, pages a dump round writes ([PAM] eqs. 13–32).</summary>
    public static double DumpPages(long stateBytes, double r, PamParameters p) => p.MuDumpPages + p.NuDump(r) * stateBytes;

    /// <summary>V_d = ρ·τ2(r)·N_d·σ, bytes of a dump round's image ([PAM] eqs. 13–32).</summary>
    public static double DumpBytes(long stateBytes, double r, PamParameters p) => p.Rho * p.Tau2(r) * DumpPages(stateBytes, r, p) * p.PageSizeBytes;

    /// <summary>T_r = α3·α4·(ψ + ω·M), the restore ([PAM] eqs. 13–32).</summary>
    public static double RestoreMs(long stateBytes, PamParameters p) => p.Alpha3 * p.Alpha4 * (p.PsiMs + p.OmegaMsPerByte * stateBytes);

    /// <summary>V/L in ms; 0 bytes take no time, and L = 0 makes any positive transfer take forever.</summary>
    public static double TransferMs(double bytes, double bandwidthBytesPerMs) => bytes <= 0 ? 0 : bytes / bandwidthBytesPerMs;

    /// <summary>
    /// Cold migration: no pre-dump, the single dump freezes the service and carries the whole state, so
    /// T_down = T_mig = T_p + V_0/L + T_r + T_add (our reading of [PAM], docs/migration-model.md §2).
    /// </summary>
    public static PamPrediction Cold(long stateBytes, double bandwidthBytesPerMs, PamParameters p)
    {
        Check(stateBytes, bandwidthBytesPerMs, p);
        var tp = PreDumpMs(stateBytes, p);
        var np = PreDumpPages(stateBytes, p);
        var v0 = p.Rho * p.Tau1 * np * p.PageSizeBytes;
        var t0 = tp + TransferMs(v0, bandwidthBytesPerMs);
        var tr = RestoreMs(stateBytes, p);
        var down = t0 + tr + p.RuntimeOverheadMs;
        return new PamPrediction
        {
            Strategy = MigrationStrategy.Cold,
            Iterations = 0,
            BandwidthBytesPerMs = bandwidthBytesPerMs,
            PreDumpMs = tp,
            PreDumpPages = np,
            PreDumpBytes = v0,
            RoundZeroMs = t0,
            RestoreMs = tr,
            RuntimeOverheadMs = p.RuntimeOverheadMs,
            DowntimeMs = down,
            MigrationTimeMs = down,
        };
    }

    /// <summary>
    /// (Iterative) pre-copy with I dump rounds ([PAM] eqs. 13–32):
    /// T_0 = T_p + V_0/L; T_down = T_d + T_net + T_r + T_add; T_mig = T_0 + (I + 1)·(T_d + T_net) + T_r + T_add.
    /// I = 0 is <see cref="MigrationStrategy.PreCopy"/>.
    /// </summary>
    public static PamPrediction PreCopy(long stateBytes, double r, double bandwidthBytesPerMs, int iterations, PamParameters p)
    {
        Check(stateBytes, bandwidthBytesPerMs, p);
        ArgumentOutOfRangeException.ThrowIfNegative(iterations);
        var tp = PreDumpMs(stateBytes, p);
        var np = PreDumpPages(stateBytes, p);
        var v0 = p.Rho * p.Tau1 * np * p.PageSizeBytes;
        var t0 = tp + TransferMs(v0, bandwidthBytesPerMs);
        var td = DumpMs(stateBytes, r, p);
        var nd = DumpPages(stateBytes, r, p);
        var vd = p.Rho * p.Tau2(r) * nd * p.PageSizeBytes;
        var tnet = TransferMs(vd, bandwidthBytesPerMs);
        var tr = RestoreMs(stateBytes, p);
        var down = td + tnet + tr + p.RuntimeOverheadMs;
        return new PamPrediction
        {
            Strategy = iterations == 0 ? MigrationStrategy.PreCopy : MigrationStrategy.IterativePreCopy,
            Iterations = iterations,
            BandwidthBytesPerMs = bandwidthBytesPerMs,
            PreDumpMs = tp,
            PreDumpPages = np,
            PreDumpBytes = v0,
            RoundZeroMs = t0,
            DumpMs = td,
            DumpPages = nd,
            DumpBytes = vd,
            DumpTransferMs = tnet,
            RestoreMs = tr,
            RuntimeOverheadMs = p.RuntimeOverheadMs,
            DowntimeMs = down,
            MigrationTimeMs = t0 + iterations * (td + tnet) + down,
        };
    }

    /// <summary>
    /// The model for any checkpoint/restore strategy: Cold, PreCopy (I forced to 0) or IterativePreCopy(I).
    /// The message-replay strategies are predicted by <see cref="ReplayModel"/>.
    /// </summary>
    public static PamPrediction Predict(MigrationStrategy strategy, long stateBytes, double r, double bandwidthBytesPerMs, int iterations, PamParameters p)
    {
        var prediction = strategy switch
        {
            MigrationStrategy.Cold => Cold(stateBytes, bandwidthBytesPerMs, p),
            MigrationStrategy.PreCopy => PreCopy(stateBytes, r, bandwidthBytesPerMs, 0, p),
            MigrationStrategy.IterativePreCopy => PreCopy(stateBytes, r, bandwidthBytesPerMs, iterations, p),
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "The PAM model covers Cold, PreCopy and IterativePreCopy; use ReplayModel for MS2M."),
        };
        return prediction with { Strategy = strategy };
    }

    /// <summary>The inputs every model takes: a parameter set, a state of at least one byte, a bandwidth ≥ 0.</summary>
    internal static void Check(long stateBytes, double bandwidthBytesPerMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateBytes);
        if (double.IsNaN(bandwidthBytesPerMs) || bandwidthBytesPerMs < 0)
            throw new ArgumentOutOfRangeException(nameof(bandwidthBytesPerMs), bandwidthBytesPerMs, "Bandwidth must be ≥ 0 bytes per ms.");
    }
}
