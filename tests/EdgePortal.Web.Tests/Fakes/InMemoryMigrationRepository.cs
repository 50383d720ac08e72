using EdgePortal.Core.Domain;

namespace EdgePortal.Web.Tests.Fakes;

/// <summary>An in-memory <see cref="IMigrationRepository"/>: newest first, filtered like the LiteDB one.</summary>
internal sealed class InMemoryMigrationRepository : IMigrationRepository
{
    private static readonly MigrationState[] UnfinishedStates = [MigrationState.Queued, MigrationState.Running, MigrationState.RollingBack];

    private readonly Lock _gate = new();
    private readonly Dictionary<MigrationId, Migration> _migrations = [];

    public void Save(Migration migration) { lock (_gate) _migrations[migration.Id] = migration; }

    public Migration? Find(MigrationId id) { lock (_gate) return _migrations.GetValueOrDefault(id); }

    public IReadOnlyList<Migration> List(MigrationQuery query)
    {
        lock (_gate)
        {
            return [.. _migrations.Values
                .Where(m => query.Tenant is null || m.TenantId == query.Tenant)
                .Where(m => query.Cluster is null || m.ClusterId == query.Cluster)
                .Where(m => query.Service is null || m.ServiceId == query.Service)
                .Where(m => query.States is not { Count: > 0 } states || states.Contains(m.State))
                .OrderByDescending(m => m.CreatedAt)
                .Take(query.Limit)];
        }
    }

    public IReadOnlyList<Migration> Unfinished()
        => [.. List(new MigrationQuery(States: UnfinishedStates, Limit: int.MaxValue)).OrderBy(m => m.CreatedAt)];
}
