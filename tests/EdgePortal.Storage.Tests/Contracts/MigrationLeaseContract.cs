using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>Claiming migrations under a lease: exclusive, within the limits, renewed, released, and lost on expiry.</summary>
public abstract class MigrationLeaseContract(TestStore store) : StoreContract(store)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly ClaimLimits Roomy = new(100, 100);
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    private readonly TenantId _tenant = TenantId.New();
    private readonly ClusterId _cluster = ClusterId.New();
    private int _created;

    private IMigrationLeaseStore Leases => Store.Leases;

    /// <summary>Queued migrations a second apart, each from its own source node unless one is given.</summary>
    private List<Migration> Queue(int count, ClusterId? cluster = null, NodeId? source = null, TenantId? tenant = null)
    {
        var queued = new List<Migration>();
        for (var i = 0; i < count; i++)
        {
            var migration = NewMigration(Service(tenant ?? _tenant, $"svc-{Guid.NewGuid():N}", source ?? NodeId.New()), cluster ?? _cluster, T0.AddSeconds(_created++));
            Migrations.Save(migration);
            queued.Add(migration);
        }
        return queued;
    }

    private Migration Saved(Migration migration, MigrationState state)
    {
        var stored = Migrations.Find(migration.Id)!;
        DriveTo(stored, state);
        Migrations.Save(stored);
        return stored;
    }

    [Fact]
    public void ClaimQueued_FreeMigrations_OldestFirstUpToMaxWithTheirOwnerAndExpiry()
    {
        var queued = Queue(5);

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 3);

        Assert.Equal(queued.Take(3).Select(m => m.Id), leases.Select(l => l.MigrationId));
        Assert.All(leases, l => Assert.Equal(("replica-a", Now + Lease), (l.Owner, l.ExpiresAt)));
    }

    [Fact]
    public void ClaimQueued_AnotherReplicasYoungMigration_IsLeftToItWhileOwnAndOlderOnesAreClaimed()
    {
        var queued = Queue(4);

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 10, new ClaimScope(new HashSet<MigrationId> { queued[3].Id }, queued[1].CreatedAt));

        Assert.Equal([queued[0].Id, queued[1].Id, queued[3].Id], leases.Select(l => l.MigrationId));
    }

    [Fact]
    public void ClaimQueued_HeldUntilItsPredictedStart_IsNotClaimedWhileTheOthersAre()
    {
        var queued = Queue(3);
        var own = queued.Select(m => m.Id).ToHashSet();

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 10,
            new ClaimScope(own, Now) { Held = new HashSet<MigrationId> { queued[1].Id } });

        Assert.Equal([queued[0].Id, queued[2].Id], leases.Select(l => l.MigrationId));
    }

    [Fact]
    public void ClaimQueued_AlreadyHeld_IsNotClaimedByAnother()
    {
        var queued = Queue(3);
        var first = Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 2);

        var second = Leases.ClaimQueued("replica-b", Now.AddSeconds(1), Lease, Roomy, max: 10);

        Assert.Equal([queued[2].Id], second.Select(l => l.MigrationId));
        Assert.Empty(first.Select(l => l.MigrationId).Intersect(second.Select(l => l.MigrationId)));
    }

    [Fact]
    public void ClaimQueued_OnlyQueuedMigrations_AreClaimed()
    {
        var queued = Queue(4);
        Saved(queued[0], MigrationState.Running);
        Saved(queued[1], MigrationState.Completed);
        Saved(queued[2], MigrationState.Cancelled);

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 10);

        Assert.Equal([queued[3].Id], leases.Select(l => l.MigrationId));
    }

    [Fact]
    public void ClaimQueued_PerClusterLimit_CountsLeasesOfEveryReplica()
    {
        Queue(5);
        Leases.ClaimQueued("replica-a", Now, Lease, new ClaimLimits(2, 100), max: 10);

        var second = Leases.ClaimQueued("replica-b", Now, Lease, new ClaimLimits(3, 100), max: 10);

        Assert.Single(second);
        Assert.Equal(3, Leases.Active(Now).Count);
    }

    [Fact]
    public void ClaimQueued_PerSourceNodeLimit_SkipsToMigrationsFromOtherNodes()
    {
        var busy = NodeId.New();
        var fromBusy = Queue(3, source: busy);
        var elsewhere = Queue(1);

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, new ClaimLimits(100, 2), max: 10);

        Assert.Equal([fromBusy[0].Id, fromBusy[1].Id, elsewhere[0].Id], leases.Select(l => l.MigrationId));
    }

    [Fact]
    public void ClaimQueued_PerTenantLimit_AppliesOnlyToTenantsWithAQuota()
    {
        var limited = TenantId.New();
        var free = TenantId.New();
        var fromLimited = Queue(3, tenant: limited);
        var fromFree = Queue(3, tenant: free);
        var limits = new ClaimLimits(100, 100, new Dictionary<TenantId, int> { [limited] = 1 });

        var leases = Leases.ClaimQueued("replica-a", Now, Lease, limits, max: 10);

        Assert.Equal([fromLimited[0].Id, .. fromFree.Select(m => m.Id)], leases.Select(l => l.MigrationId));
    }

    [Fact]
    public void ClaimQueued_ExpiredLease_CanBeClaimedAgainWithALargerToken()
    {
        var queued = Queue(1);
        var first = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));

        Assert.Empty(Leases.ClaimQueued("replica-b", Now + Lease - TimeSpan.FromTicks(1), Lease, Roomy, max: 1));
        var second = Assert.Single(Leases.ClaimQueued("replica-b", Now + Lease, Lease, Roomy, max: 1));

        Assert.Equal((queued[0].Id, "replica-b"), (second.MigrationId, second.Owner));
        Assert.True(second.Token > first.Token);
    }

    [Fact]
    public void ClaimQueued_ManyClaimersAtOnce_NeverShareAMigrationNorExceedTheClusterLimit()
    {
        Queue(40);
        var limits = new ClaimLimits(12, 100);
        var claimed = new ConcurrentBag<MigrationLease>();
        var errors = new ConcurrentBag<Exception>();
        var replicas = Enumerable.Range(0, 6).Select(i => (Name: $"replica-{i}", Store: i % 2 == 1 ? Store.SecondReplica() ?? Store : Store)).ToList();
        using var start = new Barrier(replicas.Count);

        Parallel.ForEach(replicas, new ParallelOptions { MaxDegreeOfParallelism = replicas.Count }, replica =>
        {
            start.SignalAndWait();
            try
            {
                for (var round = 0; round < 5; round++)
                    foreach (var lease in replica.Store.Leases.ClaimQueued(replica.Name, Now, Lease, limits, max: 2))
                        claimed.Add(lease);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        });

        Assert.Empty(errors);
        Assert.Equal(12, claimed.Count);
        Assert.Equal(12, claimed.Select(l => l.MigrationId).Distinct().Count());
        Assert.Equal(12, Leases.Active(Now).Count);
    }

    [Fact]
    public void Renew_HeldLease_ExtendsItsExpiry()
    {
        Queue(1);
        var lease = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));

        var renewed = Leases.Renew(lease, Now.AddSeconds(20), Lease);

        Assert.Equal(lease with { ExpiresAt = Now.AddSeconds(20) + Lease }, renewed);
        Assert.Empty(Leases.ClaimQueued("replica-b", Now + Lease, Lease, Roomy, max: 1));
    }

    [Fact]
    public void Renew_AfterTheLeaseExpiredAndWasClaimedAgain_IsRefused()
    {
        Queue(1);
        var lost = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));
        Assert.Single(Leases.ClaimQueued("replica-b", Now + Lease, Lease, Roomy, max: 1));

        Assert.Null(Leases.Renew(lost, Now + Lease + TimeSpan.FromSeconds(1), Lease));
        Assert.False(Leases.Release(lost));
        Assert.Equal("replica-b", Assert.Single(Leases.Active(Now + Lease)).Owner);
    }

    [Fact]
    public void Release_HeldLease_MakesTheMigrationClaimableAtOnce()
    {
        var queued = Queue(1);
        var lease = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));

        Assert.True(Leases.Release(lease));

        Assert.Empty(Leases.Active(Now));
        Assert.Equal(queued[0].Id, Assert.Single(Leases.ClaimQueued("replica-b", Now, Lease, Roomy, max: 1)).MigrationId);
        Assert.False(Leases.Release(lease));
    }

    [Fact]
    public void ClaimAbandoned_InFlightWithExpiredOrNoLease_AreTakenOverOldestFirst()
    {
        var queued = Queue(4);
        var running = Saved(queued[0], MigrationState.Running);
        var rollingBack = Saved(queued[1], MigrationState.RollingBack);
        Saved(queued[2], MigrationState.Completed);
        var held = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));
        Assert.Equal(queued[3].Id, held.MigrationId);
        Saved(queued[3], MigrationState.Running);

        var now = Leases.ClaimAbandoned("replica-b", Now, Lease, max: 10);
        foreach (var taken in now)
            Assert.NotNull(Leases.Renew(taken, Now.AddSeconds(10), Lease));
        var later = Leases.ClaimAbandoned("replica-c", Now + Lease, Lease, max: 10);

        Assert.Equal([running.Id, rollingBack.Id], now.Select(l => l.MigrationId));
        Assert.Equal([queued[3].Id], later.Select(l => l.MigrationId));
    }

    [Fact]
    public void Save_OfALeasedMigration_KeepsTheLease()
    {
        var queued = Queue(1);
        var lease = Assert.Single(Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 1));

        Saved(queued[0], MigrationState.Running);

        Assert.Equal([lease], Leases.Active(Now));
        Assert.NotNull(Leases.Renew(lease, Now.AddSeconds(5), Lease));
    }

    [Fact]
    public void Active_LeaseOfAFinishedMigration_NoLongerCounts()
    {
        var queued = Queue(2);
        Leases.ClaimQueued("replica-a", Now, Lease, Roomy, max: 2);

        Saved(queued[0], MigrationState.Completed);

        Assert.Equal([queued[1].Id], Leases.Active(Now).Select(l => l.MigrationId));
        var next = Queue(1);
        Assert.Equal(next[0].Id, Assert.Single(Leases.ClaimQueued("replica-b", Now, Lease, new ClaimLimits(2, 100), max: 5)).MigrationId);
    }
}
