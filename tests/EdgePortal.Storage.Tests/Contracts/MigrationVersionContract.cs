using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>Optimistic concurrency on the migration aggregate: a save that would overwrite someone else's transition is refused.</summary>
public abstract class MigrationVersionContract(TestStore store) : StoreContract(store)
{
    private readonly ServiceInstance _service = Service(TenantId.New(), "flight-control", NodeId.New());

    private Migration SavedQueued()
    {
        var migration = NewMigration(_service, ClusterId.New(), T0);
        Migrations.Save(migration);
        return migration;
    }

    [Fact]
    public void Save_TwoCopiesAdvancedFromTheSameVersion_TheSecondIsRefusedAndTheFirstKept()
    {
        var id = SavedQueued().Id;
        var first = Migrations.Find(id)!;
        var second = Migrations.Find(id)!;
        first.Start(T0.AddSeconds(1));
        second.Cancel("operator", T0.AddSeconds(2));

        Migrations.Save(first);
        var e = Assert.Throws<ConcurrencyConflictException>(() => Migrations.Save(second));

        Assert.Contains(id.ToString(), e.Message);
        var stored = Migrations.Find(id)!;
        Assert.Equal((MigrationState.Running, 2L, T0.AddSeconds(1)), (stored.State, stored.Version, stored.StartedAt));
    }

    [Fact]
    public void Save_SameVersionAgain_IsRefused()
    {
        var migration = SavedQueued();

        Assert.Throws<ConcurrencyConflictException>(() => Migrations.Save(migration));
        Assert.Equal(1, Migrations.Find(migration.Id)!.Version);
    }

    [Fact]
    public void Save_OlderCopyAfterANewerOne_IsRefused()
    {
        var id = SavedQueued().Id;
        var behind = Migrations.Find(id)!;
        var ahead = Migrations.Find(id)!;
        ahead.Start(T0.AddSeconds(1));
        ahead.BeginStep(0, T0.AddSeconds(2));
        Migrations.Save(ahead);
        behind.Start(T0.AddSeconds(3));

        Assert.Throws<ConcurrencyConflictException>(() => Migrations.Save(behind));
        Assert.Equal(3, Migrations.Find(id)!.Version);
    }

    [Fact]
    public void Save_SeveralTransitionsAtOnce_IsAccepted()
    {
        var migration = SavedQueued();
        DriveTo(migration, MigrationState.Completed);

        Migrations.Save(migration);

        Assert.Equal((MigrationState.Completed, migration.Version), (Migrations.Find(migration.Id)!.State, Migrations.Find(migration.Id)!.Version));
    }

    [Fact]
    public void Save_ManyWritersRacingFromOneVersion_ExactlyOneWins()
    {
        var id = SavedQueued().Id;
        var copies = Enumerable.Range(0, 8).Select(_ => Migrations.Find(id)!).ToList();
        for (var i = 0; i < copies.Count; i++)
            copies[i].Start(T0.AddSeconds(i + 1));
        var won = new ConcurrentBag<int>();
        var lost = new ConcurrentBag<int>();
        using var start = new Barrier(copies.Count);

        Parallel.For(0, copies.Count, new ParallelOptions { MaxDegreeOfParallelism = copies.Count }, i =>
        {
            start.SignalAndWait();
            try
            {
                Migrations.Save(copies[i]);
                won.Add(i);
            }
            catch (ConcurrencyConflictException)
            {
                lost.Add(i);
            }
        });

        var winner = Assert.Single(won);
        Assert.Equal(copies.Count - 1, lost.Count);
        Assert.Equal(T0.AddSeconds(winner + 1), Migrations.Find(id)!.StartedAt);
    }
}
