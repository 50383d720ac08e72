using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Tests.Fakes;

internal sealed class InMemoryScheduleRepository : IScheduleRepository
{
    private readonly ConcurrentDictionary<ScheduleId, Schedule> _schedules = new();
    private readonly ConcurrentBag<ScheduleRun> _runs = [];

    public IReadOnlyList<Schedule> List() => [.. _schedules.Values.OrderBy(s => s.Name)];
    public Schedule? Find(ScheduleId id) => _schedules.GetValueOrDefault(id);
    public void Save(Schedule schedule) => _schedules[schedule.Id] = schedule;
    public bool Delete(ScheduleId id) => _schedules.TryRemove(id, out _);
    public void SaveRun(ScheduleRun run) => _runs.Add(run);
    public IReadOnlyList<ScheduleRun> Runs(ScheduleId id, int limit = 50) => [.. _runs.Where(r => r.ScheduleId == id).OrderByDescending(r => r.FiredAt).Take(limit)];
}

internal sealed class InMemoryWindowRepository : IMaintenanceWindowRepository
{
    private readonly ConcurrentDictionary<MaintenanceWindowId, MaintenanceWindow> _windows = new();

    public IReadOnlyList<MaintenanceWindow> List(ClusterId? cluster = null) => [.. _windows.Values.Where(w => cluster is null || w.ClusterId == cluster)];
    public MaintenanceWindow? Find(MaintenanceWindowId id) => _windows.GetValueOrDefault(id);
    public void Save(MaintenanceWindow window) => _windows[window.Id] = window;
    public bool Delete(MaintenanceWindowId id) => _windows.TryRemove(id, out _);
}

internal sealed class InMemoryDecisionRepository : IAutomationDecisionRepository
{
    private readonly ConcurrentBag<AutomationDecision> _decisions = [];

    public void Save(AutomationDecision decision) => _decisions.Add(decision);
    public IReadOnlyList<AutomationDecision> List(ServiceId? service = null, int limit = 200)
        => [.. _decisions.Where(d => service is null || d.ServiceId == service).OrderByDescending(d => d.At).Take(limit)];
}

internal sealed class InMemoryDrainRepository : IDrainRepository
{
    private readonly ConcurrentDictionary<DrainId, DrainOperation> _drains = new();

    public void Save(DrainOperation drain) => _drains[drain.Id] = drain;
    public DrainOperation? Find(DrainId id) => _drains.GetValueOrDefault(id);
    public IReadOnlyList<DrainOperation> List(int limit = 50) => [.. _drains.Values.OrderByDescending(d => d.StartedAt).Take(limit)];
}
