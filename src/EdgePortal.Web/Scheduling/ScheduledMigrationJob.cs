using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using Quartz;

namespace EdgePortal.Web.Scheduling;

/// <summary>
/// Fires one schedule: reads it from LiteDB (the source of truth) and runs it through the <see cref="ScheduleExecutor"/>.
/// The run goes back as the job's result; <see cref="ScheduleRunListener"/> records and publishes it.
/// </summary>
public sealed class ScheduledMigrationJob(IScheduleRepository schedules, ScheduleExecutor executor, ScheduleRegistry registry) : IJob
{
    public const string Group = "schedules";
    internal const string ScheduleIdKey = "scheduleId";
    internal const string ManualKey = "manual";
    internal const string LateKey = "late";
    internal const string ScheduledForKey = "scheduledFor";

    /// <summary>How late a firing may be before the run says it was late.</summary>
    private static readonly TimeSpan LateAfter = TimeSpan.FromSeconds(30);

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var data = context.MergedJobDataMap;
        var id = ScheduleId.From(Guid.Parse(Read(data, ScheduleIdKey) ?? context.JobDetail.Key.Name));
        var schedule = schedules.Find(id) ?? throw new JobExecutionException($"Schedule {id} no longer exists.") { UnscheduleAllTriggers = true };
        var manual = Read(data, ManualKey) == "true";
        var missed = manual ? null : registry.TakeMissed(id);
        // A one-shot is always for its own time, whichever replica handled its misfire and whichever fires it late.
        var scheduledFor = Read(data, ScheduledForKey) is { } text ? DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : missed ?? (manual ? null : schedule.Kind == ScheduleKind.OneShot ? schedule.RunAt : context.ScheduledFireTimeUtc);
        var late = Read(data, LateKey) == "true" || missed is not null
            || (!manual && (scheduledFor ?? context.ScheduledFireTimeUtc) is { } due && context.FireTimeUtc - due > LateAfter);
        context.Result = executor.Execute(schedule, scheduledFor, manual, late);
        return ValueTask.CompletedTask;
    }

    private static string? Read(JobDataMap data, string key) => data.TryGetValue(key, out var value) ? value?.ToString() : null;
}

/// <summary>Runs the KPI monitor's evaluation on the scheduler's rhythm.</summary>
public sealed class KpiMonitorJob(KpiAutomation automation) : IJob
{
    public const string Name = "kpi-monitor";

    public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        automation.Evaluate();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Records every firing of a schedule (the run the job returned, or its failure) and publishes it to the pages.</summary>
public sealed class ScheduleRunListener(IScheduleRepository schedules, AutomationEventBroadcaster events, TimeProvider clock,
    ILogger<ScheduleRunListener> logger) : IJobListener
{
    public string Name => "edgeportal-schedule-runs";

    public ValueTask JobToBeExecuted(IJobExecutionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask JobExecutionVetoed(IJobExecutionContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask JobProgressChanged(IJobExecutionContext context, Quartz.Extensibility.FireInstanceProgress progress, CancellationToken cancellationToken)
        => ValueTask.CompletedTask;

    public ValueTask JobWasExecuted(IJobExecutionContext context, JobExecutionException? jobException, CancellationToken cancellationToken)
    {
        if (context.JobDetail.Key.Group != ScheduledMigrationJob.Group)
            return ValueTask.CompletedTask;
        var run = context.Result as ScheduleRun;
        if (run is null && Guid.TryParse(context.JobDetail.Key.Name, out var id))
        {
            var schedule = schedules.Find(ScheduleId.From(id));
            run = new ScheduleRun(ScheduleRunId.New(), ScheduleId.From(id), schedule?.Name ?? context.JobDetail.Key.Name, context.ScheduledFireTimeUtc,
                clock.GetUtcNow(), false, false, ScheduleRunOutcome.Failed, jobException?.InnerException?.Message ?? jobException?.Message ?? "The job did not say what it did.", [], null);
        }
        if (run is null)
            return ValueTask.CompletedTask;
        schedules.SaveRun(run);
        events.Publish(new ScheduleRunRecorded(run));
        logger.LogInformation("Schedule {Schedule} ran: {Outcome} — {Detail}", run.ScheduleName, run.Outcome, run.Detail);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A firing missed while the portal runs (the scheduler busy, the host paused, the clock jumped past the misfire threshold):
/// Quartz applies the trigger's instruction (Skip: do nothing until the next time; RunOnceLate: fire now, and the job's run
/// says it was late). A skip leaves no run of its own, so it is recorded here, with the time that was missed.
/// </summary>
public sealed class ScheduleMisfireListener(IScheduleRepository schedules, ScheduleRegistry registry, ILogger<ScheduleMisfireListener> logger)
    : ITriggerListener
{
    public string Name => "edgeportal-schedule-misfires";

    public ValueTask TriggerMisfired(ITrigger trigger, IScheduler scheduler, CancellationToken cancellationToken = default)
    {
        // Quartz tells the listeners before it moves the trigger on: its next fire time is still the one that was missed.
        if (trigger.JobKey.Group != ScheduledMigrationJob.Group || !Guid.TryParse(trigger.JobKey.Name, out var id)
            || trigger.NextFireTimeUtc is not { } due)
            return ValueTask.CompletedTask;
        if (schedules.Find(ScheduleId.From(id)) is not { } schedule)
            return ValueTask.CompletedTask;
        if (schedule.Misfire == MisfirePolicy.Skip)
            registry.RecordSkipped(schedule, due, "while EdgePortal was running (the scheduler reached it too late)");
        else
        {
            registry.NoteMissed(schedule.Id, due);
            logger.LogInformation("Schedule {Schedule} missed its firing at {At} while running: running it once now, late", schedule.Name, due);
        }
        return ValueTask.CompletedTask;
    }
}
