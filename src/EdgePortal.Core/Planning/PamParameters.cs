using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// The calibrated parameters of the [PAM] migration model for one host class (Table III of [PAM] for
/// <see cref="PaperTestbed"/>), plus the runtime overhead T_add and the few constants the designer
/// needs. Parameters that [PAM] reports at the minimum and at the maximum dirty-page rate come as
/// <c>…AtRmin</c>/<c>…AtRmax</c> pairs and are interpolated linearly in the normalised dirty rate r
/// (our choice, see docs/migration-model.md §1).
/// </summary>
/// <remarks>
/// Units: times in ms, sizes in bytes, "per byte" coefficients per byte of state M, pages of σ bytes.
/// Every runtime (simulated, Kubernetes, agent) calibrates its own set; the caller picks the set of the
/// source host's class and passes it to the designer with each request.
/// </remarks>
public sealed record PamParameters
{
    /// <summary>[PAM] Table III, the COAT testbed, with T_add = 241 ms (69 + 101 + 71 ms of network namespace work).</summary>
    public static PamParameters PaperTestbed { get; } = new();

    /// <summary>The name of <see cref="PaperTestbed"/>.</summary>
    public const string PaperTestbedName = "[PAM] Table III (paper testbed)";

    /// <summary>Which parameter set this is (the paper's, or a calibration's host class and date), for plans and pages to say what they used.</summary>
    public string Name { get; init; } = PaperTestbedName;

    /// <summary>α1, CPU scaling of the dump-side processing.</summary>
    public double Alpha1 { get; init; } = 1.6;
    /// <summary>α2, second dump-side scaling factor.</summary>
    public double Alpha2 { get; init; } = 1.2;
    /// <summary>α3, CPU scaling of the restore.</summary>
    public double Alpha3 { get; init; } = 3.3;
    /// <summary>α4, second restore-side scaling factor.</summary>
    public double Alpha4 { get; init; } = 1.9;
    /// <summary>σ, the page size in bytes.</summary>
    public int PageSizeBytes { get; init; } = 4096;
    /// <summary>β, fixed cost of any dump (process tree freeze, parasite injection), ms.</summary>
    public double BetaMs { get; init; } = 84;
    /// <summary>φp, fixed part of the pre-dump's memory scan, ms.</summary>
    public double PhiPreDumpMs { get; init; } = 6.0;
    /// <summary>φd, fixed part of a dump round, ms.</summary>
    public double PhiDumpMs { get; init; } = 40;
    /// <summary>ζ, share of the state the pre-dump scans.</summary>
    public double Zeta { get; init; } = 1.0;
    /// <summary>ξ at Rmin: share of the state a dump round scans when hardly any page is dirtied.</summary>
    public double XiAtRmin { get; init; }
    /// <summary>ξ at Rmax: share of the state a dump round scans when every page is dirtied each interval.</summary>
    public double XiAtRmax { get; init; } = 30;
    /// <summary>δ, fixed part of writing the pre-dump image, ms.</summary>
    public double DeltaMs { get; init; } = 1.8;
    /// <summary>Λ, per-byte cost of writing the pre-dump image, ms/B.</summary>
    public double LambdaMsPerByte { get; init; } = 3e-6;
    /// <summary>Γ, per-byte cost of scanning memory, ms/B.</summary>
    public double GammaMsPerByte { get; init; } = 1e-7;
    /// <summary>η at Rmin. Listed for completeness: [PAM] folds it into the frozen time, it does not enter T_d.</summary>
    public double EtaAtRmin { get; init; } = 0.0075;
    /// <summary>η at Rmax. Listed for completeness, unused by the model.</summary>
    public double EtaAtRmax { get; init; } = 0.75;
    /// <summary>τ1, image size inflation of the pre-dump (bytes written per page byte).</summary>
    public double Tau1 { get; init; } = 1.0;
    /// <summary>τ2 at Rmin, image inflation of a dump round with few dirty pages.</summary>
    public double Tau2AtRmin { get; init; } = 4.0;
    /// <summary>τ2 at Rmax (= τ1 in [PAM]).</summary>
    public double Tau2AtRmax { get; init; } = 1.0;
    /// <summary>μp, pages a pre-dump writes besides the state (pages).</summary>
    public double MuPreDumpPages { get; init; } = 45;
    /// <summary>μd, pages a dump round writes besides the dirtied ones (pages).</summary>
    public double MuDumpPages { get; init; } = 10;
    /// <summary>νp, pages per byte of state in the pre-dump (1/B).</summary>
    public double NuPreDumpPerByte { get; init; } = 2.5e-4;
    /// <summary>νd at Rmin, dirtied pages per byte of state in a dump round (1/B).</summary>
    public double NuDumpAtRminPerByte { get; init; }
    /// <summary>νd at Rmax (= νp in [PAM]).</summary>
    public double NuDumpAtRmaxPerByte { get; init; } = 2.5e-4;
    /// <summary>ψ, fixed cost of a restore, ms.</summary>
    public double PsiMs { get; init; } = 60;
    /// <summary>ω, per-byte cost of a restore, ms/B.</summary>
    public double OmegaMsPerByte { get; init; } = 8e-7;
    /// <summary>ρ, compression ratio of the transferred images (1 = none).</summary>
    public double Rho { get; init; } = 1.0;

