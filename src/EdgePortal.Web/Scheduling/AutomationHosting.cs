using EdgePortal.Core.Retention;
using EdgePortal.Core.Scheduling;
using EdgePortal.Storage;
using EdgePortal.Storage.PostgreSql;
using Microsoft.Extensions.Options;
using Quartz;

namespace EdgePortal.Web.Scheduling;

public static class AutomationHosting
{
    /// <summary>
    /// Schedules, maintenance windows, drains and the KPI monitor: the automation's logic from Core, Quartz (with LiteDB an
    /// in-memory store: LiteDB is the source of truth and every start registers the schedules again; with PostgreSQL the
    /// clustered ADO.NET store that replicas share, where a schedule fires once across them), the job
    /// listeners that record schedule runs and firings missed while running, and the KPI monitor job on <c>EdgePortal:Automation:EvaluationInterval</c>.
    /// </summary>
    public static IServiceCollection AddEdgePortalAutomation(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEdgePortalAutomationCore(configuration);
        services.AddSingleton<IScheduleCalendar, QuartzScheduleCalendar>();
        services.AddSingleton<ScheduleRegistry>();
        services.AddQuartz(q =>
        {
            // Read here, before the container exists; ValidateOnStart still checks the same values at start-up.
            var options = configuration.GetSection(AutomationOptions.Section).Get<AutomationOptions>() ?? new AutomationOptions();
            var storage = StorageOptions.Read(configuration);
            if (storage.Provider == StorageProvider.PostgreSql && !string.IsNullOrWhiteSpace(storage.ConnectionString))
            {
                // Replicas share one clustered job store: a trigger fires on exactly one of them, and a misfire is
                // handled once, under the store's database locks. Its tables come with the storage's schema migrations.
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(storage.ConnectionString);
                    store.UseClustering(cluster =>
                    {
                        cluster.CheckinInterval = TimeSpan.FromSeconds(5);
                        cluster.CheckinMisfireThreshold = TimeSpan.FromSeconds(20);
                    });
                    store.ConfigureStore(o =>
                    {
                        o.TablePrefix = PostgreSqlStorage.QuartzTablePrefix;
                        o.MisfireThreshold = options.MisfireThreshold;
                        o.SchemaProvisioning = SchemaProvisioning.Validate;
                    });
                });
            }
            else
                q.UseInMemoryStore(store => store.MisfireThreshold = options.MisfireThreshold);
            q.AddJobListener<ScheduleRunListener>([]);
            q.AddTriggerListener<ScheduleMisfireListener>([]);
            var retention = configuration.GetSection(RetentionOptions.Section).Get<RetentionOptions>() ?? new RetentionOptions();
            q.ScheduleJob<HistoryPruningJob>(
                trigger => trigger.WithIdentity(HistoryPruningJob.Name).StartAt(DateTimeOffset.UtcNow.AddMinutes(1))
                    .WithSimpleSchedule(s => s.WithInterval(retention.Interval >= TimeSpan.FromMinutes(1) ? retention.Interval : TimeSpan.FromHours(1)).RepeatForever()
                        .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
                job => job.WithIdentity(HistoryPruningJob.Name));
            if (storage.Provider == StorageProvider.LiteDb && !string.IsNullOrWhiteSpace(storage.LiteDb.Compaction) && CronExpression.TryParse(storage.LiteDb.Compaction, out _))
                q.ScheduleJob<LiteDbCompactionJob>(
                    trigger => trigger.WithIdentity(LiteDbCompactionJob.Name)
                        .WithCronSchedule(storage.LiteDb.Compaction, cron => cron.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.DoNothing)),
                    job => job.WithIdentity(LiteDbCompactionJob.Name));
            if (options.KpiMonitorEnabled && options.EvaluationInterval > TimeSpan.Zero)
                q.ScheduleJob<KpiMonitorJob>(
                    trigger => trigger.WithIdentity(KpiMonitorJob.Name).StartNow()
                        .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(options.EvaluationInterval).RepeatForever()
                            .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
                    job => job.WithIdentity(KpiMonitorJob.Name).DisallowConcurrentExecution(true));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddSingleton<IValidateOptions<StorageOptions>, CompactionScheduleValidator>();
        services.AddHostedService<ScheduleRegistrar>();
        return services;
    }
}
