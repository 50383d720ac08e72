using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>Bound to <c>EdgePortal:Capabilities</c>: how often the runtimes are probed for what they can do, and how long an answer counts.</summary>
public sealed class CapabilityOptions
{
    public const string Section = "EdgePortal:Capabilities";

    /// <summary>Every cluster is probed at start and then this often in the background; zero turns the background refresh off (probes then happen on expiry only).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>An answer older than this is refreshed in the background when the planner reads it (the planner keeps using it meanwhile).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A probe without an answer after this long counts as a cluster that does not answer.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long planning waits for the first probe of a cluster it has no answer for; after that it plans nothing there until the probe answers.</summary>
    public TimeSpan PlanningWait { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>Each message names the key to fix.</summary>
public sealed class CapabilityOptionsValidator : IValidateOptions<CapabilityOptions>
{
    public ValidateOptionsResult Validate(string? name, CapabilityOptions options)
    {
        var failures = new List<string>();
        if (options.RefreshInterval < TimeSpan.Zero)
            failures.Add($"{CapabilityOptions.Section}:RefreshInterval must be ≥ 0 (0 = no background refresh).");
        if (options.MaxAge <= TimeSpan.Zero)
            failures.Add($"{CapabilityOptions.Section}:MaxAge must be positive.");
        if (options.ProbeTimeout <= TimeSpan.Zero)
            failures.Add($"{CapabilityOptions.Section}:ProbeTimeout must be positive.");
        if (options.PlanningWait < TimeSpan.Zero)
            failures.Add($"{CapabilityOptions.Section}:PlanningWait must be ≥ 0.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
