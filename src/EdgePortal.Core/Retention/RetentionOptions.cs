using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Retention;

/// <summary>
/// How long history is kept, per kind (<c>EdgePortal:Retention</c>); <c>00:00:00</c> keeps a kind for ever. The audit
/// log has its own setting and is kept for ever unless it is set.
/// </summary>
public sealed class RetentionOptions
{
    public const string Section = "EdgePortal:Retention";

    /// <summary>Finished migrations older than this are deleted (default 365 days). Unfinished ones never are.</summary>
    public TimeSpan Migrations { get; set; } = TimeSpan.FromDays(365);

    /// <summary>Schedule runs (default 90 days).</summary>
    public TimeSpan ScheduleRuns { get; set; } = TimeSpan.FromDays(90);

    /// <summary>The KPI monitor's decisions (default 30 days).</summary>
    public TimeSpan Decisions { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Audit entries (default: kept for ever). Pruning them is itself audited.</summary>
    public TimeSpan Audit { get; set; } = TimeSpan.Zero;

    /// <summary>How often pruning runs (default hourly).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Records deleted per statement: small batches keep each write short under load (default 1,000).</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>The most records of one kind a single pass deletes; the next pass goes on (default 100,000).</summary>
    public int MaxPerPass { get; set; } = 100_000;

    public TimeSpan For(Domain.HistoryKind kind) => kind switch
    {
        Domain.HistoryKind.Migrations => Migrations,
        Domain.HistoryKind.ScheduleRuns => ScheduleRuns,
        Domain.HistoryKind.Decisions => Decisions,
        Domain.HistoryKind.Audit => Audit,
        _ => TimeSpan.Zero,
    };
}

public sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (key, value) in new[] { ("Migrations", options.Migrations), ("ScheduleRuns", options.ScheduleRuns), ("Decisions", options.Decisions), ("Audit", options.Audit) })
            if (value < TimeSpan.Zero)
                failures.Add($"{RetentionOptions.Section}:{key} must be zero (keep for ever) or positive.");
        if (options.Interval < TimeSpan.FromMinutes(1))
            failures.Add($"{RetentionOptions.Section}:Interval must be at least a minute.");
        if (options.BatchSize is < 1 or > 100_000)
            failures.Add($"{RetentionOptions.Section}:BatchSize must be between 1 and 100000.");
        if (options.MaxPerPass < options.BatchSize)
            failures.Add($"{RetentionOptions.Section}:MaxPerPass must be at least BatchSize.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
