using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>Keyset pagination: pages follow one another by cursor, newest first, with ties in time broken by id.</summary>
public abstract class HistoryPagingContract(TestStore store) : StoreContract(store)
{
    private readonly TenantId _sky = TenantId.New();
    private readonly TenantId _arena = TenantId.New();

    /// <summary>23 migrations over two tenants; several share a creation time, as a burst started in one tick does.</summary>
    private List<Migration> SaveBurst()
    {
        var sky = Service(_sky, "flight-control", NodeId.New());
        var arena = Service(_arena, "match-state", NodeId.New());
        var saved = new List<Migration>();
        for (var i = 0; i < 23; i++)
        {
            var migration = NewMigration(i % 3 == 0 ? arena : sky, ClusterId.New(), T0.AddSeconds(i / 4));
            Migrations.Save(migration);
            saved.Add(migration);
        }
        return saved;
    }

    private static List<MigrationId> NewestFirst(IEnumerable<Migration> migrations)
        => migrations.OrderByDescending(MigrationQuery.CursorOf).Select(m => m.Id).ToList();

    private List<MigrationId> PageThrough(MigrationQuery query)
    {
        var all = new List<MigrationId>();
        HistoryCursor? cursor = null;
        while (true)
        {
            var page = Migrations.List(query with { Before = cursor });
            Assert.True(page.Count <= query.Limit);
            all.AddRange(page.Select(m => m.Id));
            if (page.Count < query.Limit)
                return all;
            cursor = MigrationQuery.CursorOf(page[^1]);
        }
    }

    [Fact]
    public void List_PagedByCursor_ReturnsEveryMigrationOnceNewestFirstWithTiesById()
    {
        var saved = SaveBurst();

        var paged = PageThrough(new MigrationQuery(Limit: 5));

        Assert.Equal(NewestFirst(saved), paged);
    }

    [Fact]
    public void List_Unpaged_BreaksTiesByIdLikeThePages()
    {
        var saved = SaveBurst();

        Assert.Equal(NewestFirst(saved), Migrations.List(new MigrationQuery(Limit: 100)).Select(m => m.Id));
    }

    [Fact]
    public void List_PagedWithATenantFilter_ReturnsOnlyThatTenantInOrder()
    {
        var saved = SaveBurst();

        var paged = PageThrough(new MigrationQuery(Tenant: _arena, Limit: 3));

        Assert.Equal(NewestFirst(saved.Where(m => m.TenantId == _arena)), paged);
        Assert.Equal(8, paged.Count);
    }

    [Fact]
    public void List_NewerMigrationArrivesBetweenPages_TheNextPageContinuesWhereTheLastEnded()
    {
        var saved = SaveBurst();
        var first = Migrations.List(new MigrationQuery(Limit: 6));
        Migrations.Save(NewMigration(Service(_sky, "late", NodeId.New()), ClusterId.New(), T0.AddHours(1)));

        var second = Migrations.List(new MigrationQuery(Limit: 6, Before: MigrationQuery.CursorOf(first[^1])));

        Assert.Equal(NewestFirst(saved).Skip(6).Take(6), second.Select(m => m.Id));
    }

    [Fact]
    public void List_CursorPastTheOldest_IsEmpty()
    {
        var saved = SaveBurst();
        var oldest = saved.MinBy(MigrationQuery.CursorOf)!;

        Assert.Empty(Migrations.List(new MigrationQuery(Before: MigrationQuery.CursorOf(oldest))));
    }

    [Fact]
    public void Query_AuditPagedByCursor_ReturnsEveryMatchingEntryOnceWithTiesById()
    {
        var entries = Enumerable.Range(0, 17).Select(i => new AuditEntry
        {
            Id = Guid.NewGuid(),
            At = T0.AddMinutes(i / 3),
            Actor = i % 2 == 0 ? "Alice" : "bob",
            Action = AuditActions.Start,
            Target = $"migration {i}",
        }).ToList();
        foreach (var entry in entries)
            Store.Audit.Append(entry);

        var paged = new List<Guid>();
        HistoryCursor? cursor = null;
        do
        {
            var page = Store.Audit.Query(new AuditQuery(Actor: "alice", Limit: 4, Before: cursor));
            paged.AddRange(page.Select(e => e.Id));
            cursor = page.Count == 4 ? AuditQuery.CursorOf(page[^1]) : null;
        }
        while (cursor is not null);

        Assert.Equal(entries.Where(e => e.Actor == "Alice").OrderByDescending(AuditQuery.CursorOf).Select(e => e.Id), paged);
    }
}