    /// <summary>
    /// T_add, what the runtime adds to stop-and-copy besides CRIU (COAT: clear the source network
    /// namespace 69 ms, re-create it at the destination 101 ms, update the client's flow 71 ms).
    /// </summary>
    public double RuntimeOverheadMs { get; init; } = 241;

    /// <summary>
    /// The part of <see cref="RuntimeOverheadMs"/> that redirects the users' traffic (COAT: updating the
    /// client's flow, 71 ms). The designer books it on the SwitchTraffic step and the rest of T_add on
    /// Restore; for MS2M it is the whole downtime. Must not exceed T_add.
    /// </summary>
    public double SwitchMs { get; init; } = 71;

    /// <summary>
    /// Calibrated only (the paper has no live dump): the fixed part of T_f, the time the source stays frozen while a live
    /// (<c>--leave-running</c>) dump checkpoints it, ms. Null: T_f is costed as the cold dump's T_p.
    /// </summary>
    public double? LiveFreezeMs { get; init; }
    /// <summary>The per-byte part of T_f = <see cref="LiveFreezeMs"/> + this·M, ms/B (used only when <see cref="LiveFreezeMs"/> is set).</summary>
    public double LiveFreezeMsPerByte { get; init; }
    /// <summary>
    /// Calibrated only: the fixed part of T_ld, post-copy's lazy dump (<c>criu dump --lazy-pages</c>: everything but the
    /// memory, until its page server is ready), ms. Null: T_ld = α1·α2·(β + φp + δ).
    /// </summary>
    public double? LazyDumpMs { get; init; }
    /// <summary>The per-byte part of T_ld = <see cref="LazyDumpMs"/> + this·M (CRIU still walks the memory's mappings), ms/B.</summary>
    public double LazyDumpMsPerByte { get; init; }
    /// <summary>Calibrated only: the fixed part of T_lr, the restore with lazy pages, ms. Null: T_lr = α3·α4·ψ.</summary>
    public double? LazyRestoreMs { get; init; }
    /// <summary>The per-byte part of T_lr = <see cref="LazyRestoreMs"/> + this·M, ms/B.</summary>
    public double LazyRestoreMsPerByte { get; init; }
    /// <summary>
    /// Calibrated only: the fixed part of CRIU's own page-in time W_c = this + <see cref="PageInMsPerByte"/>·M, ms. The
    /// degradation window is the slower of the link and CRIU, W = max(V/L, W_c) (CRIU's lazy-pages daemon fetches in small
    /// requests while the service faults). Null: W = V/L.
    /// </summary>
    public double? PageInMs { get; init; }
    /// <summary>The per-byte part of W_c, ms/B.</summary>
    public double PageInMsPerByte { get; init; }

    /// <summary>ΔT, the profiling interval over which the dirty-page rate is measured, seconds.</summary>
    public double ProfilingIntervalSeconds { get; init; } = 1.0;

    /// <summary>Predicted time of the Profile step (one profiling interval). Not part of T_mig.</summary>
    public double ProfileMs { get; init; } = 1_000;

    /// <summary>Predicted time of the CleanUp step (delete the source and its images). Not part of T_mig.</summary>
    public double CleanUpMs { get; init; } = 50;

