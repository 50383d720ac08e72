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
    private Repositories _repositories;

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

    public PostgreSqlDatabase Database => _repositories.Database;

    public override IInventoryRepository Inventory => _repositories.Inventory;
    public override IMigrationRepository Migrations => _repositories.Migrations;
    public override IMigrationLeaseStore Leases => _repositories.Leases;
    public override IHistoryPruner Pruner => _repositories.Pruner;
    public override ICalibrationRepository Calibrations => _repositories.Calibrations;
    public override IScheduleRepository Schedules => _repositories.Schedules;
    public override IMaintenanceWindowRepository Windows => _repositories.Windows;
    public override IAutomationDecisionRepository Decisions => _repositories.Decisions;
    public override IDrainRepository Drains => _repositories.Drains;
    public override IUserRepository Users => _repositories.Users;
    public override IApiKeyRepository ApiKeys => _repositories.ApiKeys;
    public override IAuditLog Audit => _repositories.Audit;
    public override IReplicaLock ReplicaLock => _repositories.ReplicaLock;

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

    private Repositories Open()
    {
        var database = new PostgreSqlDatabase(ConnectionString, NullLogger<PostgreSqlDatabase>.Instance);
        _opened.Add(database);
        return new Repositories(database);
    }

    private sealed class Repositories(PostgreSqlDatabase database)
    {
        public PostgreSqlDatabase Database { get; } = database;
        public IInventoryRepository Inventory { get; } = new PostgreSqlInventoryRepository(database);
        public IMigrationRepository Migrations { get; } = new PostgreSqlMigrationRepository(database);
        public IMigrationLeaseStore Leases { get; } = new PostgreSqlMigrationLeaseStore(database);
        public IHistoryPruner Pruner { get; } = new PostgreSqlHistoryPruner(database);
        public ICalibrationRepository Calibrations { get; } = new PostgreSqlCalibrationRepository(database);
        public IScheduleRepository Schedules { get; } = new PostgreSqlScheduleRepository(database);
        public IMaintenanceWindowRepository Windows { get; } = new PostgreSqlMaintenanceWindowRepository(database);
        public IAutomationDecisionRepository Decisions { get; } = new PostgreSqlAutomationDecisionRepository(database);
        public IDrainRepository Drains { get; } = new PostgreSqlDrainRepository(database);
        public IUserRepository Users { get; } = new PostgreSqlUserRepository(database);
        public IApiKeyRepository ApiKeys { get; } = new PostgreSqlApiKeyRepository(database);
        public IAuditLog Audit { get; } = new PostgreSqlAuditLog(database);
        public IReplicaLock ReplicaLock { get; } = new PostgreSqlReplicaLock(database);
    }
}
