using EdgePortal.Core.Security;
using EdgePortal.Testing;
using EdgePortal.Web.Security;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Web.Tests.Security;

/// <summary>Refused sign-ins reach the audit log rate-limited: per source, and overall, whatever the number of sources.</summary>
public sealed class SignInRefusalsTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly InMemoryAuditLog _log = new();

    private SignInRefusals Refusals() => new(new AuditTrail(_log, _clock), _clock);

    [Fact]
    public void Refused_ManySourcesInAMinute_AtMostTheOverallCapIsWrittenAndTheNextEntrySaysHowManyWereDropped()
    {
        var refusals = Refusals();

        for (var i = 0; i < 1000; i++)
            refusals.Refused($"user-{i}", $"203.0.113.{i % 250}", AuditActions.LoginFailed, "wrong user name or password");
        _clock.Advance(TimeSpan.FromMinutes(1));
        refusals.Refused("after", "192.0.2.1", AuditActions.LoginFailed, "wrong user name or password");

        var entries = _log.Query(new AuditQuery(Limit: 10_000));
        Assert.Equal(SignInRefusals.PerMinute + 1, entries.Count);
        Assert.Contains($"{1000 - SignInRefusals.PerMinute} refusals were dropped", entries[0].Detail);
        Assert.All(entries, e => Assert.False(e.Succeeded));
    }
}
