using EdgePortal.Core.Scheduling;
using Quartz;

namespace EdgePortal.Web.Scheduling;

public static class AutomationHosting
{
    /// <summary>
    /// Schedules, maintenance windows, drains and the KPI monitor: the automation's logic from Core, Quartz (an
    /// in-memory store: LiteDB is the source of truth and every start registers the schedules again), the job
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
            q.UseInMemoryStore(store => store.MisfireThreshold = options.MisfireThreshold);
            q.AddJobListener<ScheduleRunListener>([]);
            q.AddTriggerListener<ScheduleMisfireListener>([]);
            if (options.KpiMonitorEnabled && options.EvaluationInterval > TimeSpan.Zero)
                q.ScheduleJob<KpiMonitorJob>(
                    trigger => trigger.WithIdentity(KpiMonitorJob.Name).StartNow()
                        .WithSchedule(SimpleScheduleBuilder.Create().WithInterval(options.EvaluationInterval).RepeatForever()
                            .WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
                    job => job.WithIdentity(KpiMonitorJob.Name).DisallowConcurrentExecution(true));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<ScheduleRegistrar>();
        return services;
    }
}