    /// <summary>The most pre-copy rounds the designer configures, whatever θ_mig would allow.</summary>
    public int MaxIterations { get; init; } = 10;

    /// <summary>
    /// Reservations are rounded up to a multiple of this (bit/s); 0 reserves the exact minimum.
    /// Rounding up never hurts a prediction: more bandwidth never lengthens a phase.
    /// </summary>
    public double BandwidthGranularityBitsPerSecond { get; init; } = 1e6;

    /// <summary>Linear interpolation between a value at Rmin and one at Rmax, r clamped to [0, 1].</summary>
    public static double Interpolate(double atRmin, double atRmax, double r)
    {
        var t = double.IsNaN(r) ? 0 : Math.Clamp(r, 0, 1);
        return atRmin + (atRmax - atRmin) * t;
    }

    /// <summary>ξ(r), share of the state a dump round scans.</summary>
    public double Xi(double r) => Interpolate(XiAtRmin, XiAtRmax, r);

    /// <summary>τ2(r), image inflation of a dump round.</summary>
    public double Tau2(double r) => Interpolate(Tau2AtRmin, Tau2AtRmax, r);

    /// <summary>νd(r), dirtied pages per byte of state in a dump round.</summary>
    public double NuDump(double r) => Interpolate(NuDumpAtRminPerByte, NuDumpAtRmaxPerByte, r);

    /// <summary>η(r) (unused by the model, see <see cref="EtaAtRmin"/>).</summary>
    public double Eta(double r) => Interpolate(EtaAtRmin, EtaAtRmax, r);

