using EdgePortal.Core.Retention;
using EdgePortal.Storage;
using Microsoft.Extensions.Options;
using Quartz;

namespace EdgePortal.Web.Scheduling;

/// <summary>
/// Prunes history by its retention settings on the scheduler's rhythm (<c>EdgePortal:Retention:Interval</c>). With
/// replicas it runs on one of them at a time: the clustered store holds its trigger, and the job never overlaps itself.
/// </summary>
[DisallowConcurrentExecution]
public sealed class HistoryPruningJob(HistoryRetention retention) : IJob
{
    public const string Name = "history-pruning";

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        retention.Prune();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Compacts the LiteDB file (LiteDB's rebuild drops its free pages) on <c>EdgePortal:Storage:LiteDb:Compaction</c>.</summary>
[DisallowConcurrentExecution]
public sealed partial class LiteDbCompactionJob(EdgeDatabase database, ILogger<LiteDbCompactionJob> logger) : IJob
{
    public const string Name = "litedb-compaction";

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var before = new FileInfo(database.Path).Length;
        var saved = database.Compact();
        LogCompacted(database.Path, before, saved);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Compacted {Path}: {Before} bytes, {Saved} freed")]
    private partial void LogCompacted(string path, long before, long saved);
}

/// <summary>The compaction schedule must be a Quartz cron expression (or empty: never).</summary>
public sealed class CompactionScheduleValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cron = options.LiteDb.Compaction;
        return string.IsNullOrWhiteSpace(cron) || CronExpression.TryParse(cron, out _)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{StorageOptions.Section}:LiteDb:Compaction must be a Quartz cron expression (seconds first, e.g. \"0 30 3 ? * SUN\") or empty; '{cron}' is not.");
    }
}
