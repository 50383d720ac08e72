using System.Collections.Concurrent;
using System.Text.Json;
using EdgePortal.Core.Domain;

namespace EdgePortal.Testing;

/// <summary>
/// Migrations kept as JSON in the domain's shape, the way the LiteDB store keeps documents: every read is a fresh aggregate,
/// so a test sees exactly what was persisted (and can go on changing its own aggregate without a page seeing it before the
/// save), and a "restart" can reload it. Listed newest first and filtered like the LiteDB repository.
/// </summary>
public sealed class InMemoryMigrationRepository : IMigrationRepository
{
    private static readonly MigrationState[] UnfinishedStates = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private readonly ConcurrentDictionary<MigrationId, string> _documents = new();
    private int _saves;

    /// <summary>How many times a migration was saved.</summary>
    public int Saves => Volatile.Read(ref _saves);

    public void Save(Migration migration)
    {
        ArgumentNullException.ThrowIfNull(migration);
        _documents[migration.Id] = JsonSerializer.Serialize(migration, DomainJson.Options);
        Interlocked.Increment(ref _saves);
    }

    public Migration? Find(MigrationId id) => _documents.TryGetValue(id, out var json) ? Load(json) : null;

    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return [.. _documents.Values.Select(Load)
            .Where(m => query.Tenant is null || m.TenantId == query.Tenant)
            .Where(m => query.Cluster is null || m.ClusterId == query.Cluster)
            .Where(m => query.Service is null || m.ServiceId == query.Service)
            .Where(m => query.Batch is null || m.BatchId == query.Batch)
            .Where(m => query.States is not { Count: > 0 } states || states.Contains(m.State))
            .OrderByDescending(m => m.CreatedAt)
            .Take(query.Limit)];
    }

    public IReadOnlyList<Migration> Unfinished() => [.. List(new MigrationQuery(States: UnfinishedStates, Limit: int.MaxValue)).OrderBy(m => m.CreatedAt)];

    private static Migration Load(string json) => JsonSerializer.Deserialize<Migration>(json, DomainJson.Options)
        ?? throw new InvalidOperationException("A stored migration did not survive the JSON round trip.");
}