    /// <summary>
    /// The normalised dirty rate r = (R̂ − Rmin)/(Rmax − Rmin) with Rmin = 1/ΔT and Rmax = ⌈M/σ⌉/ΔT
    /// ([PAM]; docs/migration-model.md §1), clamped to [0, 1]. A state of a single page (Rmax = Rmin) gives 0 below Rmin and 1 above.
    /// </summary>
    public double NormalisedDirtyRate(long stateSizeBytes, double dirtyPagesPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateSizeBytes);
        if (!double.IsFinite(dirtyPagesPerSecond) || dirtyPagesPerSecond < 0)
            throw new ArgumentOutOfRangeException(nameof(dirtyPagesPerSecond), dirtyPagesPerSecond, "The dirty-page rate must be a finite number ≥ 0.");
        var rMin = 1.0 / ProfilingIntervalSeconds;
        var pages = (double)((stateSizeBytes + PageSizeBytes - 1) / PageSizeBytes);
        var rMax = pages / ProfilingIntervalSeconds;
        if (rMax <= rMin)
            return dirtyPagesPerSecond > rMin ? 1 : 0;
        return Math.Clamp((dirtyPagesPerSecond - rMin) / (rMax - rMin), 0, 1);
    }

    /// <summary>
    /// The inverse of <see cref="NormalisedDirtyRate(long, double)"/>: the dirty-page rate R̂ = Rmin + r·(Rmax − Rmin)
    /// (pages/s) that a state of <paramref name="stateSizeBytes"/> has at normalised rate <paramref name="r"/>, for
    /// callers that think in r (the what-if API, the Planner page) but must hand the designer a profile.
    /// A state of a single page has only the two rates Rmin and above: r &lt; 0.5 gives Rmin (read back as 0), the rest 2·Rmin (read back as 1).
    /// </summary>
    public double DirtyPagesPerSecond(long stateSizeBytes, double r)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateSizeBytes);
        if (!double.IsFinite(r) || r < 0 || r > 1)
            throw new ArgumentOutOfRangeException(nameof(r), r, "The normalised dirty rate r must lie in [0, 1].");
        var rMin = 1.0 / ProfilingIntervalSeconds;
        var pages = (double)((stateSizeBytes + PageSizeBytes - 1) / PageSizeBytes);
        var rMax = pages / ProfilingIntervalSeconds;
        if (rMax <= rMin)
            return r < 0.5 ? rMin : 2 * rMin;
        return rMin + r * (rMax - rMin);
    }

    /// <summary><see cref="NormalisedDirtyRate(long, double)"/> of a profiled service.</summary>
    public double NormalisedDirtyRate(WorkloadProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return NormalisedDirtyRate(profile.StateSizeBytes, profile.DirtyPagesPerSecond);
    }

    /// <summary>
    /// Checks that every parameter is usable (finite, non-negative where the model needs it, σ and ΔT
    /// positive, the switch part within T_add) and throws an <see cref="ArgumentException"/> naming the
    /// first one that is not.
    /// </summary>
    public void EnsureValid()
    {
        NonNegative(Alpha1, nameof(Alpha1));
        NonNegative(Alpha2, nameof(Alpha2));
        NonNegative(Alpha3, nameof(Alpha3));
        NonNegative(Alpha4, nameof(Alpha4));
        if (PageSizeBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(PageSizeBytes), PageSizeBytes, "σ must be > 0 bytes.");
        NonNegative(BetaMs, nameof(BetaMs));
        NonNegative(PhiPreDumpMs, nameof(PhiPreDumpMs));
        NonNegative(PhiDumpMs, nameof(PhiDumpMs));
        NonNegative(Zeta, nameof(Zeta));
        NonNegative(XiAtRmin, nameof(XiAtRmin));
        NonNegative(XiAtRmax, nameof(XiAtRmax));
        NonNegative(DeltaMs, nameof(DeltaMs));
        NonNegative(LambdaMsPerByte, nameof(LambdaMsPerByte));
        NonNegative(GammaMsPerByte, nameof(GammaMsPerByte));
        NonNegative(EtaAtRmin, nameof(EtaAtRmin));
        NonNegative(EtaAtRmax, nameof(EtaAtRmax));
        NonNegative(Tau1, nameof(Tau1));
        NonNegative(Tau2AtRmin, nameof(Tau2AtRmin));
        NonNegative(Tau2AtRmax, nameof(Tau2AtRmax));
        NonNegative(MuPreDumpPages, nameof(MuPreDumpPages));
        NonNegative(MuDumpPages, nameof(MuDumpPages));
        NonNegative(NuPreDumpPerByte, nameof(NuPreDumpPerByte));
        NonNegative(NuDumpAtRminPerByte, nameof(NuDumpAtRminPerByte));
        NonNegative(NuDumpAtRmaxPerByte, nameof(NuDumpAtRmaxPerByte));
        NonNegative(PsiMs, nameof(PsiMs));
        NonNegative(OmegaMsPerByte, nameof(OmegaMsPerByte));
        if (!double.IsFinite(Rho) || Rho <= 0)
            throw new ArgumentOutOfRangeException(nameof(Rho), Rho, "ρ must be a finite number > 0.");
        NonNegative(RuntimeOverheadMs, nameof(RuntimeOverheadMs));
        NonNegative(SwitchMs, nameof(SwitchMs));
        if (SwitchMs > RuntimeOverheadMs)
            throw new ArgumentOutOfRangeException(nameof(SwitchMs), SwitchMs, $"SwitchMs is part of T_add and must not exceed RuntimeOverheadMs ({RuntimeOverheadMs} ms).");
        foreach (var (value, name) in new[] { (LiveFreezeMs, nameof(LiveFreezeMs)), (LazyDumpMs, nameof(LazyDumpMs)), (LazyRestoreMs, nameof(LazyRestoreMs)), (PageInMs, nameof(PageInMs)) })
            if (value is { } v)
                NonNegative(v, name);
        NonNegative(LiveFreezeMsPerByte, nameof(LiveFreezeMsPerByte));
        NonNegative(LazyDumpMsPerByte, nameof(LazyDumpMsPerByte));
        NonNegative(LazyRestoreMsPerByte, nameof(LazyRestoreMsPerByte));
        NonNegative(PageInMsPerByte, nameof(PageInMsPerByte));
        if (!double.IsFinite(ProfilingIntervalSeconds) || ProfilingIntervalSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(ProfilingIntervalSeconds), ProfilingIntervalSeconds, "ΔT must be a finite number > 0.");
        NonNegative(ProfileMs, nameof(ProfileMs));
        NonNegative(CleanUpMs, nameof(CleanUpMs));
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "MaxIterations must be ≥ 1.");
        NonNegative(BandwidthGranularityBitsPerSecond, nameof(BandwidthGranularityBitsPerSecond));
    }

    private static void NonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number ≥ 0.");
    }
}
