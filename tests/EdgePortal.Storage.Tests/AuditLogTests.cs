using EdgePortal.Core.Security;
using LiteDB;

namespace EdgePortal.Storage.Tests;

/// <summary>The LiteDB audit log on a real file: a hash chain under concurrent appends, across restarts, and for entries written before it.</summary>
public sealed class AuditLogTests : StorageTestBase
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    private IAuditLog Log => new LiteDbAuditLog(Database);

    private static AuditEntry Entry(int i, string actor = "someone") => new()
    {
        Id = Guid.CreateVersion7(T0.AddMilliseconds(i)),
        At = T0.AddMilliseconds(i),
        Actor = actor,
        Action = AuditActions.Plan,
        Target = $"service {i}",
    };

    [Fact]
    public async Task Append_ConcurrentWriters_TakeEverySequenceOnceAndTheChainVerifies()
    {
        var log = Log;
        const int Writers = 8;
        const int Each = 100;
        using var start = new Barrier(Writers);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Each; i++)
                log.Append(Entry(w * Each + i, $"writer-{w}"));
        })));

        var chain = log.Chain(0, 10_000);
        Assert.Equal(Enumerable.Range(1, Writers * Each).Select(i => (long)i), chain.Select(e => e.Sequence));
        var report = AuditChain.Verify(log, T0, pageSize: 64);
        Assert.True(report.Intact, report.FirstBreak?.Reason);
        Assert.Equal(Writers * Each, report.EntriesChecked);
    }

    [Fact]
    public void Append_AfterRestart_ContinuesTheChain()
    {
        var first = Log.Append(Entry(1));
        Reopen();

        var second = Log.Append(Entry(2));

        Assert.Equal(2, second.Sequence);
        Assert.Equal(first.Hash, second.PreviousHash);
        Assert.True(AuditChain.Verify(Log, T0).Intact);
    }

    [Fact]
    public void Verify_EntryEditedInTheFile_ReportsThatEntry()
    {
        for (var i = 1; i <= 5; i++)
            Log.Append(Entry(i));
        var collection = Database.Database.GetCollection("audit");
        var third = collection.FindOne(Query.EQ("$.sequence", 3));
        third["detail"] = "edited by hand";
        collection.Update(third);

        var report = AuditChain.Verify(Log, T0);

        Assert.False(report.Intact);
        Assert.Equal(3, report.FirstBreak!.Sequence);
        Assert.Equal(2, report.LastSequence);
    }

    [Fact]
    public void Verify_EntryDeletedFromTheFile_ReportsTheGap()
    {
        for (var i = 1; i <= 5; i++)
            Log.Append(Entry(i));
        var collection = Database.Database.GetCollection("audit");
        collection.DeleteMany(Query.EQ("$.sequence", 2));

        var report = AuditChain.Verify(Log, T0);

        Assert.Equal(3, report.FirstBreak!.Sequence);
        Assert.Contains("2..2", report.FirstBreak.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_NewestFirst_ByTheLogsOrder()
    {
        for (var i = 1; i <= 3; i++)
            Log.Append(Entry(i));

        Assert.Equal([3L, 2L, 1L], Log.Query(new AuditQuery()).Select(e => e.Sequence));
    }

    [Fact]
    public void Open_V3FileWithAuditEntries_LinksThemInTheOrderTheyWereWritten()
    {
        // Version 3 stored entries without sequence or hashes; written here out of time order.
        using (var db = new LiteDatabase(new ConnectionString { Filename = FilePath, Connection = ConnectionType.Direct }))
        {
            db.UserVersion = 3;
            var audit = db.GetCollection("audit");
            foreach (var entry in new[] { 3, 1, 2 }.Select(i => Entry(i)))
            {
                var document = BsonJson.ToDocument(entry, entry.Id);
                document.Remove("sequence");
                document.Remove("previousHash");
                document.Remove("hash");
                document["atTicks"] = entry.At.UtcTicks;
                audit.Insert(document);
            }
        }

        var chain = Log.Chain(0, 100);

        Assert.Equal(["service 1", "service 2", "service 3"], chain.Select(e => e.Target));
        Assert.True(AuditChain.Verify(Log, T0).Intact);
        Assert.Equal(4, Log.Append(Entry(4)).Sequence);
    }
}
