namespace EdgePortal.Core.Planning;

/// <summary>
/// What the post-copy model predicts for one configuration (docs/architecture.md, "Post-copy"): the frozen part, which
/// moves everything but the memory, and the degradation window, in which the memory follows over the link while the
/// service already runs at the destination. A value type: evaluating the model allocates nothing.
/// </summary>
public readonly record struct PostCopyPrediction
{
    /// <summary>L, the bandwidth the prediction assumes, bytes per ms.</summary>
    public double BandwidthBytesPerMs { get; init; }
    /// <summary>T_ld, the lazy dump: freeze, parasite, everything but the anonymous memory, ms (α1·α2·(β + φp + δ), or the calibrated line).</summary>
    public double LazyDumpMs { get; init; }
    /// <summary>V_s = ρ·μp·σ, bytes of the non-memory images (process tree, files, sockets, page maps).</summary>
    public double ImageBytes { get; init; }
    /// <summary>V_s/L, ms.</summary>
    public double ImageTransferMs { get; init; }
    /// <summary>T_lr, the restore with lazy pages (no memory is copied into place), ms (α3·α4·ψ, or the calibrated line).</summary>
    public double LazyRestoreMs { get; init; }
    /// <summary>T_add, what the runtime adds to the frozen part, ms.</summary>
    public double RuntimeOverheadMs { get; init; }
    /// <summary>V = ρ·τ1·νp·M·σ, bytes of memory that follow after the service resumed.</summary>
    public double PageBytes { get; init; }
    /// <summary>W = V/L (or max(V/L, W_c) once calibrated), the degradation window: from the switch until the last page arrives, ms.</summary>
    public double DegradationWindowMs { get; init; }
    /// <summary>T_down = T_ld + V_s/L + T_lr + T_add, ms.</summary>
    public double DowntimeMs { get; init; }
    /// <summary>T_mig = T_down + V/L, ms.</summary>
    public double MigrationTimeMs { get; init; }
}

/// <summary>
/// Post-copy with CRIU lazy pages (Hines &amp; Gopalan's post-copy for containers, Puliafito et al.), in closed form over the
/// same [PAM] parameters as the other strategies, so that one calibration serves all of them:
/// <list type="bullet">
/// <item>T_down = T_ld + V_s/L + T_lr + T_add with T_ld = α1·α2·(β + φp + δ) (the dump without its memory terms Γ·ζ·M and Λ·M),
/// V_s = ρ·μp·σ (the pages the dump writes besides the state) and T_lr = α3·α4·ψ (the restore without its per-byte term ω·M);
/// a calibration that ran lazy migrations replaces T_ld and T_lr by the lines it measured (fixed + per-byte);</item>
/// <item>T_mig = T_down + V/L with V = ρ·τ1·νp·M·σ, the memory;</item>
/// <item>the degradation window W = V/L (max(V/L, W_c) with CRIU's own page-in time W_c where calibrated), during which each first touch of a page not yet there costs a round trip to the
/// source, and a failure of the source or the link loses the service.</item>
/// </list>
/// </summary>
public static class PostCopyModel
{
    /// <summary>T_ld: the calibrated line <see cref="PamParameters.LazyDumpMs"/> + <see cref="PamParameters.LazyDumpMsPerByte"/>·M where measured, else α1·α2·(β + φp + δ).</summary>
    public static double LazyDumpMs(long stateBytes, PamParameters p) => p.LazyDumpMs is { } fixedMs
        ? fixedMs + p.LazyDumpMsPerByte * stateBytes
        : p.Alpha1 * p.Alpha2 * (p.BetaMs + p.PhiPreDumpMs + p.DeltaMs);

    /// <summary>V_s = ρ·μp·σ.</summary>
    public static double ImageBytes(PamParameters p) => p.Rho * p.MuPreDumpPages * p.PageSizeBytes;

