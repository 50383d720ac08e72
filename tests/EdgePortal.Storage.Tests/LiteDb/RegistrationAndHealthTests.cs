using EdgePortal.Core.Domain;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static EdgePortal.Storage.Tests.StorageSamples;

namespace EdgePortal.Storage.Tests.LiteDb;

public sealed class RegistrationAndHealthTests : StorageTestBase
{
    private static ServiceProvider Provider(IDictionary<string, string?> settings, IHostEnvironment? environment = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        if (environment is not null)
            services.AddSingleton(environment);
        services.AddEdgePortalStorage(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }

    private sealed class FakeHostEnvironment(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Test";
        public string ApplicationName { get; set; } = "EdgePortal.Storage.Tests";
        public string ContentRootPath { get; set; } = contentRoot;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private static Task<HealthCheckResult> Check(EdgeDatabase database)
        => new DatabaseHealthCheck(database).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public void AddEdgePortalStorage_WithConfiguredPath_ResolvesRepositoriesOverThatFile()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = FilePath });

        var inventory = provider.GetRequiredService<IInventoryRepository>();
        var migrations = provider.GetRequiredService<IMigrationRepository>();
        var database = provider.GetRequiredService<EdgeDatabase>();

        Assert.IsType<LiteDbInventoryRepository>(inventory);
        Assert.IsType<LiteDbMigrationRepository>(migrations);
        Assert.Equal(FilePath, database.Path);
        Assert.True(File.Exists(FilePath));
        Assert.True(database.Ping());
    }

    [Fact]
    public void AddEdgePortalStorage_Resolutions_AreSingletons()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = FilePath });

        Assert.Same(provider.GetRequiredService<IInventoryRepository>(), provider.GetRequiredService<IInventoryRepository>());
        Assert.Same(provider.GetRequiredService<IMigrationRepository>(), provider.GetRequiredService<IMigrationRepository>());
        Assert.Same(provider.GetRequiredService<EdgeDatabase>(), provider.GetRequiredService<EdgeDatabase>());
    }

    [Fact]
    public void AddEdgePortalStorage_WritesThroughTheContainer_SurviveDisposingIt()
    {
        var inventory = SampleInventory();
        var migration = DriveTo(NewMigration(inventory.Services[0], inventory.Clusters[0].Id, T0), MigrationState.Running);
        using (var provider = Provider(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = FilePath }))
        {
            provider.GetRequiredService<IInventoryRepository>().SaveAll(inventory);
            provider.GetRequiredService<IMigrationRepository>().Save(migration);
        }

        // Disposing the container closed the file: it opens again here, with everything in it.
        InventoryAssert.Same(inventory, Inventory);
        Assert.Equal(MigrationState.Running, Migrations.Find(migration.Id)!.State);
    }

    [Fact]
    public void AddEdgePortalStorage_RelativePath_IsResolvedAgainstTheContentRoot()
    {
        using var provider = Provider(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = Path.Combine("data", "portal.db") },
            new FakeHostEnvironment(Folder));

        var database = provider.GetRequiredService<EdgeDatabase>();

        Assert.Equal(Path.Combine(Folder, "data", "portal.db"), database.Path);
        Assert.True(File.Exists(database.Path));
    }

    [Fact]
    public void AddEdgePortalStorage_NoPathConfigured_UsesDataEdgeportalDbUnderTheContentRoot()
    {
        using var provider = Provider(new Dictionary<string, string?>(), new FakeHostEnvironment(Folder));

        Assert.Equal(Path.Combine(Folder, "data", "edgeportal.db"), provider.GetRequiredService<EdgeDatabase>().Path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AddEdgePortalStorage_BlankPath_FailsNamingTheKey(string path)
    {
        using var provider = Provider(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = path }, new FakeHostEnvironment(Folder));

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Contains("EdgePortal:Storage:Path", e.Message);
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IInventoryRepository>());
    }

    [Fact]
    public async Task DatabaseHealthCheck_OpenDatabase_IsHealthy()
    {
        var result = await Check(Database);

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains(FilePath, result.Description);
        Assert.Contains($"schema {EdgeDatabase.CurrentVersion}", result.Description);
    }

    [Fact]
    public async Task DatabaseHealthCheck_UnexpectedSchemaVersion_IsUnhealthy()
    {
        Database.Database.UserVersion = 1;

        var result = await Check(Database);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("unexpected schema version", result.Description);
    }

    [Fact]
    public async Task DatabaseHealthCheck_DisposedDatabase_IsUnhealthy()
    {
        var database = Open(Path.Combine(Folder, "closed.db"));
        database.Dispose();

        var result = await Check(database);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("closed.db", result.Description);
    }
}
