using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Schedules;

/// <summary>
/// What the schedule use cases share: a tenant sees (and changes) its own schedules, a provider all of them, and another
/// tenant's schedule is not found; each change is audited under the same target text.
/// </summary>
public sealed class ScheduleAccess(IScheduleRepository repository, ScheduleRegistry registry, AuditTrail audit, TimeProvider clock)
{
    internal IScheduleRepository Repository => repository;

    internal ScheduleRegistry Registry => registry;

    internal TimeProvider Clock => clock;

    public static bool Sees(TenantScope scope, Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(schedule);
        return scope.IsProvider || schedule.TenantId == scope.Tenant;
    }

    /// <summary>The schedule if <paramref name="scope"/> sees it.</summary>
    public Schedule? Find(TenantScope scope, ScheduleId id) => repository.Find(id) is { } s && Sees(scope, s) ? s : null;

    internal static UseCaseResult<Schedule>.NotFound NotFound(ScheduleId id) => new($"No schedule has id {id}.");

    internal void Record(TenantScope scope, string action, Schedule schedule, string detail = "")
        => audit.Record(scope, action, $"schedule {schedule.Name} ({schedule.Id})", detail, schedule.TenantId);

    /// <summary>What a schedule does and when, for the audit log: "Cron 0 0 2 * * ? → Service".</summary>
    internal static string Describe(Schedule schedule)
        => $"{schedule.Kind} {schedule.Cron ?? schedule.RunAt?.ToString("u", System.Globalization.CultureInfo.InvariantCulture)} → {schedule.Target.Kind}";

    /// <summary>Pauses or resumes, audited only when it changed something.</summary>
    internal async Task<UseCaseResult<Schedule>> ChangeAsync(TenantScope scope, ScheduleId id, string action, Func<Schedule, DateTimeOffset, Schedule> change,
        CancellationToken cancellationToken)
    {
        if (Find(scope, id) is not { } schedule)
            return NotFound(id);
        var changed = change(schedule, clock.GetUtcNow());
        if (!ReferenceEquals(changed, schedule))
        {
            await registry.SaveAsync(changed, cancellationToken).ConfigureAwait(false);
            Record(scope, action, schedule);
        }
        return new UseCaseResult<Schedule>.Done(changed);
    }
}
