using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Core.Tests.Execution;

/// <summary>
/// Two engines over one migration store and one lease store, as two portal replicas on one database: a migration runs on
/// the replica holding its lease, and only a lease that expired (its replica died or froze) is taken over.
/// </summary>
public sealed class MigrationLeaseEngineTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-28T10:00:00Z");

    private readonly InMemoryMigrationRepository _migrations = new();
    private readonly InMemoryInventoryRepository _inventory = new(EngineHarness.BuildEdge());
    private readonly InMemoryMigrationLeaseStore _leases;
    private readonly EngineOptions _options = new();

    public MigrationLeaseEngineTests() => _leases = new InMemoryMigrationLeaseStore(_migrations);

    private readonly InMemoryCancelRelay _cancels = new();

    private EngineHarness Replica(FakeTimeProvider clock) => new(_options, migrations: _migrations, inventory: _inventory, clock: clock, leases: _leases,
        cancels: _cancels);

    /// <summary>Starts a Cold migration of the cache on <paramref name="replica"/> and holds it inside its Transfer step.</summary>
    private static async Task<(MigrationId Id, int Transfer)> StartHeldInTransfer(EngineHarness replica)
    {
        replica.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? null : new StepOutcome.Success();
        var migration = replica.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        var transfer = migration.Steps.First(s => s.Kind == StepKind.Transfer).Index;
        await replica.StepStarted(migration.Id, transfer);
        return (migration.Id, transfer);
    }

    [Fact]
    public async Task Recover_MigrationALiveReplicaRuns_IsLeftToItByAStartingReplica()
    {
        var clock = new FakeTimeProvider(T0);
        await using var live = await Replica(clock).StartAsync();
        var (id, transfer) = await StartHeldInTransfer(live);

        await using var starting = Replica(clock);
        starting.Runtime.Repeatable = (_, _) => true; // were it to recover the migration, it would resume it at once
        await starting.StartAsync();
        // Two lease durations pass, a second at a time; the live replica renews every third of one, so the starting
        // replica's scans always find the lease held.
        for (var i = 0; i < 2 * _options.LeaseDuration.TotalSeconds; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Until(() => RenewedLately(clock, id, live.Engine.Owner));
        }
        Assert.Empty(starting.Engine.Running);
        live.Runtime.Release(id, transfer);
        var finished = await live.Finished(id);

        Assert.Equal(MigrationState.Completed, finished.State);
        Assert.Empty(starting.Runtime.Executed);
        Assert.Empty(starting.Runtime.RolledBack);
        Assert.DoesNotContain(starting.Events.Events, e => e.MigrationId == id);
        Assert.Empty(_leases.Active(clock.GetUtcNow()));
    }

    [Fact]
    public async Task TakeOver_ReplicaFrozeMidStep_OtherReplicaRollsBackOnceWithinTheBoundAndTheFrozenOneLeavesIt()
    {
        var frozenClock = new FakeTimeProvider(T0);
        var survivorClock = new FakeTimeProvider(T0);
        await using var frozen = await Replica(frozenClock).StartAsync();
        var (id, transfer) = await StartHeldInTransfer(frozen);
        // From here the frozen replica's clock stands still: it renews nothing, as a SIGKILLed or partitioned process.

        await using var survivor = await Replica(survivorClock).StartAsync();
        Assert.Empty(survivor.Engine.Running);
        var finished = survivor.Finished(id);
        await AdvanceUntil(survivorClock, () => finished.IsCompleted);

        Assert.Equal(MigrationState.RolledBack, (await finished).State);
        Assert.InRange(survivorClock.GetUtcNow() - T0, _options.LeaseDuration, _options.LeaseDuration + _options.LeaseRenewal + TimeSpan.FromSeconds(3));
        Assert.Single(survivor.Runtime.RolledBack);
        Assert.Contains("EdgePortal stopped during Transfer", _migrations.Find(id)!.FailureReason);

        // The frozen replica wakes up: its renewal is refused, and it stops driving the migration without touching it.
        frozenClock.Advance(_options.LeaseRenewal);
        await Until(() => frozen.Engine.Running.Count == 0);
        Assert.Contains((id, transfer), frozen.Runtime.Cancelled);
        Assert.Empty(frozen.Runtime.RolledBack);
        Assert.DoesNotContain(frozen.Events.Events, e => e is MigrationFinished);
        Assert.Equal(MigrationState.RolledBack, _migrations.Find(id)!.State);
        Assert.Equal(EngineHarness.A, _inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    [Fact]
    public async Task TakeOver_ReplicaFrozeInAStepSafeToRepeat_OtherReplicaResumesAndCompletesOnce()
    {
        var frozenClock = new FakeTimeProvider(T0);
        var survivorClock = new FakeTimeProvider(T0);
        await using var frozen = await Replica(frozenClock).StartAsync();
        var (id, transfer) = await StartHeldInTransfer(frozen);

        await using var survivor = Replica(survivorClock);
        survivor.Runtime.Repeatable = (_, kind) => kind == StepKind.Transfer;
        await survivor.StartAsync();
        var finished = survivor.Finished(id);
        await AdvanceUntil(survivorClock, () => finished.IsCompleted);

        Assert.Equal(MigrationState.Completed, (await finished).State);
        Assert.Equal(transfer, survivor.Runtime.Executed.First().Index);
        Assert.Empty(survivor.Runtime.RolledBack);
        Assert.Equal(EngineHarness.C, _inventory.FindService(EngineHarness.Cache)!.NodeId);

        frozenClock.Advance(_options.LeaseRenewal);
        await Until(() => frozen.Engine.Running.Count == 0);
        Assert.Empty(frozen.Runtime.RolledBack);
        Assert.DoesNotContain(frozen.Events.Events, e => e is MigrationFinished);
        Assert.Equal(MigrationState.Completed, _migrations.Find(id)!.State);
    }

    [Fact]
    public async Task Dispatch_QueuedOnTwoReplicas_KeepsTheClusterLimitAcrossThem()
    {
        _options.MaxConcurrentPerCluster = 1;
        var clock = new FakeTimeProvider(T0);
        await using var first = await Replica(clock).StartAsync();
        await using var second = await Replica(clock).StartAsync();
        first.Runtime.Script = c => c.Step.Kind == StepKind.Transfer ? null : new StepOutcome.Success();
        second.Runtime.Script = first.Runtime.Script;
        var held = first.Start(EngineHarness.Cache, MigrationStrategy.Cold);
        await first.StepStarted(held.Id, held.Steps.First(s => s.Kind == StepKind.Transfer).Index);

        var waiting = second.Start(EngineHarness.Other, MigrationStrategy.Cold);
        clock.Advance(_options.LeaseRenewal); // both dispatchers look again; the cluster's one slot is held by the first replica

        await Until(() => RenewedLately(clock, held.Id, first.Engine.Owner));
        Assert.Equal(MigrationState.Queued, _migrations.Find(waiting.Id)!.State);
        Assert.Empty(second.Engine.Running);
        first.Runtime.Release(held.Id, held.Steps.First(s => s.Kind == StepKind.Transfer).Index);
        Assert.Equal(MigrationState.Completed, (await first.Finished(held.Id)).State);
        // The slot is free: a replica claims the waiting one (whichever looks first) and it runs once.
        clock.Advance(_options.LeaseRenewal);
        var transfer = waiting.Steps.First(s => s.Kind == StepKind.Transfer).Index;
        await Until(() => first.Runtime.Executed.Any(e => e.Migration == waiting.Id) || second.Runtime.Executed.Any(e => e.Migration == waiting.Id));
        first.Runtime.Release(waiting.Id, transfer);
        second.Runtime.Release(waiting.Id, transfer);
        await Until(() => _migrations.Find(waiting.Id)!.State == MigrationState.Completed);
        Assert.Equal(1, first.Runtime.Executed.Count(e => e.Migration == waiting.Id && e.Index == transfer)
            + second.Runtime.Executed.Count(e => e.Migration == waiting.Id && e.Index == transfer));
    }

    [Fact]
    public async Task Cancel_MigrationAnotherReplicaDrives_IsForwardedThereAndRolledBackOnce()
    {
        var clock = new FakeTimeProvider(T0);
        await using var driving = await Replica(clock).StartAsync();
        await using var asked = await Replica(clock).StartAsync();
        var (id, _) = await StartHeldInTransfer(driving);

        var outcome = asked.Engine.Cancel(id, "Cancelled by operator.");

        Assert.Equal(CancelOutcome.Forwarded, outcome);
        var finished = await driving.Finished(id);
        Assert.Equal(MigrationState.Cancelled, finished.State);
        Assert.Single(driving.Runtime.RolledBack);
        Assert.Empty(asked.Runtime.RolledBack);
        Assert.Equal(EngineHarness.A, _inventory.FindService(EngineHarness.Cache)!.NodeId);
    }

    /// <summary>Whether <paramref name="owner"/> holds the lease, renewed within the last renewal period (and a second of lag).</summary>
    private bool RenewedLately(FakeTimeProvider clock, MigrationId id, string owner)
        => _leases.Active(clock.GetUtcNow()).Any(l => l.MigrationId == id && l.Owner == owner
            && l.ExpiresAt >= clock.GetUtcNow() + _options.LeaseDuration - _options.LeaseRenewal - TimeSpan.FromSeconds(1));

    /// <summary>Moves the clock a second at a time until <paramref name="done"/>, giving the engines' timers a moment at each.</summary>
    private static async Task AdvanceUntil(FakeTimeProvider clock, Func<bool> done)
    {
        for (var i = 0; i < 120 && !done(); i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Until(done, TimeSpan.FromMilliseconds(50), throwOnTimeout: false);
        }
        Assert.True(done(), $"not done after the clock moved {clock.GetUtcNow() - T0:g}");
    }

    private static async Task Until(Func<bool> condition, TimeSpan? timeout = null, bool throwOnTimeout = true)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.False(throwOnTimeout, "the condition did not hold in time");
                return;
            }
            await Task.Delay(5);
        }
    }
}
