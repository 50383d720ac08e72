using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Replaces a schedule's settings (it keeps its tenant); <c>paused</c>, when given, pauses or resumes it in the same change.</summary>
public sealed class UpdateSchedule(ScheduleAccess access, IScheduleCalendar calendar, IInventoryRepository inventory,
    Microsoft.Extensions.Options.IOptionsMonitor<Limits.LimitsOptions> limits)
{
    public async Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleId id, ScheduleDraft draft, bool? paused = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(draft);
        if (access.Find(scope, id) is not { } existing)
            return ScheduleAccess.NotFound(id);
        draft.Tenant = existing.TenantId;
        var now = access.Clock.GetUtcNow();
        if (!draft.TryBuild(existing, calendar, inventory, now, scope.Actor, limits.CurrentValue.MinCronInterval, out var schedule, out var errors))
            return new UseCaseResult<Schedule>.Invalid(errors);
        if (paused is { } pause)
            schedule = pause ? schedule!.Pause(now) : schedule!.Resume(now);
        await access.Registry.SaveAsync(schedule!, cancellationToken).ConfigureAwait(false);
        access.Record(scope, AuditActions.ScheduleUpdate, schedule!, ScheduleAccess.Describe(schedule!));
        return new UseCaseResult<Schedule>.Done(schedule!);
    }
}
