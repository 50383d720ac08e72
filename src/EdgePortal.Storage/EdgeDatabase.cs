using LiteDB;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Storage;

/// <summary>
/// The portal's one LiteDB file. Opening it brings its schema to <see cref="CurrentVersion"/> in one
/// transaction, or refuses a file written by a newer EdgePortal.
/// </summary>
public sealed class EdgeDatabase : IDisposable
{
    public const int CurrentVersion = 5;

    private static readonly ISchemaUpgrade[] Upgrades = [new ServiceObjectiveAndLabels(), new MigrationCreatedAtTicks(), new AuditHashChain(), new MigrationOwnerKeys()];

    public EdgeDatabase(string path, ILogger<EdgeDatabase> logger)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        Database = new LiteDatabase(new ConnectionString { Filename = Path, Connection = ConnectionType.Direct });
        try
        {
            Upgrade(logger);
            EnsureIndexes();
            LiteDbMigrationLeaseStore.ReleasePreviousLife(Database);
        }
        catch
        {
            Database.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>LiteDB's write-ahead log beside the file (<c>name-log.ext</c>): it grows until a checkpoint copies it in.</summary>
    public string LogPath => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!,
        $"{System.IO.Path.GetFileNameWithoutExtension(Path)}-log{System.IO.Path.GetExtension(Path)}");

    /// <summary>The log's size now, in bytes (0 when there is none).</summary>
    public long LogBytes => File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;

    internal LiteDatabase Database { get; }

    /// <summary>Held by writes that read before they write (a version check, a lease claim), so the two are one step.</summary>
    internal Lock WriteGate { get; } = new();

    /// <summary>
    /// Copies the log into the file and empties it. LiteDB does this by itself only at a commit that finds no other
    /// transaction open, which a busy portal never offers; this waits for the open ones instead.
    /// </summary>
    public void Checkpoint() => Database.Checkpoint();

    /// <summary>Rewrites the file without its free pages (LiteDB's rebuild), returning the bytes it saved. Writes wait meanwhile.</summary>
    public long Compact() => Database.Rebuild();

    /// <summary>Runs <paramref name="write"/> in one transaction: everything it wrote lands, or nothing does.</summary>
    internal void InTransaction(Action<ILiteDatabase> write)
    {
        if (!Database.BeginTrans())
            throw new InvalidOperationException("A transaction is already open on this thread.");
        try
        {
            write(Database);
            Database.Commit();
        }
        catch
        {
            Database.Rollback();
            throw;
        }
    }

    /// <summary>A cheap read that proves the file is open and readable (a disposed database throws).</summary>
    public bool Ping()
    {
        _ = Database.GetCollection(Collections.Clusters).Count();
        return Database.UserVersion == CurrentVersion;
    }

    public void Dispose() => Database.Dispose();

    private void Upgrade(ILogger logger)
    {
        var version = Database.UserVersion;
        if (version > CurrentVersion)
            throw new InvalidOperationException(
                $"The database {Path} has schema version {version}, newer than this EdgePortal understands ({CurrentVersion}). Upgrade EdgePortal or point EdgePortal:Storage:Path at another file.");
        if (version == CurrentVersion)
            return;
        if (version == 0)
        {
            Database.UserVersion = CurrentVersion;
            logger.LogInformation("Created database {Path} at schema version {Version}", Path, CurrentVersion);
            return;
        }
        InTransaction(db =>
        {
            foreach (var upgrade in Upgrades.Where(u => u.FromVersion >= version).OrderBy(u => u.FromVersion))
            {
                logger.LogInformation("Upgrading database {Path} from schema {From} to {To}: {Description}",
                    Path, upgrade.FromVersion, upgrade.FromVersion + 1, upgrade.Description);
                upgrade.Apply(db);
            }
        });
        Database.UserVersion = CurrentVersion;
    }

    /// <summary>
    /// Every collection's indexes, made when the file opens; this also creates every collection then, on one thread. A
    /// collection first created while other threads read the file (the seeders, the engine's recovery and the schedule
    /// registry all start at once) can fail a concurrent reader with LiteDB's "page type must be collection page" and
    /// close the engine, so no collection is left to be created by its first write.
    /// </summary>
    private void EnsureIndexes()
    {
        Database.GetCollection(Collections.Tenants).EnsureIndex("name", "$.name");
        Database.GetCollection(Collections.Clusters).EnsureIndex("name", "$.name");
        Database.GetCollection(Collections.Nodes).EnsureIndex("clusterId", "$.clusterId");
        Database.GetCollection(Collections.Links).EnsureIndex("nodeA", "$.nodeA");
        Database.GetCollection(Collections.UserGroups).EnsureIndex("serviceId", "$.serviceId");
        Database.GetCollection(Collections.Services).EnsureIndex("tenantId", "$.tenantId");
        var migrations = Database.GetCollection(Collections.Migrations);
        migrations.EnsureIndex("tenantId", "$.tenantId");
        migrations.EnsureIndex("serviceId", "$.serviceId");
        migrations.EnsureIndex("state", "$.state");
        migrations.EnsureIndex("batchId", "$.batchId");
        migrations.EnsureIndex(LiteDbMigrationRepository.CreatedAtTicks, "$." + LiteDbMigrationRepository.CreatedAtTicks);
        migrations.EnsureIndex(LiteDbMigrationRepository.TenantKey, "$." + LiteDbMigrationRepository.TenantKey);
        migrations.EnsureIndex(LiteDbMigrationRepository.ClusterKey, "$." + LiteDbMigrationRepository.ClusterKey);
        migrations.EnsureIndex(LiteDbMigrationRepository.ServiceKey, "$." + LiteDbMigrationRepository.ServiceKey);
        SchedulingCollections.EnsureIndexes(Database);
        SecurityCollections.EnsureIndexes(Database);
        LiteDbCalibrationRepository.EnsureIndexes(Database);
        LiteDbMigrationLeaseStore.EnsureIndexes(Database);
    }
}
