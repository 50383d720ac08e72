using EdgePortal.Core.Security;

namespace EdgePortal.Core.Tests.Security;

/// <summary>The audit log's hash chain: how entries are linked, and what verification finds when the stored chain is tampered with.</summary>
public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    private static AuditEntry Entry(int i) => new()
    {
        Id = Guid.CreateVersion7(T0.AddSeconds(i)),
        At = T0.AddSeconds(i),
        Actor = $"user-{i}",
        Action = AuditActions.Start,
        Target = $"service s{i}",
        Detail = $"detail {i}",
        TenantId = i % 2 == 0 ? Guid.Parse("0195c0de-0000-7000-8000-000000000001") : null,
    };

    /// <summary>Ten entries linked as a log links them.</summary>
    private static List<AuditEntry> Chain(int count = 10)
    {
        var chain = new List<AuditEntry>();
        for (var i = 0; i < count; i++)
            chain.Add(AuditChain.Link(Entry(i), chain.Count > 0 ? chain[^1] : null));
        return chain;
    }

    private static AuditChainReport Verify(IEnumerable<AuditEntry> entries)
    {
        var verifier = new AuditChain.Verifier();
        foreach (var entry in entries)
            if (!verifier.Check(entry))
                break;
        return verifier.Report(T0);
    }

    [Fact]
    public void Link_FirstAndNext_NumberFromOneAndChainTheHashes()
    {
        var chain = Chain(2);

        Assert.Equal(1, chain[0].Sequence);
        Assert.Equal(AuditChain.Genesis, chain[0].PreviousHash);
        Assert.Equal(2, chain[1].Sequence);
        Assert.Equal(chain[0].Hash, chain[1].PreviousHash);
        Assert.Matches("^[0-9a-f]{64}$", chain[1].Hash);
        Assert.Equal(AuditChain.HashOf(chain[1]), chain[1].Hash);
    }

    [Fact]
    public void Verify_UntouchedChain_IsIntactWithItsHead()
    {
        var chain = Chain();

        var report = Verify(chain);

        Assert.True(report.Intact);
        Assert.Null(report.FirstBreak);
        Assert.Equal(10, report.EntriesChecked);
        Assert.Equal((1L, 10L), (report.FirstSequence!.Value, report.LastSequence!.Value));
        Assert.Equal(chain[^1].Hash, report.HeadHash);
    }

    public static TheoryData<string> Fields => ["at", "actor", "action", "target", "detail", "tenantId", "succeeded", "id"];

    [Theory]
    [MemberData(nameof(Fields))]
    public void Verify_OneFieldChanged_BreaksAtThatEntrySayingItChanged(string field)
    {
        var chain = Chain();
        var e = chain[4];
        chain[4] = field switch
        {
            "at" => e with { At = e.At.AddTicks(1) },
            "actor" => e with { Actor = "someone else" },
            "action" => e with { Action = AuditActions.Plan },
            "target" => e with { Target = e.Target + " " },
            "detail" => e with { Detail = "" },
            "tenantId" => e with { TenantId = Guid.NewGuid() },
            "succeeded" => e with { Succeeded = false },
            _ => e with { Id = Guid.NewGuid() },
        };

        var report = Verify(chain);

        Assert.False(report.Intact);
        Assert.Equal(5, report.FirstBreak!.Sequence);
        Assert.Contains("changed after it was written", report.FirstBreak.Reason, StringComparison.Ordinal);
        Assert.Equal(4, report.LastSequence);
    }

    [Fact]
    public void Verify_ChangedEntryRehashed_BreaksAtTheEntryAfterIt()
    {
        var chain = Chain();
        var forged = chain[4] with { Detail = "nothing happened" };
        chain[4] = forged with { Hash = AuditChain.HashOf(forged) };

        var report = Verify(chain);

        Assert.Equal(6, report.FirstBreak!.Sequence);
        Assert.Contains("previous hash is not the hash of entry 5", report.FirstBreak.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntryRemoved_BreaksAtTheNextNamingTheGap()
    {
        var chain = Chain();
        chain.RemoveAt(6);

        var report = Verify(chain);

        Assert.Equal(8, report.FirstBreak!.Sequence);
        Assert.Contains("7..7", report.FirstBreak.Reason, StringComparison.Ordinal);
        Assert.Contains("missing", report.FirstBreak.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntryRenumberedToHideARemoval_BreaksOnThePreviousHash()
    {
        var chain = Chain();
        chain.RemoveAt(6);
        for (var i = 6; i < chain.Count; i++)
            chain[i] = chain[i] with { Sequence = chain[i].Sequence - 1 };

        var report = Verify(chain);

        Assert.Equal(7, report.FirstBreak!.Sequence);
        Assert.False(report.Intact);
    }

    [Fact]
    public void Verify_EntryInsertedAroundTheLog_BreaksAtIt()
    {
        var chain = Chain();
        chain.Insert(3, Entry(99));

        var report = Verify(chain);

        Assert.Equal(0, report.FirstBreak!.Sequence);
        Assert.Contains("never linked", report.FirstBreak.Reason, StringComparison.Ordinal);
        Assert.Equal(3, report.EntriesChecked);
    }

    [Fact]
    public void Verify_TwoEntriesSwapped_Breaks()
    {
        var chain = Chain();
        (chain[2], chain[3]) = (chain[3], chain[2]);

        var report = Verify(chain);

        Assert.Equal(4, report.FirstBreak!.Sequence);
    }

    [Fact]
    public void Verify_FirstEntryNotFromGenesis_Breaks()
    {
        var chain = Chain();
        var first = chain[0] with { PreviousHash = new string('f', 64) };
        chain[0] = first with { Hash = AuditChain.HashOf(first) };

        Assert.Equal(1, Verify(chain).FirstBreak!.Sequence);
    }

    [Fact]
    public void Verify_OldestEntriesRemovedByRetention_IsIntactFromTheFirstLeft()
    {
        var chain = Chain().Skip(4).ToList();

        var report = Verify(chain);

        Assert.True(report.Intact);
        Assert.Equal(5, report.FirstSequence);
        Assert.Equal(6, report.EntriesChecked);
    }

    [Fact]
    public void HashOf_TextMovedAcrossAFieldBoundary_Differs()
    {
        var a = AuditChain.Link(Entry(1) with { Actor = "ab", Action = "c" }, null);
        var b = AuditChain.Link(Entry(1) with { Actor = "a", Action = "bc" }, null);

        Assert.NotEqual(a.Hash, b.Hash);
    }
}
