using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePortal.Testing;

/// <summary>The coordinator, the engine and the capability catalog as the portal wires them, over in-memory stores, with one runtime.</summary>
public sealed class EnginePortal : IAsyncDisposable
{
    private readonly TestMeterFactory _meters = new();

    public EnginePortal(EdgeInventory inventory, IEdgeRuntime runtime)
        : this(new InMemoryInventoryRepository(inventory), new InMemoryMigrationRepository(), new EventRecorder(), runtime)
    {
    }

    /// <summary>
    /// A new process on the stores of one that stopped (<paramref name="stopped"/>): its runtime remembers nothing, and its
    /// engine finds the migrations left in flight.
    /// </summary>
    public EnginePortal(EnginePortal stopped, IEdgeRuntime runtime)
        : this((stopped ?? throw new ArgumentNullException(nameof(stopped))).Inventory, stopped.Migrations, stopped.Events, runtime)
    {
    }

    private EnginePortal(InMemoryInventoryRepository inventory, InMemoryMigrationRepository migrations, EventRecorder events, IEdgeRuntime runtime)
    {
        Inventory = inventory;
        Migrations = migrations;
        Events = events;
        var options = new FixedOptions<EngineOptions>(new EngineOptions());
        // A new process on the stores of a stopped one finds no lease held, as LiteDB releases a previous life's leases on open.
        Engine = new MigrationEngine(Migrations, new InMemoryMigrationLeaseStore(Migrations), Inventory, [runtime], Events, new MigrationMetrics(_meters), options, TimeProvider.System,
            NullLogger<MigrationEngine>.Instance);
        Capabilities = new RuntimeCapabilityCatalog(Inventory, [runtime], new FixedOptions<CapabilityOptions>(new CapabilityOptions()), TimeProvider.System,
            NullLogger<RuntimeCapabilityCatalog>.Instance);
        Coordinator = new MigrationCoordinator(Inventory, Migrations, Engine, Events, options, TimeProvider.System,
            NullLogger<MigrationCoordinator>.Instance, Capabilities);
    }

    public InMemoryInventoryRepository Inventory { get; }
    public InMemoryMigrationRepository Migrations { get; }
    public EventRecorder Events { get; }
    public MigrationEngine Engine { get; }
    public MigrationCoordinator Coordinator { get; }
    /// <summary>What the coordinator plans with: the runtime's probes, as the portal caches them.</summary>
    public RuntimeCapabilityCatalog Capabilities { get; }

    /// <summary>
    /// Starts the engine and waits for its recovery pass, so that what a test submits next meets an engine that has
    /// finished picking up the previous process's migrations (a second portal on the stores of a first).
    /// </summary>
    public async Task StartAsync()
    {
        await Engine.StartAsync(CancellationToken.None);
        await Engine.Recovered;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        Engine.Dispose();
        _meters.Dispose();
    }
}
