using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Storage.Tests.Stores;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Contracts;

public abstract class SecurityRepositoryContract(TestStore store) : StoreContract(store)
{
    private static PortalUser User(string name, Guid? tenant = null)
        => new() { Id = Guid.NewGuid(), UserName = name, PasswordHash = "hash", Role = "Viewer", TenantId = tenant, CreatedAt = T0 };

    [Fact]
    public void Users_FindByName_IgnoresCaseAndTheTenantFilterHolds()
    {
        var tenant = Guid.NewGuid();
        var alice = User("Alice", tenant);
        Store.Users.Save(alice);
        Store.Users.Save(User("bob"));

        Assert.Equal(alice.Id, Store.Users.FindByName("aLICE")!.Id);
        Assert.Null(Store.Users.FindByName("carol"));
        Assert.Equal([alice.Id], Store.Users.List(tenant).Select(u => u.Id));
        Assert.Equal(["Alice", "bob"], Store.Users.List().Select(u => u.UserName));
        Assert.Equal(2, Store.Users.Count());
    }

    [Fact]
    public void Users_SaveAgain_ReplacesAndDeleteRemoves()
    {
        var alice = User("alice");
        Store.Users.Save(alice);

        Store.Users.Save(alice with { Disabled = true, SecurityStamp = "stamp-2", ExternalIssuer = "https://idp.example" });

        var saved = Store.Users.Find(alice.Id)!;
        Assert.Equal((true, "stamp-2", "https://idp.example"), (saved.Disabled, saved.SecurityStamp, saved.ExternalIssuer));
        Assert.True(Store.Users.Delete(alice.Id));
        Assert.False(Store.Users.Delete(alice.Id));
        Assert.Equal(0, Store.Users.Count());
    }

    [Fact]
    public void Users_SecondUserWithTheSameNameInAnotherCase_IsRefused()
    {
        Store.Users.Save(User("alice"));

        Assert.ThrowsAny<Exception>(() => Store.Users.Save(User("ALICE")));
        Assert.Equal(1, Store.Users.Count());
    }

    [Fact]
    public void ApiKeys_FindByHashAndTenantFilter_NewestFirst()
    {
        var tenant = Guid.NewGuid();
        ApiKey Key(string name, int minute, Guid? t) => new() { Id = Guid.NewGuid(), Name = name, Hash = $"hash-{name}", Prefix = "ep_", Role = "Viewer", TenantId = t, CreatedAt = T0.AddMinutes(minute) };
        var older = Key("older", 0, tenant);
        var newer = Key("newer", 5, tenant);
        Store.ApiKeys.Save(older);
        Store.ApiKeys.Save(newer);
        Store.ApiKeys.Save(Key("provider", 9, null));

        Assert.Equal(newer.Id, Store.ApiKeys.FindByHash("hash-newer")!.Id);
        Assert.Null(Store.ApiKeys.FindByHash("hash-none"));
        Assert.Equal([newer.Id, older.Id], Store.ApiKeys.List(tenant).Select(k => k.Id));
        Store.ApiKeys.Save(older with { RevokedAt = T0.AddDays(1) });
        Assert.Equal(T0.AddDays(1), Store.ApiKeys.Find(older.Id)!.RevokedAt);
    }

    [Fact]
    public void Audit_Filters_AreAndedAndNewestFirst()
    {
        var sky = TenantId.New();
        var entries = new[]
        {
            new AuditEntry { Id = Guid.NewGuid(), At = T0, Actor = "skyfleet-operator", Action = AuditActions.Start, TenantId = sky.Value, Target = "m1" },
            new AuditEntry { Id = Guid.NewGuid(), At = T0.AddMinutes(1), Actor = "admin", Action = AuditActions.Start, Target = "m2" },
            new AuditEntry { Id = Guid.NewGuid(), At = T0.AddMinutes(2), Actor = "skyfleet-admin", Action = AuditActions.Cancel, TenantId = sky.Value, Succeeded = false },
            new AuditEntry { Id = Guid.NewGuid(), At = T0.AddMinutes(3), Actor = "skyfleet-operator", Action = AuditActions.Start, TenantId = sky.Value, Detail = "d" },
        };
        foreach (var entry in entries)
            Store.Audit.Append(entry);

        Assert.Equal([entries[3].Id, entries[0].Id], Store.Audit.Query(new AuditQuery(Tenant: sky, Action: AuditActions.Start)).Select(e => e.Id));
        Assert.Equal([entries[2].Id, entries[1].Id], Store.Audit.Query(new AuditQuery(From: T0.AddMinutes(1), To: T0.AddMinutes(2))).Select(e => e.Id));
        Assert.Equal([entries[3].Id, entries[2].Id, entries[0].Id], Store.Audit.Query(new AuditQuery(Actor: "SKYFLEET")).Select(e => e.Id));
        Assert.Equal([entries[3].Id], Store.Audit.Query(new AuditQuery(Limit: 1)).Select(e => e.Id));
        var failed = Store.Audit.Query(new AuditQuery(Action: AuditActions.Cancel)).Single();
        Assert.Equal((entries[2].Actor, false, entries[2].TenantId), (failed.Actor, failed.Succeeded, failed.TenantId));
    }

    [Fact]
    public void Audit_AppendTheSameIdTwice_IsRefusedAndTheFirstKept()
    {
        var entry = new AuditEntry { Id = Guid.NewGuid(), At = T0, Actor = "admin", Action = AuditActions.UserCreate, Target = "first" };
        Store.Audit.Append(entry);

        Assert.ThrowsAny<Exception>(() => Store.Audit.Append(entry with { Target = "second" }));
        Assert.Equal("first", Assert.Single(Store.Audit.Query(new AuditQuery())).Target);
    }

    [Fact]
    public void ReplicaLock_HeldByOne_TheNextWaitsUntilItIsReleased()
    {
        var other = Store.SecondReplica() ?? Store;
        var held = Store.ReplicaLock.Acquire("seed", TimeSpan.FromSeconds(5));

        Assert.Throws<TimeoutException>(() => other.ReplicaLock.Acquire("seed", TimeSpan.FromMilliseconds(50)));
        using (other.ReplicaLock.Acquire("another", TimeSpan.FromSeconds(5)))
        {
        }
        held.Dispose();
        using var next = other.ReplicaLock.Acquire("seed", TimeSpan.FromSeconds(5));
        if (!ReferenceEquals(other, Store))
            other.Dispose();
    }
}
