using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Storage.PostgreSql;
using EdgePortal.Testing.Hosts;
using Microsoft.Extensions.Logging.Abstractions;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.Stores;

/// <summary>One throwaway PostgreSQL server for the test run, and a migrated template database each test copies.</summary>
public sealed class PostgreSqlFixture : IAsyncLifetime
{
    public PostgreSqlServer Server { get; private set; } = null!;

    /// <summary>A database at the current schema, copied (not migrated again) by each test.</summary>
    public string Template { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server = await PostgreSqlServer.StartAsync();
        var source = Server.CreateDatabase();
        using (new PostgreSqlDatabase(source, NullLogger<PostgreSqlDatabase>.Instance))
        {
        }
        Template = Server.MakeTemplate(source);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlFixture>
{
    public const string Name = "PostgreSQL";
}

/// <summary>A fresh database (a copy of the migrated template) per test, dropped with the server at the end of the run.</summary>
public sealed class PostgreSqlTestStore : TestStore
{
    private readonly List<PostgreSqlDatabase> _opened = [];
    private StoreRepositories _repositories;

    public PostgreSqlTestStore(PostgreSqlFixture fixture) : this(fixture.Server.CreateDatabase(fixture.Template))
    {
    }

    private PostgreSqlTestStore(string connectionString)
    {
        ConnectionString = connectionString;
        _repositories = Open();
    }

    public override string Provider => "PostgreSql";

    public string ConnectionString { get; }

    public PostgreSqlDatabase Database => _opened[^1];

    protected override StoreRepositories Repositories => _repositories;

    public override TestStore SecondReplica() => new PostgreSqlTestStore(ConnectionString);

    public override void Reopen() => _repositories = Open();

    /// <summary>PostgreSQL's jsonb refuses the NUL character (<c>\u0000</c>) in a string.</summary>
    public override ServiceInstance Unstorable(EdgeInventory inventory)
        => Service(inventory.Tenants[0].Id, "zz-unstorable", inventory.Nodes[0].Id, labels: new Dictionary<string, string> { ["nul"] = "a\0b" });

    public override void Dispose()
    {
        foreach (var database in _opened)
            database.Dispose();
    }

    private StoreRepositories Open()
    {
        var database = new PostgreSqlDatabase(ConnectionString, NullLogger<PostgreSqlDatabase>.Instance);
        _opened.Add(database);
        return new StoreRepositories(
            new PostgreSqlInventoryRepository(database), new PostgreSqlMigrationRepository(database), new PostgreSqlMigrationLeaseStore(database),
            new PostgreSqlHistoryPruner(database), new PostgreSqlCalibrationRepository(database), new PostgreSqlScheduleRepository(database),
            new PostgreSqlMaintenanceWindowRepository(database), new PostgreSqlAutomationDecisionRepository(database), new PostgreSqlDrainRepository(database),
            new PostgreSqlUserRepository(database), new PostgreSqlApiKeyRepository(database), new PostgreSqlAuditLog(database), new PostgreSqlReplicaLock(database));
    }
}
