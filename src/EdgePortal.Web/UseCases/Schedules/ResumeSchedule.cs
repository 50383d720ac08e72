using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>Resumes a paused schedule.</summary>
public sealed class ResumeSchedule(ScheduleAccess access)
{
    public Task<UseCaseResult<Schedule>> RunAsync(TenantScope scope, ScheduleId id, CancellationToken cancellationToken = default)
        => access.ChangeAsync(scope, id, AuditActions.ScheduleResume, (s, now) => s.Resume(now), cancellationToken);
}
