using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Storage.PostgreSql;
using EdgePortal.Storage.Tests.Stores;
using EdgePortal.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.PostgreSql;

/// <summary>What only a store shared by replicas has: schema migrations at start, caches that see other replicas' writes.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlDatabaseTests(PostgreSqlFixture fixture)
{
    private static long Scalar(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Open_ManyReplicasAtOnceOnAnEmptyDatabase_MigrateItExactlyOnce()
    {
        var connectionString = fixture.Server.CreateDatabase();
        var errors = new ConcurrentBag<Exception>();
        using var start = new Barrier(5);

        Parallel.For(0, 5, new ParallelOptions { MaxDegreeOfParallelism = 5 }, _ =>
        {
            start.SignalAndWait();
            try
            {
                using var database = new PostgreSqlDatabase(connectionString, NullLogger<PostgreSqlDatabase>.Instance);
                Assert.Equal(PostgreSqlSchema.CurrentVersion, database.SchemaVersion());
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        });

        Assert.Empty(errors);
        Assert.Equal(PostgreSqlSchema.CurrentVersion, Scalar(connectionString, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public void Open_CreatesQuartzJobStoreTables()
    {
        using var store = new PostgreSqlTestStore(fixture);

        foreach (var table in new[] { "qrtz_job_details", "qrtz_triggers", "qrtz_cron_triggers", "qrtz_simple_triggers", "qrtz_fired_triggers", "qrtz_locks", "qrtz_scheduler_state" })
            Assert.Equal(1, Scalar(store.ConnectionString, $"SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"));
    }

    [Fact]
    public void Open_DatabaseFromANewerEdgePortal_IsRefusedNamingTheVersionAndTheSetting()
    {
        using var store = new PostgreSqlTestStore(fixture);
        using (var connection = new NpgsqlConnection(store.ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand("INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')", connection);
            command.ExecuteNonQuery();
        }

        var e = Assert.Throws<InvalidOperationException>(() => new PostgreSqlDatabase(store.ConnectionString, NullLogger<PostgreSqlDatabase>.Instance));

        Assert.Contains("schema version 99", e.Message);
        Assert.Contains($"({PostgreSqlSchema.CurrentVersion})", e.Message);
        Assert.Contains("EdgePortal:Storage:ConnectionString", e.Message);
        Assert.DoesNotContain("Password", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Topology_AnotherReplicaWrites_TheCachedTopologyIsDropped()
    {
        using var store = new PostgreSqlTestStore(fixture);
        using var other = store.SecondReplica();
        var inventory = SampleInventory();
        store.Inventory.SaveAll(inventory);
        var cached = store.Inventory.Topology();
        Assert.Same(cached, store.Inventory.Topology());
        var service = inventory.Services[0];
        var destination = inventory.Nodes.First(n => n.Id != service.NodeId).Id;

        other.Inventory.Save(service.MovedTo(destination));

        var topology = store.Inventory.Topology();
        Assert.NotSame(cached, topology);
        Assert.Equal(destination, topology.Services.Single(s => s.Id == service.Id).NodeId);
    }

    [Fact]
    public void Latest_AnotherReplicaSavesACalibration_IsSeenAtOnce()
    {
        using var store = new PostgreSqlTestStore(fixture);
        using var other = store.SecondReplica();
        var at = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);
        store.Calibrations.Save(LabCalibrations.Fit("lab", at, "lab/h1", 80));
        Assert.Equal("lab/h1", store.Calibrations.Latest("LAB")!.Host);

        other.Calibrations.Save(LabCalibrations.Fit("lab", at.AddHours(1), "lab/h2", 120));

        Assert.Equal("lab/h2", store.Calibrations.Latest("lab")!.Host);
    }

    [Fact]
    public async Task HealthCheck_AtTheCurrentSchema_IsHealthyAndNamesTheServerNotThePassword()
    {
        using var store = new PostgreSqlTestStore(fixture);

        var result = await new PostgreSqlHealthCheck(store.Database).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains($"127.0.0.1:{fixture.Server.Port}", result.Description);
        Assert.Contains($"schema {PostgreSqlSchema.CurrentVersion}", result.Description);
    }

    [Fact]
    public async Task HealthCheck_ServerUnreachable_IsUnhealthy()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(fixture.Server.ConnectionString("postgres")) { Port = Testing.Hosts.FreePort.Next(), Timeout = 2 };
        using var down = new PostgreSqlDatabaseProbe(unreachable.ConnectionString);

        var result = await down.CheckAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("does not answer", result.Description);
    }

    [Fact]
    public void AddEdgePortalStorage_ProviderPostgreSql_ResolvesEveryPortOverTheDatabase()
    {
        using var store = new PostgreSqlTestStore(fixture);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EdgePortal:Storage:Provider"] = "PostgreSql",
            ["EdgePortal:Storage:ConnectionString"] = store.ConnectionString,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddEdgePortalStorage(configuration);
        using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var inventory = provider.GetRequiredService<IInventoryRepository>();
        inventory.SaveAll(SampleInventory());

        Assert.Equal(3, store.Inventory.Services().Count);
        Assert.IsType<PostgreSqlMigrationLeaseStore>(provider.GetRequiredService<IMigrationLeaseStore>());
        Assert.IsType<PostgreSqlReplicaLock>(provider.GetRequiredService<IReplicaLock>());
        Assert.Contains(provider.GetServices<IHostedService>(), s => s.GetType().Name == "PostgreSqlSchemaStartup");
    }

    [Fact]
    public void AddEdgePortalStorage_PostgreSqlWithoutConnectionString_FailsNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["EdgePortal:Storage:Provider"] = "PostgreSql" }).Build();
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddEdgePortalStorage(configuration);
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains("EdgePortal:Storage:ConnectionString", e.Message);
    }

    /// <summary>The health check over a database that was never opened (its server is gone), without migrating it.</summary>
    private sealed class PostgreSqlDatabaseProbe(string connectionString) : IDisposable
    {
        private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

        public Task<HealthCheckResult> CheckAsync() => PostgreSqlHealthCheck.ProbeAsync(_source, "unreachable", CancellationToken.None);

        public void Dispose() => _source.Dispose();
    }
}
