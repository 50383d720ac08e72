using System.Globalization;
using System.Text.Json;
using EdgePortal.Client;

namespace EdgePortal.Cli;

/// <summary>Writes results to standard output: the client's own models as JSON (<c>--output json</c>), or short tables for people.</summary>
internal sealed class Renderer(CliConsole console, bool json)
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private TextWriter Out => console.Out;

    /// <summary>How <c>--wait</c> shows progress: a redrawn bar on a terminal, plain lines otherwise, nothing but the result with JSON.</summary>
    public IProgressView Progress() => json ? new SilentProgress() : console.IsTerminal ? new BarProgress(console.Error) : new LineProgress(console.Error);

    public void Migrations(ICollection<MigrationViewModel> migrations)
    {
        if (Json(migrations))
            return;
        Table(["ID", "SERVICE", "STATE", "STRATEGY", "DOWNTIME", "PREDICTED", "CREATED"],
            migrations.Select(m => new[]
            {
                m.Id.ToString() ?? "", m.ServiceName, m.State.ToString(), m.Strategy.ToString(), Commands.Ms(m.MeasuredDowntimeMs),
                Commands.Ms(m.PredictedDowntimeMs), m.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
            }));
    }

    public void Migration(MigrationViewModel migration)
    {
        if (Json(migration))
            return;
        Out.WriteLine($"migration {migration.Id} of {migration.ServiceName}: {migration.State} ({migration.Strategy})");
        Out.WriteLine($"  downtime   {Commands.Ms(migration.MeasuredDowntimeMs)} (predicted {Commands.Ms(migration.PredictedDowntimeMs)})");
        Out.WriteLine($"  total time {Commands.Ms(migration.MeasuredMigrationTimeMs)} (predicted {Commands.Ms(migration.PredictedMigrationTimeMs)})");
        if (migration.WaitingFor is { } waiting)
            Out.WriteLine($"  waiting for {waiting}");
        if (migration.FailureReason is { } reason)
            Out.WriteLine($"  {reason}");
        Out.WriteLine($"  plan: {migration.Plan.Rationale}");
    }

    public void Plan(ServicePlanView plan)
    {
        if (Json(plan))
            return;
        Out.WriteLine(plan.Summary);
        Out.WriteLine(plan.Feasible ? "feasible: the plan meets the targets" : "not feasible: no plan meets the targets");
        Out.WriteLine(plan.Rationale);
        Strategies(plan.Strategies);
    }

    public void WhatIf(PlanView plan)
    {
        if (Json(plan))
            return;
        Out.WriteLine(plan.Feasible ? $"feasible: {plan.Plan.Strategy}" : "not feasible: no plan meets the targets");
        Out.WriteLine(plan.Rationale);
        Strategies(plan.Strategies);
    }

    public void Schedules(ICollection<ScheduleView> schedules)
    {
        if (Json(schedules))
            return;
        Table(["ID", "NAME", "KIND", "WHEN", "PAUSED", "NEXT"],
            schedules.Select(s => new[]
            {
                s.Schedule.Id.ToString(), s.Schedule.Name, s.Schedule.Kind.ToString(),
                s.Schedule.Cron ?? s.Schedule.RunAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                s.Schedule.Paused ? "yes" : "no",
                s.NextFireTimes.Count > 0 ? s.NextFireTimes[0].ToString("u", CultureInfo.InvariantCulture) : "-",
            }));
    }

    private void Strategies(IEnumerable<StrategyEvaluation> strategies)
        => Table(["STRATEGY", "FEASIBLE", "DOWNTIME", "TOTAL", "REASON"],
            strategies.Select(s => new[]
            {
                s.Strategy.ToString(), s.Feasible ? "yes" : "no", Commands.Ms(s.PredictedDowntimeMs), Commands.Ms(s.PredictedMigrationTimeMs), s.Reason,
            }));

    private bool Json<T>(T value)
    {
        if (!json)
            return false;
        Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        return true;
    }

    private void Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
            Out.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}
