using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// The least bandwidth that brings a phase time of the form <c>FixedMs + bytes/L</c> down to a target:
/// L ≥ bytes / (target − FixedMs) ([PAM] eq. 33). Unachievable (+∞) when the bandwidth-independent part
/// alone reaches the target, i.e. the denominator is ≤ 0.
/// </summary>
/// <param name="BytesPerMillisecond">The minimum L in bytes per ms; +∞ when no bandwidth suffices; 0 when nothing needs transferring.</param>
/// <param name="FixedMs">The part of the time that no bandwidth shortens (processing, restore, T_add).</param>
/// <param name="TargetMs">The target the requirement was computed for.</param>
public readonly record struct BandwidthRequirement(double BytesPerMillisecond, double FixedMs, double TargetMs)
{
    /// <summary>Whether any finite bandwidth meets the target.</summary>
    public bool IsAchievable => double.IsFinite(BytesPerMillisecond);

    /// <summary>The requirement in bit/s (+∞ when unachievable).</summary>
    public double BitsPerSecond => BytesPerMillisecond * 8_000d;

    /// <summary>Whether the requirement fits in what is available (with a relative tolerance of 10⁻⁹ for rounding).</summary>
    public bool FitsWithin(double availableBytesPerMs) => IsAchievable && BytesPerMillisecond <= availableBytesPerMs * (1 + 1e-9);

    /// <summary>The requirement as a <see cref="Bandwidth"/>; throws when unachievable.</summary>
    public Bandwidth ToBandwidth() => IsAchievable
        ? Bandwidth.FromBytesPerMillisecond(BytesPerMillisecond)
        : throw new InvalidOperationException($"No bandwidth meets {TargetMs} ms: the fixed part alone takes {FixedMs} ms.");

    /// <summary>L ≥ bytes / (target − fixed): the least L for which fixed + bytes/L ≤ target.</summary>
    public static BandwidthRequirement For(double fixedMs, double bytes, double targetMs)
    {
        var headroom = targetMs - fixedMs;
        if (bytes <= 0)
            return new(headroom >= 0 ? 0 : double.PositiveInfinity, fixedMs, targetMs);
        return new(headroom > 0 ? bytes / headroom : double.PositiveInfinity, fixedMs, targetMs);
    }

    /// <summary>The stricter of two requirements (both must hold).</summary>
    public static BandwidthRequirement Max(BandwidthRequirement a, BandwidthRequirement b) =>
        b.BytesPerMillisecond > a.BytesPerMillisecond ? b : a;
}

/// <summary>How many dump rounds fit in θ_mig ([PAM] eq. 34), after the cap of <see cref="PamParameters.MaxIterations"/>.</summary>
/// <param name="Iterations">The largest I meeting θ_mig, capped; null when even I = 0 misses θ_mig.</param>
/// <param name="Uncapped">⌊(θ_mig − T_0 − T_down)/(T_d + T_net)⌋ before the cap (may be negative, or int.MaxValue when rounds are free).</param>
public readonly record struct IterationBudget(int? Iterations, long Uncapped)
{
    /// <summary>Whether the cap, rather than θ_mig, limited I.</summary>
    public bool LimitedByCap => Iterations is { } i && Uncapped > i;
}
