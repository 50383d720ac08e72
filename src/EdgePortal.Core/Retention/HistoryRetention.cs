using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Retention;

/// <summary>
/// One pruning pass: for each kind with a retention period, deletes what is older, in bounded batches, and records what
/// it deleted in the audit log (one entry per pass that deleted anything, by the actor <see cref="Actor"/>).
/// </summary>
public sealed partial class HistoryRetention(IHistoryPruner pruner, AuditTrail audit, IOptionsMonitor<RetentionOptions> options, TimeProvider clock,
    ILogger<HistoryRetention> logger)
{
    public const string Actor = "retention";

    /// <summary>Prunes every kind once; returns how many records of each kind went.</summary>
    public IReadOnlyDictionary<HistoryKind, int> Prune()
    {
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow();
        var deleted = new Dictionary<HistoryKind, int>();
        var cutoffs = new Dictionary<HistoryKind, DateTimeOffset>();
        foreach (var kind in Enum.GetValues<HistoryKind>())
        {
            var keep = settings.For(kind);
            if (keep <= TimeSpan.Zero)
                continue;
            var cutoff = now - keep;
            cutoffs[kind] = cutoff;
            var total = 0;
            while (total < settings.MaxPerPass)
            {
                var batch = pruner.Prune(kind, cutoff, Math.Min(settings.BatchSize, settings.MaxPerPass - total));
                total += batch;
                if (batch < settings.BatchSize)
                    break;
            }
            deleted[kind] = total;
        }
        var pruned = deleted.Where(d => d.Value > 0).ToList();
        if (pruned.Count > 0)
        {
            var detail = string.Join("; ", pruned.Select(d => string.Create(CultureInfo.InvariantCulture,
                $"{d.Value} {Name(d.Key)} older than {cutoffs[d.Key]:u} ({Settings(d.Key)} = {settings.For(d.Key):c})")));
            audit.Record(Actor, AuditActions.HistoryPrune, string.Join(", ", pruned.Select(d => Name(d.Key))), detail);
            LogPruned(detail);
        }
        return deleted;
    }

    private static string Name(HistoryKind kind) => kind switch
    {
        HistoryKind.Migrations => "finished migrations",
        HistoryKind.ScheduleRuns => "schedule runs",
        HistoryKind.Decisions => "automation decisions",
        HistoryKind.Audit => "audit entries",
        _ => kind.ToString(),
    };

    private static string Settings(HistoryKind kind) => $"{RetentionOptions.Section}:{kind}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned history: {Detail}")]
    private partial void LogPruned(string detail);
}
