using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Deletes a schedule; its runs stay in the history.</summary>
public sealed class DeleteSchedule(ScheduleAccess access)
{
    public async Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleId id, CancellationToken cancellationToken = default)
    {
        if (access.Find(scope, id) is not { } schedule || !await access.Registry.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
            return ScheduleAccess.NotFound(id);
        access.Record(scope, AuditActions.ScheduleDelete, schedule);
        return new UseCaseResult<Schedule>.Done(schedule);
    }
}
