namespace EdgePortal.Core.Domain;

/// <summary>The kinds of record that accumulate for years and are pruned by age, each by its own setting.</summary>
public enum HistoryKind
{
    /// <summary>Finished migrations (Completed, RolledBack, Cancelled, Failed), by creation time; unfinished ones never.</summary>
    Migrations,
    /// <summary>Schedule runs, by firing time.</summary>
    ScheduleRuns,
    /// <summary>The KPI monitor's decisions, by time.</summary>
    Decisions,
    /// <summary>Audit entries, by time.</summary>
    Audit,
}

/// <summary>Deletes old history, a bounded batch at a time, so that a large prune never holds the store for long.</summary>
public interface IHistoryPruner
{
    /// <summary>Deletes at most <paramref name="max"/> records of <paramref name="kind"/> older than <paramref name="olderThan"/>, oldest first; returns how many.</summary>
    int Prune(HistoryKind kind, DateTimeOffset olderThan, int max);
}
