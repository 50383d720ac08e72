using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Scheduling;

/// <summary>Bound to <c>EdgePortal:Automation</c>: the KPI monitor's rhythm, hysteresis, cool-down and urgency.</summary>
public sealed class AutomationOptions
{
    public const string Section = "EdgePortal:Automation";

    /// <summary>Whether the KPI monitor runs (default false; the demo profile turns it on with the mobility model).</summary>
    public bool KpiMonitorEnabled { get; set; }

    /// <summary>How often every service's latency is evaluated (default 5 s).</summary>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>N: evaluations in a row above the violation threshold before the monitor acts (default 3).</summary>
    public int ConsecutiveViolations { get; set; } = 3;

    /// <summary>
    /// The hysteresis band, as a fraction of the target: a value counts as a violation only above
    /// target × (1 + margin), and clears the count only at or below the target (default 0.1).
    /// </summary>
    public double ViolationMargin { get; set; } = 0.1;

    /// <summary>After a migration of a service (by anyone), the monitor leaves it alone this long (default 2 min).</summary>
    public TimeSpan CoolDown { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A violation this far over the target (as a fraction: 1 = twice the target) is urgent: the monitor acts
    /// outside maintenance windows (default 1).
    /// </summary>
    public double UrgentSeverity { get; set; } = 1.0;

    /// <summary>Latency the node's load adds, in ms at 100 % load (linear; default 1 ms).</summary>
    public double LoadLatencyMs { get; set; } = 1.0;

    /// <summary>
    /// How late a schedule's firing may start before it counts as missed and its misfire policy applies (default 60 s,
    /// Quartz's own): a busy scheduler, a paused host or a clock jump can make the portal miss a firing while it runs.
    /// </summary>
    public TimeSpan MisfireThreshold { get; set; } = TimeSpan.FromSeconds(60);
}

public sealed class AutomationOptionsValidator : IValidateOptions<AutomationOptions>
{
    public ValidateOptionsResult Validate(string? name, AutomationOptions options)
    {
        const string s = AutomationOptions.Section;
        var failures = new List<string>();
        if (options.EvaluationInterval < TimeSpan.FromMilliseconds(100))
            failures.Add($"{s}:EvaluationInterval must be at least 00:00:00.1 (was {options.EvaluationInterval}).");
        if (options.ConsecutiveViolations < 1)
            failures.Add($"{s}:ConsecutiveViolations must be ≥ 1 (was {options.ConsecutiveViolations}).");
        if (!double.IsFinite(options.ViolationMargin) || options.ViolationMargin < 0)
            failures.Add($"{s}:ViolationMargin must be ≥ 0 (was {options.ViolationMargin}).");
        if (options.CoolDown < TimeSpan.Zero)
            failures.Add($"{s}:CoolDown must not be negative (was {options.CoolDown}).");
        if (!double.IsFinite(options.UrgentSeverity) || options.UrgentSeverity <= 0)
            failures.Add($"{s}:UrgentSeverity must be > 0 (was {options.UrgentSeverity}).");
        if (!double.IsFinite(options.LoadLatencyMs) || options.LoadLatencyMs < 0)
            failures.Add($"{s}:LoadLatencyMs must be ≥ 0 (was {options.LoadLatencyMs}).");
        if (options.MisfireThreshold < TimeSpan.FromMilliseconds(100))
            failures.Add($"{s}:MisfireThreshold must be at least 00:00:00.1 (was {options.MisfireThreshold}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
