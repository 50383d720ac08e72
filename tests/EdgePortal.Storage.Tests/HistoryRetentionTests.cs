using EdgePortal.Core.Domain;
using EdgePortal.Core.Retention;
using EdgePortal.Core.Security;
using EdgePortal.Storage.Tests.Stores;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests;

/// <summary>Retention over a real store: each kind by its own setting, in batches, and every pass that deleted anything audited.</summary>
public sealed class HistoryRetentionTests : IDisposable
{
    private readonly LiteDbTestStore _store = new();
    private readonly FakeTimeProvider _clock = new(T0.AddDays(400));

    private sealed class Monitor(RetentionOptions value) : IOptionsMonitor<RetentionOptions>
    {
        public RetentionOptions CurrentValue => value;
        public RetentionOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<RetentionOptions, string?> listener) => null;
    }

    private HistoryRetention Retention(RetentionOptions options)
        => new(_store.Pruner, new AuditTrail(_store.Audit, _clock), new Monitor(options), _clock, NullLogger<HistoryRetention>.Instance);

    private void SaveFinished(int count, DateTimeOffset from)
    {
        var service = Service(TenantId.New(), "svc", NodeId.New());
        for (var i = 0; i < count; i++)
            _store.Migrations.Save(DriveTo(NewMigration(service, ClusterId.New(), from.AddMinutes(i)), MigrationState.Completed));
    }

    [Fact]
    public void Prune_DefaultSettings_DeletesOldMigrationsInBatchesKeepsTheAuditAndAuditsThePass()
    {
        SaveFinished(7, T0);
        SaveFinished(2, T0.AddDays(390));
        _store.Audit.Append(new AuditEntry { Id = Guid.NewGuid(), At = T0, Actor = "admin", Action = AuditActions.Plan });

        var deleted = Retention(new RetentionOptions { BatchSize = 3 }).Prune();

        Assert.Equal(7, deleted[HistoryKind.Migrations]);
        Assert.False(deleted.ContainsKey(HistoryKind.Audit));
        Assert.Equal(2, _store.Migrations.List(new MigrationQuery()).Count);
        var entries = _store.Audit.Query(new AuditQuery());
        var prune = Assert.Single(entries, e => e.Action == AuditActions.HistoryPrune);
        Assert.Equal(HistoryRetention.Actor, prune.Actor);
        Assert.Contains("7 finished migrations older than", prune.Detail);
        Assert.Contains("EdgePortal:Retention:Migrations", prune.Detail);
        Assert.Equal(2, entries.Count);
    }

    [Fact]
    public void Prune_AuditRetentionSet_DeletesOldEntriesButNotThePassOwnRecord()
    {
        for (var i = 0; i < 4; i++)
            _store.Audit.Append(new AuditEntry { Id = Guid.NewGuid(), At = T0.AddDays(i * 100), Actor = "admin", Action = AuditActions.Plan });

        var deleted = Retention(new RetentionOptions { Audit = TimeSpan.FromDays(150) }).Prune();

        Assert.Equal(3, deleted[HistoryKind.Audit]);
        var left = _store.Audit.Query(new AuditQuery());
        Assert.Equal([AuditActions.HistoryPrune, AuditActions.Plan], left.Select(e => e.Action));
        Assert.Contains("3 audit entries", left[0].Detail);
    }

    [Fact]
    public void Prune_NothingOld_WritesNoAuditEntry()
    {
        SaveFinished(2, T0.AddDays(399));

        var deleted = Retention(new RetentionOptions()).Prune();

        Assert.All(deleted.Values, n => Assert.Equal(0, n));
        Assert.Empty(_store.Audit.Query(new AuditQuery()));
    }

    [Fact]
    public void Prune_MaxPerPass_StopsThereAndTheNextPassGoesOn()
    {
        SaveFinished(10, T0);
        var options = new RetentionOptions { BatchSize = 2, MaxPerPass = 4 };

        Assert.Equal(4, Retention(options).Prune()[HistoryKind.Migrations]);
        Assert.Equal(4, Retention(options).Prune()[HistoryKind.Migrations]);
        Assert.Equal(2, Retention(options).Prune()[HistoryKind.Migrations]);
    }

    [Theory]
    [InlineData("Migrations")]
    [InlineData("Audit")]
    public void Validate_NegativePeriod_FailsNamingTheKey(string key)
    {
        var options = new RetentionOptions();
        typeof(RetentionOptions).GetProperty(key)!.SetValue(options, TimeSpan.FromDays(-1));

        var result = new RetentionOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"EdgePortal:Retention:{key}", result.FailureMessage);
    }

    public void Dispose() => _store.Dispose();
}
