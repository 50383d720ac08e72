using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Auditing;

/// <summary><c>EdgePortal:Audit</c>: how refusals are recorded without letting anyone flood the log.</summary>
public sealed class AuditOptions
{
    public const string Section = "EdgePortal:Audit";

    /// <summary>How many refusals of one kind from one source are recorded one by one in a window; the rest are counted.</summary>
    public int RefusalsPerSourceAndWindow { get; set; } = 5;

    /// <summary>The window: when it ends, one entry says how many more refusals the source had in it.</summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many sources are tracked at once; refusals from further sources share one "other sources" count.</summary>
    public int MaxRefusalSources { get; set; } = 10_000;
}

/// <summary>Refuses a start with audit settings that make no sense, naming the key.</summary>
public sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.RefusalsPerSourceAndWindow is < 1 or > 10_000)
            failures.Add($"{AuditOptions.Section}:RefusalsPerSourceAndWindow must lie in 1..10000 (was {options.RefusalsPerSourceAndWindow}).");
        if (options.RefusalWindow < TimeSpan.FromSeconds(1) || options.RefusalWindow > TimeSpan.FromDays(1))
            failures.Add($"{AuditOptions.Section}:RefusalWindow must lie between 00:00:01 and 1.00:00:00 (was {options.RefusalWindow}).");
        if (options.MaxRefusalSources is < 1 or > 1_000_000)
            failures.Add($"{AuditOptions.Section}:MaxRefusalSources must lie in 1..1000000 (was {options.MaxRefusalSources}).");
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
