using EdgePortal.Web.UseCases.Migrations;
using EdgePortal.Web.UseCases.Nodes;
using EdgePortal.Web.UseCases.Schedules;
using EdgePortal.Web.UseCases.Windows;

namespace EdgePortal.Web.UseCases;

public static class UseCaseServiceCollectionExtensions
{
    /// <summary>
    /// The use cases the pages and the API share: each is one class that acts on behalf of a <see cref="Security.TenantScope"/>
    /// and records one audit entry, whoever calls it.
    /// </summary>
    public static IServiceCollection AddEdgePortalUseCases(this IServiceCollection services)
    {
        services.AddSingleton<StartMigration>();
        services.AddSingleton<CancelMigration>();
        services.AddSingleton<Batches.ReadBatch>();
        services.AddSingleton<ScheduleAccess>();
        services.AddSingleton<CreateSchedule>();
        services.AddSingleton<UpdateSchedule>();
        services.AddSingleton<PauseSchedule>();
        services.AddSingleton<ResumeSchedule>();
        services.AddSingleton<DeleteSchedule>();
        services.AddSingleton<RunScheduleNow>();
        services.AddSingleton<DrainNode>();
        services.AddSingleton<UncordonNode>();
        services.AddSingleton<RetireNode>();
        services.AddSingleton<WindowAccess>();
        services.AddSingleton<AddMaintenanceWindow>();
        services.AddSingleton<UpdateMaintenanceWindow>();
        services.AddSingleton<DeleteMaintenanceWindow>();
        return services;
    }
}
