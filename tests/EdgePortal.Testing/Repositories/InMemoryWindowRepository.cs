using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>Maintenance windows kept in memory.</summary>
public sealed class InMemoryWindowRepository : IMaintenanceWindowRepository
{
    private readonly ConcurrentDictionary<MaintenanceWindowId, MaintenanceWindow> _windows = new();

    public IReadOnlyList<MaintenanceWindow> List(ClusterId? cluster = null) => [.. _windows.Values.Where(w => cluster is null || w.ClusterId == cluster)];
    public MaintenanceWindow? Find(MaintenanceWindowId id) => _windows.GetValueOrDefault(id);
    public void Save(MaintenanceWindow window) => _windows[window.Id] = window;
    public bool Delete(MaintenanceWindowId id) => _windows.TryRemove(id, out _);
}
