using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>How the migration pages word strategies, triggers, states and times.</summary>
public static class MigrationText
{
    public static string Strategy(MigrationStrategy strategy) => strategy switch
    {
        MigrationStrategy.Cold => "Cold",
        MigrationStrategy.PreCopy => "Pre-copy",
        MigrationStrategy.IterativePreCopy => "Iterative pre-copy",
        MigrationStrategy.MessageReplay => "Message replay (MS2M)",
        MigrationStrategy.ReplayWithCutoff => "Replay with cut-off",
        MigrationStrategy.PostCopy => "Post-copy (lazy pages)",
        _ => strategy.ToString(),
    };

    public static string Trigger(MigrationTrigger trigger) => trigger switch
    {
        MigrationTrigger.Operator => "an operator",
        MigrationTrigger.Api => "the API",
        MigrationTrigger.Schedule => "a schedule",
        MigrationTrigger.KpiMonitor => "the KPI monitor",
        MigrationTrigger.Drain => "a node drain",
        _ => trigger.ToString(),
    };

    public static string Objective(Objective objective) => objective switch
    {
        Core.Domain.Objective.MinDowntime => "Minimise downtime",
        Core.Domain.Objective.MinResources => "Minimise resources",
        _ => objective.ToString(),
    };

    /// <summary>A duration, or an en dash when there is none.</summary>
    public static string Duration(double? milliseconds) => milliseconds is { } ms ? Durations.Format(ms) : "–";

    /// <summary>Measured minus predicted, signed: "+120 ms", "−1.2 s".</summary>
    public static string Difference(double predictedMs, double? measuredMs)
    {
        if (measuredMs is not { } measured)
            return "–";
        var delta = measured - predictedMs;
        return (delta < 0 ? "−" : "+") + Durations.Format(Math.Abs(delta));
    }

    /// <summary>A point in time as operators read it: the time of day, with the date when it is not today.</summary>
    public static string When(DateTimeOffset at, DateTimeOffset now)
        => at.UtcDateTime.Date == now.UtcDateTime.Date
            ? at.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A timestamp with milliseconds, for the event log.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    /// <summary>Invariant number formatting for SVG attributes.</summary>
    public static string Svg(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
