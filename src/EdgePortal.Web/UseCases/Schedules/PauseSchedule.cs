using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Pauses a schedule: it stops firing until resumed.</summary>
public sealed class PauseSchedule(ScheduleAccess access)
{
    public Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleId id, CancellationToken cancellationToken = default)
        => access.ChangeAsync(scope, id, AuditActions.SchedulePause, (s, now) => s.Pause(now), cancellationToken);
}
