using EdgePortal.Core.Domain;
using EdgePortal.Web.Migrations;

namespace EdgePortal.Web.Components.Migrations;

public enum LogSeverity
{
    Info,
    Success,
    Warning,
    Error,
}

/// <summary>One line of a migration's event log: when, how it went, and what happened in words.</summary>
public sealed record MigrationLogEntryViewModel
{
    public required DateTimeOffset At { get; init; }
    /// <summary>The event's sequence number; 0 for lines rebuilt from the stored migration.</summary>
    public required long Sequence { get; init; }
    public required LogSeverity Severity { get; init; }
    public required string Text { get; init; }
}

/// <summary>
/// Builds a migration's event log. Events are not stored, only the migration they produced: the history up to
/// the page's snapshot is rebuilt from the stored steps and times, and every event that arrives later is
/// appended as it is, with the runtime's own message.
/// </summary>
public static class MigrationLog
{
    /// <summary>The log as the stored migration tells it, oldest first.</summary>
    public static IReadOnlyList<MigrationLogEntryViewModel> FromSnapshot(MigrationViewModel m, InventoryNames names)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(names);
        var entries = new List<MigrationLogEntryViewModel>
        {
            Entry(m.CreatedAt, LogSeverity.Info, Queued(m.Strategy, names.Node(m.Source), names.Node(m.Destination), m.Trigger, m.RequestedBy)),
        };
        if (m.StartedAt is { } started)
            entries.Add(Entry(started, LogSeverity.Info, "Started."));
        foreach (var step in m.Steps)
        {
            if (step.StartedAt is { } begun)
                entries.Add(Entry(begun, LogSeverity.Info, StepStartedText(step.Label, step.IsDowntime, step.PredictedMs)));
            foreach (var retry in step.Retries ?? [])
                entries.Add(Entry(retry.At, LogSeverity.Warning, RetryText(step.Label, retry.Attempt, retry.Error, retry.RetryAfterMs)));
            if (step.FinishedAt is not { } ended)
                continue;
            entries.Add(step.Status == StepStatus.Succeeded
                ? Entry(ended, LogSeverity.Success, StepDoneText(step.Label, step.MeasuredMs ?? 0, step.PredictedMs, step.Message))
                : Entry(ended, LogSeverity.Error, $"{step.Label} failed: {step.Message ?? "no reason given"}"));
        }
        if (m.State is MigrationState.RollingBack or MigrationState.RolledBack or MigrationState.Cancelled or MigrationState.Failed && m.StartedAt is not null)
        {
            var at = m.Steps.Where(s => s.Status == StepStatus.Failed).Select(s => s.FinishedAt).FirstOrDefault() ?? m.FinishedAt ?? m.StartedAt!.Value;
            entries.Add(Entry(at, LogSeverity.Warning, $"Rolling back: {m.FailureReason ?? "the migration was stopped"}"));
        }
        if (m.FinishedAt is { } finished)
            entries.Add(Entry(finished, Severity(m.State), FinishedText(m.State, m.FailureReason, m.MeasuredDowntimeMs, m.MeasuredMigrationTimeMs)));
        // Stable: entries at the same instant keep the order in which they happened.
        return [.. entries.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e)];
    }

    /// <summary>One event as a log line; <paramref name="migration"/> names the steps (a failure event carries only the step's index).</summary>
    public static MigrationLogEntryViewModel Describe(MigrationEvent e, MigrationViewModel migration, InventoryNames names)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(migration);
        ArgumentNullException.ThrowIfNull(names);
        var (severity, text) = e switch
        {
            MigrationQueued q => (LogSeverity.Info, Queued(q.Strategy, names.Node(q.Source), names.Node(q.Destination), migration.Trigger, migration.RequestedBy)),
            MigrationStarted => (LogSeverity.Info, "Started."),
            StepStarted s => (LogSeverity.Info, StepStartedText(new PlannedStep(s.Kind, s.Round, s.PredictedMs, s.IsDowntime).Label, s.IsDowntime, s.PredictedMs)),
            StepCompleted c => (LogSeverity.Success, StepDoneText(new PlannedStep(c.Kind, c.Round, c.PredictedMs, c.IsDowntime).Label, c.MeasuredMs, c.PredictedMs, c.Message)),
            StepRetrying r => (LogSeverity.Warning, RetryText(StepLabel(migration, r.Index, r.Kind), r.Attempt, r.Error, r.RetryAfterMs)),
            MigrationResumed r => (LogSeverity.Warning, $"Resumed: {r.Reason}"),
            StepFailed f => (LogSeverity.Error, $"{StepLabel(migration, f.Index, f.Kind)} failed: {f.Error}"),
            RollbackStarted r => (LogSeverity.Warning, $"Rolling back: {r.Reason}"),
            MigrationFinished f => (Severity(f.State), FinishedText(f.State, f.Message, f.MeasuredDowntimeMs, f.MeasuredMigrationTimeMs)),
            _ => (LogSeverity.Info, e.GetType().Name),
        };
        return new MigrationLogEntryViewModel { At = e.At, Sequence = e.Sequence, Severity = severity, Text = text };
    }

    private static string Queued(MigrationStrategy strategy, string source, string destination, MigrationTrigger trigger, string requestedBy)
        => $"Queued by {MigrationText.Trigger(trigger)} ({requestedBy}): {MigrationText.Strategy(strategy)} from {source} to {destination}.";

    private static string StepStartedText(string label, bool downtime, double predictedMs)
        => $"{label} started (predicted {Durations.Format(predictedMs)}){(downtime ? "; the service is down during this step" : "")}.";

    private static string StepDoneText(string label, double measuredMs, double predictedMs, string? message)
        => $"{label} done in {Durations.Format(measuredMs)} (predicted {Durations.Format(predictedMs)}){(string.IsNullOrWhiteSpace(message) ? "." : $": {message}")}";

    private static string RetryText(string label, int attempt, string error, double retryAfterMs)
        => $"{label}, attempt {attempt} failed: {error}; trying again in {Durations.Format(retryAfterMs)}.";

    private static string FinishedText(MigrationState state, string? message, double? downtimeMs, double? totalMs) => state switch
    {
        MigrationState.Completed => $"Completed: downtime {MigrationText.Duration(downtimeMs)}, total {MigrationText.Duration(totalMs)}.",
        MigrationState.Cancelled => $"Cancelled: {message ?? "by an operator"}",
        MigrationState.RolledBack => $"Rolled back: {message ?? "the source serves as before"}",
        MigrationState.Failed => $"Failed, the service needs an operator: {message}",
        _ => $"{state}: {message}",
    };

    private static string StepLabel(MigrationViewModel migration, int index, StepKind kind)
        => index >= 0 && index < migration.Steps.Count ? migration.Steps[index].Label : new PlannedStep(kind, 0, 0, false).Label;

    private static LogSeverity Severity(MigrationState state) => state switch
    {
        MigrationState.Completed => LogSeverity.Success,
        MigrationState.Cancelled or MigrationState.RolledBack => LogSeverity.Warning,
        MigrationState.Failed => LogSeverity.Error,
        _ => LogSeverity.Info,
    };

    private static MigrationLogEntryViewModel Entry(DateTimeOffset at, LogSeverity severity, string text)
        => new() { At = at, Sequence = 0, Severity = severity, Text = text };
}
