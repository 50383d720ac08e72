using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>Drain operations kept in memory, newest first.</summary>
public sealed class InMemoryDrainRepository : IDrainRepository
{
    private readonly ConcurrentDictionary<DrainId, DrainOperation> _drains = new();

    public void Save(DrainOperation drain) => _drains[drain.Id] = drain;
    public DrainOperation? Find(DrainId id) => _drains.GetValueOrDefault(id);
    public IReadOnlyList<DrainOperation> List(int limit = 50) => [.. _drains.Values.OrderByDescending(d => d.StartedAt).Take(limit)];
}
