using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePortal.Storage.Tests;

/// <summary>
/// A real LiteDB file in a folder of its own under the temp directory; the folder goes in <see cref="Dispose"/>.
/// </summary>
public abstract class StorageTestBase : IDisposable
{
    private EdgeDatabase? _database;

    protected StorageTestBase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "edgeportal-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        FilePath = Path.Combine(Folder, "edgeportal.db");
    }

    protected string Folder { get; }
    protected string FilePath { get; }

    /// <summary>The database over <see cref="FilePath"/>, opened on first use.</summary>
    protected EdgeDatabase Database => _database ??= Open(FilePath);

    protected IInventoryRepository Inventory => new LiteDbInventoryRepository(Database);

    protected IMigrationRepository Migrations => new LiteDbMigrationRepository(Database);

    protected static EdgeDatabase Open(string path) => new(path, NullLogger<EdgeDatabase>.Instance);

    /// <summary>Closes the file and opens it again, as a restart would.</summary>
    protected void Reopen()
    {
        _database?.Dispose();
        _database = Open(FilePath);
    }

    public void Dispose()
    {
        _database?.Dispose();
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
