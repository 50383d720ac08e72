using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Fires a schedule once, now (never held to maintenance windows: a person is acting); the run appears in its history.</summary>
public sealed class RunScheduleNow(ScheduleAccess access)
{
    public async Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleId id, CancellationToken cancellationToken = default)
    {
        if (access.Find(scope, id) is not { } schedule)
            return ScheduleAccess.NotFound(id);
        await access.Registry.RunNowAsync(schedule, cancellationToken).ConfigureAwait(false);
        access.Record(scope, AuditActions.ScheduleRunNow, schedule);
        return new UseCaseResult<Schedule>.Done(schedule);
    }
}
