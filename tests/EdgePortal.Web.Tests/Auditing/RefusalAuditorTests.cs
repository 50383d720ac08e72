using EdgePortal.Core.Security;
using EdgePortal.Web.Auditing;
using EdgePortal.Web.Security;
using EdgePortal.Testing;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Web.Tests.Auditing;

/// <summary>Refusals are audited without letting a flood through: a few per source and window, then one "and K more".</summary>
public sealed class RefusalAuditorTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 14, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryAuditLog _log = new();
    private readonly RefusalAuditor _refusals;

    public RefusalAuditorTests()
        => _refusals = new RefusalAuditor(new AuditTrail(_log, _clock), _clock, new FixedOptions<AuditOptions>(new AuditOptions
        {
            RefusalsPerSourceAndWindow = 3,
            RefusalWindow = TimeSpan.FromMinutes(1),
            MaxRefusalSources = 4,
        }));

    private IReadOnlyList<AuditEntry> Entries => _log.Query(new AuditQuery(Action: AuditActions.KeyRefused)).Reverse().ToList();

    private bool Refuse(string source = "203.0.113.7", int i = 0)
        => _refusals.Refused(AuditActions.KeyRefused, source, $"key:ep_{i:0000}", $"api key from {source}", $"attempt {i}");

    [Fact]
    public void Refused_FloodFromOneSource_RecordsTheFirstThenOneSummaryWhenTheWindowEnds()
    {
        var recorded = Enumerable.Range(0, 100).Select(i => Refuse(i: i)).ToList();

        Assert.Equal(3, recorded.Count(r => r));
        Assert.Equal(3, Entries.Count);
        Assert.Equal(0, _refusals.Flush());

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, _refusals.Flush());

        var summary = Entries[^1];
        Assert.Equal(4, Entries.Count);
        Assert.Equal("203.0.113.7", summary.Actor);
        Assert.False(summary.Succeeded);
        Assert.StartsWith("and 97 more apikey.refused refusals from 203.0.113.7 between 2026-03-14 12:00:00Z and 2026-03-14 12:01:00Z", summary.Detail,
            StringComparison.Ordinal);
        Assert.True(AuditChain.Verify(_log, _clock.GetUtcNow()).Intact);
    }

    [Fact]
    public void Refused_AfterTheWindow_SummarisesThePreviousAndRecordsAgain()
    {
        for (var i = 0; i < 5; i++)
            Refuse(i: i);
        _clock.Advance(TimeSpan.FromSeconds(61));

        Assert.True(Refuse(i: 99));

        Assert.Equal(["attempt 0", "attempt 1", "attempt 2", "and 2 more", "attempt 99"],
            Entries.Select(e => e.Detail.StartsWith("and", StringComparison.Ordinal) ? e.Detail[..10] : e.Detail));
    }

    [Fact]
    public void Refused_TwoSources_EachHasItsOwnAllowance()
    {
        for (var i = 0; i < 5; i++)
        {
            Refuse("198.51.100.1", i);
            Refuse("198.51.100.2", i);
        }

        Assert.Equal(3, Entries.Count(e => e.Target.EndsWith("198.51.100.1", StringComparison.Ordinal)));
        Assert.Equal(3, Entries.Count(e => e.Target.EndsWith("198.51.100.2", StringComparison.Ordinal)));
    }

    [Fact]
    public void Refused_MoreSourcesThanTracked_ShareOneCountAndMemoryStaysBounded()
    {
        // Four sources are tracked; a thousand more (a spoofing botnet) only count.
        for (var i = 0; i < 1004; i++)
            Refuse($"10.0.{i / 256}.{i % 256}", i);

        Assert.Equal(4, Entries.Count);
        // The four tracked sources had one refusal each (recorded), so only the shared count needs a summary.
        Assert.Equal(1, _refusals.Flush(all: true));
        Assert.Contains(Entries, e => e.Actor == RefusalAuditor.OtherSources && e.Detail.StartsWith("and 1000 more", StringComparison.Ordinal));
    }

    [Fact]
    public void Flush_NothingCounted_WritesNoSummary()
    {
        Refuse();
        _clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(0, _refusals.Flush());
        Assert.Single(Entries);
    }
}
