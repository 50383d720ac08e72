using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.LiteDb;

/// <summary>The log stays bounded while transactions keep it from checkpointing by itself.</summary>
public sealed class LiteDbUpkeepTests : StorageTestBase
{
    private sealed class Monitor(StorageOptions value) : IOptionsMonitor<StorageOptions>
    {
        public StorageOptions CurrentValue => value;
        public StorageOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<StorageOptions, string?> listener) => null;
    }

    private LiteDbUpkeep Upkeep(FakeTimeProvider clock, long bytes = 1024 * 1024)
        => new(Database, new Monitor(new StorageOptions { LiteDb = new LiteDbUpkeepOptions { CheckpointBytes = bytes, CheckpointInterval = TimeSpan.FromMinutes(1) } }),
            clock, NullLogger<LiteDbUpkeep>.Instance);

    /// <summary>Writes migrations while another thread keeps a transaction open, so LiteDB's own checkpoint never runs.</summary>
    private void WriteUnderAnOpenTransaction(int count)
    {
        var service = Service(TenantId.New(), "svc", NodeId.New());
        using var open = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            Database.Database.BeginTrans();
            Database.Database.GetCollection("holder").Insert(new LiteDB.BsonDocument { ["_id"] = 1 });
            open.Set();
            done.Wait();
            Database.Database.Rollback();
        });
        holder.Start();
        open.Wait();
        for (var i = 0; i < count; i++)
            Migrations.Save(NewMigration(service, ClusterId.New(), T0.AddSeconds(i)));
        done.Set();
        holder.Join();
    }

    [Fact]
    public void Tick_LogPastTheSizeLimit_CheckpointsItIntoTheFile()
    {
        WriteUnderAnOpenTransaction(600);
        var before = Database.LogBytes;
        Assert.True(before > 1024 * 1024, $"the log holds {before} bytes");
        var upkeep = Upkeep(new FakeTimeProvider(T0));

        Assert.True(upkeep.Tick());

        Assert.True(Database.LogBytes < before / 4, $"log {before} → {Database.LogBytes} bytes");
        Assert.Equal(before, upkeep.PeakLogBytes);
        Assert.Equal(600, Migrations.List(new MigrationQuery(Limit: 1000)).Count);
    }

    [Fact]
    public void Tick_SmallLog_WaitsForTheIntervalThenCheckpoints()
    {
        Migrations.Save(NewMigration(Service(TenantId.New(), "svc", NodeId.New()), ClusterId.New(), T0));
        var clock = new FakeTimeProvider(T0);
        var upkeep = Upkeep(clock, bytes: 64 * 1024 * 1024);
        Assert.True(Database.LogBytes > 0, "a single write waits in the log for a checkpoint");

        Assert.False(upkeep.Tick());
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(upkeep.Tick());

        Assert.Equal(1, upkeep.Checkpoints);
    }
}
