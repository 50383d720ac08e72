using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using Quartz;

namespace EdgePortal.Web.Scheduling;

/// <summary>
/// Keeps Quartz in step with LiteDB, which holds the schedules: each schedule is one durable job with one trigger
/// (none while paused or once a one-shot has run). At start-up every schedule is registered again, and a firing
/// missed while EdgePortal was down is handled by the schedule's misfire policy: run once now (late), or record
/// that it was skipped. A one-shot that ran is never registered again, so a restart never fires it twice.
/// </summary>
/// <remarks>
/// With a job store the replicas share (PostgreSQL, clustered), Quartz keeps the triggers itself and handles a firing
/// missed while every replica was down once, across them. Start-up then registers only what the store does not hold as
/// stored (each trigger carries a stamp of its schedule's definition), under the replicas' lock, so replicas starting
/// together neither replace each other's triggers nor catch up on a missed firing twice.
/// </remarks>
public sealed class ScheduleRegistry(ISchedulerFactory factory, IScheduleRepository schedules, IScheduleCalendar calendar,
    AutomationEventBroadcaster events, TimeProvider clock, ILogger<ScheduleRegistry> logger, IReplicaLock? replicaLock = null)
{
    /// <summary>The trigger's copy of the definition it was built from (<see cref="DefinitionStamp"/>).</summary>
    internal const string DefinitionKey = "definition";

    public static JobKey JobKeyOf(ScheduleId id) => new(id.ToString(), ScheduledMigrationJob.Group);

    public static TriggerKey TriggerKeyOf(ScheduleId id) => new(id.ToString(), ScheduledMigrationJob.Group);

    /// <summary>Registers every stored schedule, catching up on what was missed while the portal was down.</summary>
    public async Task RegisterAllAsync(CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var shared = (await scheduler.GetMetadata(cancellationToken).ConfigureAwait(false)).JobStorePersistent;
        using var registering = shared ? (replicaLock ?? new InProcessReplicaLock()).Acquire("schedules", TimeSpan.FromMinutes(2)) : null;
        foreach (var schedule in schedules.List())
        {
            try
            {
                if (shared && await IsStoredAsync(scheduler, schedule, cancellationToken).ConfigureAwait(false))
                    continue;
                await RegisterAsync(schedule, startingUp: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Schedule {Schedule} could not be registered with the scheduler", schedule.Name);
            }
        }
    }

    /// <summary>Stores the schedule and (re)registers it: call after every create, edit, pause and resume.</summary>
    public async Task SaveAsync(Schedule schedule, CancellationToken cancellationToken = default)
    {
        schedules.Save(schedule);
        await RegisterAsync(schedule, startingUp: false, cancellationToken).ConfigureAwait(false);
        events.Publish(new ScheduleChanged(schedule.Id, schedule));
    }

    public async Task<bool> DeleteAsync(ScheduleId id, CancellationToken cancellationToken = default)
    {
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        await scheduler.DeleteJob(JobKeyOf(id), cancellationToken).ConfigureAwait(false);
        var deleted = schedules.Delete(id);
        if (deleted)
            events.Publish(new ScheduleChanged(id, null));
        return deleted;
    }

    /// <summary>Fires the schedule once, now, through the scheduler (so the run is recorded like any other).</summary>
    public async Task RunNowAsync(Schedule schedule, CancellationToken cancellationToken = default)
    {
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        await EnsureJobAsync(scheduler, schedule.Id, cancellationToken).ConfigureAwait(false);
        await scheduler.TriggerJob(JobKeyOf(schedule.Id), new JobDataMap { [ScheduledMigrationJob.ManualKey] = "true" }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>When the schedule fires next (up to <paramref name="count"/> times), as the calendar computes it.</summary>
    public IReadOnlyList<DateTimeOffset> NextFireTimes(Schedule schedule, int count)
    {
        if (schedule.Paused)
            return [];
        var now = clock.GetUtcNow();
        if (schedule.Kind == ScheduleKind.OneShot)
            return schedule.RunAt > now && !HasRun(schedule) ? [schedule.RunAt.Value] : [];
        return calendar.NextFireTimes(schedule.Cron!, schedule.TimeZone, now, count);
    }

    private bool HasRun(Schedule schedule) => schedules.Runs(schedule.Id, 20).Any(r => !r.Manual);

    /// <summary>Whether the shared job store already holds this schedule as it is defined now.</summary>
    private static async Task<bool> IsStoredAsync(IScheduler scheduler, Schedule schedule, CancellationToken cancellationToken)
    {
        if (!await scheduler.Exists(JobKeyOf(schedule.Id), cancellationToken).ConfigureAwait(false))
            return false;
        var trigger = await scheduler.GetTrigger(TriggerKeyOf(schedule.Id), cancellationToken).ConfigureAwait(false);
        return schedule.Paused ? trigger is null
            : trigger is not null && trigger.JobDataMap.TryGetValue(DefinitionKey, out var stamp) && stamp?.ToString() == DefinitionStamp(schedule);
    }

    /// <summary>A hash of everything a schedule's definition holds: a trigger built from another definition is stale.</summary>
    internal static string DefinitionStamp(Schedule schedule)
        => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(schedule, DomainJson.Options)))[..32];

    private async Task RegisterAsync(Schedule schedule, bool startingUp, CancellationToken cancellationToken)
    {
        var scheduler = await factory.GetScheduler(cancellationToken).ConfigureAwait(false);
        await EnsureJobAsync(scheduler, schedule.Id, cancellationToken).ConfigureAwait(false);
        await scheduler.UnscheduleJob(TriggerKeyOf(schedule.Id), cancellationToken).ConfigureAwait(false);
        if (schedule.Paused)
            return;
        var now = clock.GetUtcNow();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        var trigger = TriggerBuilder.Create(scheduler.TimeProvider).WithIdentity(TriggerKeyOf(schedule.Id)).ForJob(JobKeyOf(schedule.Id))
            .UsingJobData(DefinitionKey, DefinitionStamp(schedule));

        if (schedule.Kind == ScheduleKind.OneShot)
        {
            if (HasRun(schedule))
                return;
            var runAt = schedule.RunAt!.Value;
            if (runAt <= now)
            {
                // Due while EdgePortal was down (or an edit kept a past time): the misfire policy decides.
                if (schedule.Misfire == MisfirePolicy.Skip)
                {
                    RecordSkipped(schedule, runAt, WhileDown);
                    return;
                }
                trigger = trigger.StartNow().UsingJobData(ScheduledMigrationJob.LateKey, "true")
                    .UsingJobData(ScheduledMigrationJob.ScheduledForKey, runAt.ToString("O"));
            }
            else
                trigger = trigger.StartAt(runAt);
            trigger = trigger.WithSchedule(SimpleScheduleBuilder.Create().WithMisfireInstruction(schedule.Misfire == MisfirePolicy.Skip
                ? SimpleTriggerMisfireInstruction.NextWithRemainingCount : SimpleTriggerMisfireInstruction.FireNow));
            await scheduler.ScheduleJob(trigger.Build(), new ScheduleJobOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (startingUp)
            await CatchUpAsync(scheduler, schedule, now, cancellationToken).ConfigureAwait(false);
        trigger = trigger.StartNow().WithSchedule(CronScheduleBuilder.Create(schedule.Cron!).InTimeZone(zone)
            .WithMisfireInstruction(schedule.Misfire == MisfirePolicy.Skip ? CronTriggerMisfireInstruction.DoNothing : CronTriggerMisfireInstruction.FireAndProceed));
        await scheduler.ScheduleJob(trigger.Build(), new ScheduleJobOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A cron firing missed while EdgePortal was down: run once now (late), or record the skip.</summary>
    private async Task CatchUpAsync(IScheduler scheduler, Schedule schedule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var last = schedules.Runs(schedule.Id, 1).FirstOrDefault();
        var since = last is null ? schedule.UpdatedAt : Max(last.ScheduledFor ?? last.FiredAt, last.FiredAt);
        DateTimeOffset? missed = null;
        foreach (var time in calendar.NextFireTimes(schedule.Cron!, schedule.TimeZone, since, 1000))
        {
            if (time > now)
                break;
            missed = time;
        }
        if (missed is not { } at)
            return;
        if (schedule.Misfire == MisfirePolicy.Skip)
        {
            RecordSkipped(schedule, at, WhileDown);
            return;
        }
        logger.LogInformation("Schedule {Schedule} missed its firing at {At} while EdgePortal was down: running it once now", schedule.Name, at);
        await scheduler.TriggerJob(JobKeyOf(schedule.Id), new JobDataMap
        {
            [ScheduledMigrationJob.LateKey] = "true",
            [ScheduledMigrationJob.ScheduledForKey] = at.ToString("O"),
        }, cancellationToken).ConfigureAwait(false);
    }

    private const string WhileDown = "while EdgePortal was down";

    /// <summary>Firings Quartz found missed while running and fires now (RunOnceLate): the job's run says which time it was for.</summary>
    private readonly ConcurrentDictionary<ScheduleId, DateTimeOffset> _missed = new();

    /// <summary>Remembers that the next firing of the schedule is a late one, for the time <paramref name="due"/>.</summary>
    public void NoteMissed(ScheduleId id, DateTimeOffset due) => _missed[id] = due;

    /// <summary>The missed time the firing that runs now is for, once; null for a firing on time.</summary>
    public DateTimeOffset? TakeMissed(ScheduleId id) => _missed.TryRemove(id, out var due) ? due : null;

    /// <summary>Records a missed firing that the schedule's misfire policy (Skip) says not to run, and why it was missed.</summary>
    public void RecordSkipped(Schedule schedule, DateTimeOffset due, string why)
    {
        var run = new ScheduleRun(ScheduleRunId.New(), schedule.Id, schedule.Name, due, clock.GetUtcNow(), false, true, ScheduleRunOutcome.SkippedMisfire,
            $"Missed its firing at {due:u} {why}; skipped, as its misfire policy says.", [], null);
        schedules.SaveRun(run);
        events.Publish(new ScheduleRunRecorded(run));
        logger.LogInformation("Schedule {Schedule} missed its firing at {At} {Why}: skipped", schedule.Name, due, why);
    }

    private static async Task EnsureJobAsync(IScheduler scheduler, ScheduleId id, CancellationToken cancellationToken)
    {
        if (await scheduler.Exists(JobKeyOf(id), cancellationToken).ConfigureAwait(false))
            return;
        var job = JobBuilder.Create<ScheduledMigrationJob>().WithIdentity(JobKeyOf(id)).StoreDurably(true)
            .UsingJobData(ScheduledMigrationJob.ScheduleIdKey, id.ToString()).Build();
        await scheduler.AddJob(job, new AddJobOptions { Replace = true }, cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>Registers the stored schedules once the scheduler exists (after Quartz's hosted service, which is added first).</summary>
public sealed class ScheduleRegistrar(ScheduleRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => registry.RegisterAllAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
