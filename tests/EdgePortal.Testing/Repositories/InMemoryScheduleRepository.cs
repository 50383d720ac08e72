using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>Schedules kept in memory, listed by name like the LiteDB repository.</summary>
public sealed class InMemoryScheduleRepository : IScheduleRepository
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