    /// <summary>T_lr: the calibrated line <see cref="PamParameters.LazyRestoreMs"/> + <see cref="PamParameters.LazyRestoreMsPerByte"/>·M where measured, else α3·α4·ψ.</summary>
    public static double LazyRestoreMs(long stateBytes, PamParameters p) => p.LazyRestoreMs is { } fixedMs
        ? fixedMs + p.LazyRestoreMsPerByte * stateBytes
        : p.Alpha3 * p.Alpha4 * p.PsiMs;

    /// <summary>
    /// W = V/L, or where a calibration measured CRIU's own page-in W_c = <see cref="PamParameters.PageInMs"/> +
    /// <see cref="PamParameters.PageInMsPerByte"/>·M, the slower of the two: max(V/L, W_c).
    /// </summary>
    public static double DegradationWindowMs(long stateBytes, double bandwidthBytesPerMs, PamParameters p)
    {
        var link = PamModel.TransferMs(PageBytes(stateBytes, p), bandwidthBytesPerMs);
        return p.PageInMs is { } fixedMs ? Math.Max(link, fixedMs + p.PageInMsPerByte * stateBytes) : link;
    }

    /// <summary>V = ρ·τ1·νp·M·σ.</summary>
    public static double PageBytes(long stateBytes, PamParameters p) => p.Rho * p.Tau1 * p.NuPreDumpPerByte * stateBytes * p.PageSizeBytes;

    /// <summary>The prediction at bandwidth L (bytes per ms).</summary>
    public static PostCopyPrediction Predict(long stateBytes, double bandwidthBytesPerMs, PamParameters p)
    {
        PamModel.Check(stateBytes, bandwidthBytesPerMs, p);
        var dump = LazyDumpMs(stateBytes, p);
        var images = ImageBytes(p);
        var imagesMs = PamModel.TransferMs(images, bandwidthBytesPerMs);
        var restore = LazyRestoreMs(stateBytes, p);
        var pages = PageBytes(stateBytes, p);
        var window = DegradationWindowMs(stateBytes, bandwidthBytesPerMs, p);
        var down = dump + imagesMs + restore + p.RuntimeOverheadMs;
        return new PostCopyPrediction
        {
            BandwidthBytesPerMs = bandwidthBytesPerMs,
            LazyDumpMs = dump,
            ImageBytes = images,
            ImageTransferMs = imagesMs,
            LazyRestoreMs = restore,
            RuntimeOverheadMs = p.RuntimeOverheadMs,
            PageBytes = pages,
            DegradationWindowMs = window,
            DowntimeMs = down,
            MigrationTimeMs = down + window,
        };
    }

    /// <summary>
    /// The least bandwidth meeting both targets: θ_down needs L ≥ V_s/(θ_down − T_ld − T_lr − T_add), θ_mig needs
    /// L ≥ (V_s + V)/(θ_mig − T_ld − T_lr − T_add) and, with a calibrated W_c, L ≥ V_s/(θ_mig − T_ld − T_lr − T_add − W_c); the largest.
    /// </summary>
    public static BandwidthRequirement MinBandwidth(long stateBytes, double maxDowntimeMs, double maxMigrationTimeMs, PamParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var fixedMs = LazyDumpMs(stateBytes, p) + LazyRestoreMs(stateBytes, p) + p.RuntimeOverheadMs;
        var images = ImageBytes(p);
        var byLink = BandwidthRequirement.Max(
            BandwidthRequirement.For(fixedMs, images, maxDowntimeMs),
            BandwidthRequirement.For(fixedMs, images + PageBytes(stateBytes, p), maxMigrationTimeMs));
        // CRIU's own page-in time W_c does not shrink with the bandwidth: θ_mig must also hold with it in place of V/L.
        return p.PageInMs is { } pageIn
            ? BandwidthRequirement.Max(byLink, BandwidthRequirement.For(fixedMs + pageIn + p.PageInMsPerByte * stateBytes, images, maxMigrationTimeMs))
            : byLink;
    }
}
