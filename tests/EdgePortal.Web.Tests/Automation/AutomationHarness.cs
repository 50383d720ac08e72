using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using EdgePortal.Core;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Scheduling;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Storage;
using EdgePortal.Web.Tests.Hosting;

namespace EdgePortal.Web.Tests.Automation;

/// <summary>A clock on real time that a test can move forward (to pass a cool-down) without waiting.</summary>
internal sealed class ShiftableClock : TimeProvider
{
    private TimeSpan _offset;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _offset;

    public void Advance(TimeSpan by) => _offset += by;
}

/// <summary>
/// The automation over the real pieces: LiteDB in a temp file, the simulated runtime (fast, no noise), the engine
/// and the drainer running, the coordinator, the KPI monitor — no web host. Settings override the defaults below.
/// </summary>
internal sealed class AutomationHarness : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ServiceProvider _services;
    private readonly CancellationTokenSource _stop = new();

    public AutomationHarness(IReadOnlyDictionary<string, string?>? settings = null, EdgeInventory? inventory = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["EdgePortal:Storage:Path"] = _folder.File("edge.db"),
            ["EdgePortal:Seed:DemoEdge"] = inventory is null ? "true" : "false",
            ["EdgePortal:Simulator:SpeedFactor"] = "2000",
            ["EdgePortal:Simulator:NoiseCoefficientOfVariation"] = "0",
            ["EdgePortal:Simulator:RandomSeed"] = "7",
            ["EdgePortal:Automation:ConsecutiveViolations"] = "3",
            ["EdgePortal:Automation:ViolationMargin"] = "0.1",
            ["EdgePortal:Automation:CoolDown"] = "00:10:00",
            ["EdgePortal:Automation:LoadLatencyMs"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<TimeProvider>(Clock);
        services.AddEdgePortalCore(configuration);
        services.AddEdgePortalStorage(configuration);
        services.AddSimulatedEdge(configuration);
        services.AddEdgePortalAutomationCore(configuration);
        _services = services.BuildServiceProvider();
        if (inventory is null)
            Get<DemoEdgeSeeder>().Seed();
        else
            Inventory.SaveAll(inventory);
    }

    public ShiftableClock Clock { get; } = new();
    public IInventoryRepository Inventory => Get<IInventoryRepository>();
    public IMigrationRepository Migrations => Get<IMigrationRepository>();
    public KpiAutomation Kpi => Get<KpiAutomation>();
    public NodeDrainer Drainer => Get<NodeDrainer>();
    public UserMobility Mobility => Get<UserMobility>();
    public IAutomationDecisionRepository Decisions => Get<IAutomationDecisionRepository>();
    public IMaintenanceWindowRepository Windows => Get<IMaintenanceWindowRepository>();
    public IMigrationEventStream Events => Get<IMigrationEventStream>();
    public SimulatedEdge Edge => Get<SimulatedEdge>();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public async Task StartAsync()
    {
        await Get<MigrationEngine>().StartAsync(_stop.Token);
        await Get<MigrationEngine>().Recovered;
        await Drainer.StartAsync(_stop.Token);
    }

    public ServiceInstance Service(string name) => Inventory.Services().Single(s => s.Name == name);

    public UserGroup Group(string name) => Inventory.UserGroups().Single(g => g.Name == name);

    public NodeId Node(string name) => Inventory.Nodes().Single(n => n.Name == name).Id;

    /// <summary>Waits (without sleeping a fixed time) until the migration finishes; fails after the timeout.</summary>
    public async Task<Migration> WaitFinishedAsync(MigrationId id, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var events = Events.Subscribe(null, id, TimeSpan.Zero, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = events.MoveNextAsync();
        try
        {
            while (true)
            {
                if (Migrations.Find(id) is { IsTerminal: true } done)
                    return done;
                await next;
                next = events.MoveNextAsync();
            }
        }
        finally
        {
            await cts.CancelAsync();
            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
            }
            await events.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Drainer.StopAsync(CancellationToken.None);
        await Get<MigrationEngine>().StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        _stop.Dispose();
        _folder.Dispose();
    }
}
