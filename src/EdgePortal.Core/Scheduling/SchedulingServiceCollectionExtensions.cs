using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>
    /// The automation's logic: the KPI monitor, drains (a hosted service that resumes unfinished drains), schedule
    /// execution and the automation event stream. The host brings the scheduler (<see cref="IScheduleCalendar"/>)
    /// and the repositories.
    /// </summary>
    public static IServiceCollection AddEdgePortalAutomationCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AutomationOptions>().Bind(configuration.GetSection(AutomationOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AutomationOptions>, AutomationOptionsValidator>();
        services.AddSingleton<AutomationEventBroadcaster>();
        services.AddSingleton<IAutomationEventStream>(sp => sp.GetRequiredService<AutomationEventBroadcaster>());
        services.AddSingleton<KpiAutomation>();
        services.AddSingleton<ScheduleExecutor>();
        services.AddSingleton<NodeDrainer>();
        services.AddSingleton<NodeRetirement>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeDrainer>());
        return services;
    }
}
