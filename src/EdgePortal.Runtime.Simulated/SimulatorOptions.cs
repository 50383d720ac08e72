using System.Globalization;
using EdgePortal.Core.Domain;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// Bound to <c>EdgePortal:Simulator</c>: how fast the digital twin runs, how noisy it is, and which faults it injects.
/// </summary>
public sealed class SimulatorOptions
{
    public const string Section = "EdgePortal:Simulator";

    /// <summary>
    /// How much faster than real time the twin runs (default 1): a step that takes 900 simulated ms waits
    /// 900 / <see cref="SpeedFactor"/> ms of real time. The step still reports its simulated duration.
    /// </summary>
    public double SpeedFactor { get; set; } = 1.0;

    /// <summary>
    /// Spread of the multiplicative lognormal noise around the plan's prediction, as a coefficient of variation
    /// (standard deviation / mean of the factor, whose mean is 1). Default 0.08; 0 reproduces the plan exactly.
    /// </summary>
    public double NoiseCoefficientOfVariation { get; set; } = 0.08;

    /// <summary>Probability in [0, 1] that any one step fails with an injected fault (default 0).</summary>
    public double FailureProbability { get; set; }

    /// <summary>
    /// Per-step overrides of <see cref="FailureProbability"/>, keyed by step kind name
    /// (<c>EdgePortal:Simulator:StepFailureProbabilities:Transfer = 0.2</c>).
    /// </summary>
    public Dictionary<string, double> StepFailureProbabilities { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Seed of the noise and fault draws; set it for repeatable runs (tests, demos). Unset: a fresh seed per start.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>The failure probability that applies to a step of this kind.</summary>
    public double FailureProbabilityFor(StepKind kind)
    {
        foreach (var (key, probability) in StepFailureProbabilities)
            if (Enum.TryParse<StepKind>(key, ignoreCase: true, out var parsed) && parsed == kind && !int.TryParse(key, out _))
                return probability;
        return FailureProbability;
    }
}

/// <summary>Checks the simulator's settings; each message names the key so that a misconfiguration is fixed at first read.</summary>
public sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        const string s = SimulatorOptions.Section;
        if (!double.IsFinite(options.SpeedFactor) || options.SpeedFactor <= 0)
            failures.Add($"{s}:SpeedFactor must be > 0 (was {Show(options.SpeedFactor)}); 1 runs in real time, 10 ten times faster.");
        if (!double.IsFinite(options.NoiseCoefficientOfVariation) || options.NoiseCoefficientOfVariation < 0)
            failures.Add($"{s}:NoiseCoefficientOfVariation must be ≥ 0 (was {Show(options.NoiseCoefficientOfVariation)}); 0 turns the noise off.");
        if (!IsProbability(options.FailureProbability))
            failures.Add($"{s}:FailureProbability must lie in [0, 1] (was {Show(options.FailureProbability)}).");
        foreach (var (key, probability) in options.StepFailureProbabilities ?? [])
        {
            if (!Enum.TryParse<StepKind>(key, ignoreCase: true, out _) || int.TryParse(key, out _))
                failures.Add($"{s}:StepFailureProbabilities:{key} is not a step kind; use one of {string.Join(", ", Enum.GetNames<StepKind>())}.");
            else if (!IsProbability(probability))
                failures.Add($"{s}:StepFailureProbabilities:{key} must lie in [0, 1] (was {Show(probability)}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsProbability(double p) => double.IsFinite(p) && p is >= 0 and <= 1;

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
