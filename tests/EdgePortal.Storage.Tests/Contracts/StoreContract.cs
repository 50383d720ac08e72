using EdgePortal.Core.Domain;
using EdgePortal.Storage.Tests.Stores;

namespace EdgePortal.Storage.Tests.Contracts;

/// <summary>
/// The base of the shared repository suite: every contract class is abstract and runs once per provider through a
/// concrete class in <c>Providers.cs</c>, so LiteDB and PostgreSQL are held to the same behaviour.
/// </summary>
public abstract class StoreContract(TestStore store) : IDisposable
{
    protected TestStore Store { get; } = store;

    protected IInventoryRepository Inventory => Store.Inventory;

    protected IMigrationRepository Migrations => Store.Migrations;

    protected void Reopen() => Store.Reopen();

    public void Dispose()
    {
        Store.Dispose();
        GC.SuppressFinalize(this);
    }
}
