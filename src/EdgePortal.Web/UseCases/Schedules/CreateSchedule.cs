using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Creates a one-shot or cron schedule for the principal's tenant (the provider's own for a provider), within the tenant's cap.</summary>
public sealed class CreateSchedule(ScheduleAccess access, IScheduleCalendar calendar, IInventoryRepository inventory,
    Microsoft.Extensions.Options.IOptionsMonitor<Limits.LimitsOptions> limits)
{
    private readonly Lock _gate = new();

    public async Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(draft);
        draft.Tenant = scope.Tenant;
        var options = limits.CurrentValue;
        if (!draft.TryBuild(null, calendar, inventory, access.Clock.GetUtcNow(), scope.Actor, options.MinCronInterval, out var schedule, out var errors))
            return new UseCaseResult<Schedule>.Invalid(errors);
        lock (_gate)
        {
            // Counted under the gate: two creations at once must not both take the tenant's last place.
            var owned = access.Repository.List().Count(s => s.TenantId == scope.Tenant);
            if (owned >= options.MaxSchedulesPerTenant)
                return new UseCaseResult<Schedule>.Conflict("Schedule cap reached",
                    $"{(scope.IsProvider ? "The provider" : "This tenant")} has {owned} schedules, the most allowed ({Limits.LimitsOptions.Section}:MaxSchedulesPerTenant = "
                    + $"{options.MaxSchedulesPerTenant}); delete one first.");
            access.Repository.Save(schedule!);
        }
        await access.Registry.SaveAsync(schedule!, cancellationToken).ConfigureAwait(false);
        access.Record(scope, AuditActions.ScheduleCreate, schedule!, ScheduleAccess.Describe(schedule!));
        return new UseCaseResult<Schedule>.Done(schedule!);
    }
}
