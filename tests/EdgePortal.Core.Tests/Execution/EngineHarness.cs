using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Core.Tests.Execution;

/// <summary>
/// A small edge (one cluster A–B–C, a second cluster D, two tenants), the real coordinator and engine
/// over in-memory stores and a scripted runtime. Dispose stops the engine.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    public static readonly TenantId TenantA = TenantId.From(Guid.Parse("00000000-0000-0000-0000-00000000000a"));
    public static readonly TenantId TenantB = TenantId.From(Guid.Parse("00000000-0000-0000-0000-00000000000b"));

    private readonly TestMeterFactory _metrics = new();

    public EngineHarness(EngineOptions? options = null, ScriptedRuntime? runtime = null, InMemoryMigrationRepository? migrations = null,
        InMemoryInventoryRepository? inventory = null, FakeTimeProvider? clock = null, InMemoryMigrationLeaseStore? leases = null,
        InMemoryCancelRelay? cancels = null)
    {
        Options = options ?? new EngineOptions();
        Runtime = runtime ?? new ScriptedRuntime();
        Migrations = migrations ?? new InMemoryMigrationRepository();
        Inventory = inventory ?? new InMemoryInventoryRepository(BuildEdge());
        Clock = clock ?? new FakeTimeProvider(DateTimeOffset.Parse("2026-11-28T10:00:00Z"));
        Leases = leases ?? new InMemoryMigrationLeaseStore(Migrations);
        var monitor = new StaticOptionsMonitor(Options);
        Engine = new MigrationEngine(Migrations, Leases, Inventory, [Runtime], Events, new MigrationMetrics(_metrics),
            monitor, Clock, NullLogger<MigrationEngine>.Instance, cancels);
        cancels?.Join(Engine);
        Coordinator = new MigrationCoordinator(Inventory, Migrations, Engine, Events, monitor, Clock, NullLogger<MigrationCoordinator>.Instance);
    }

    public EngineOptions Options { get; }
    public ScriptedRuntime Runtime { get; }
    public InMemoryMigrationRepository Migrations { get; }
    /// <summary>The replicas' leases: share it (with <see cref="Migrations"/>) to run a second engine as another replica.</summary>
    public InMemoryMigrationLeaseStore Leases { get; }
    public InMemoryInventoryRepository Inventory { get; }
    public FakeTimeProvider Clock { get; }
    public EventRecorder Events { get; } = new();
    public MigrationEngine Engine { get; }
    public MigrationCoordinator Coordinator { get; }

    public static NodeId A { get; } = Id<NodeId>(0xA1);
    public static NodeId B { get; } = Id<NodeId>(0xB1);
    public static NodeId C { get; } = Id<NodeId>(0xC1);
    public static ServiceId Cache { get; } = Id<ServiceId>(0x51);
    public static ServiceId Stream { get; } = Id<ServiceId>(0x52);
    public static ServiceId Other { get; } = Id<ServiceId>(0x53);
    public static ServiceId Diverging { get; } = Id<ServiceId>(0x54);

    public async Task<EngineHarness> StartAsync()
    {
        await Engine.StartAsync(CancellationToken.None);
        await Engine.Recovered;
        return this;
    }

    /// <summary>Queues a migration of the service, optionally with a strategy; fails the test if it is not accepted.</summary>
    public Migration Start(ServiceId service, MigrationStrategy? strategy = null, NodeId? destination = null)
    {
        var result = Coordinator.Start(new MigrationRequest
        {
            ServiceId = service,
            Strategy = strategy,
            Destination = destination,
            RequestedBy = "test",
            AcceptTargetMiss = true,
        });
        return Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
    }

    public Task<MigrationFinished> Finished(MigrationId id) => Events.WaitFor<MigrationFinished>(e => e.MigrationId == id);

    public Task<StepStarted> StepStarted(MigrationId id, int index) => Events.WaitFor<StepStarted>(e => e.MigrationId == id && e.Index == index);

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        Engine.Dispose();
        _metrics.Dispose();
    }

    public static EdgeInventory BuildEdge()
    {
        var cluster = new EdgeCluster(Id<ClusterId>(0xC0), "metro", ClusterKind.Simulated, "test");
        var far = new EdgeCluster(Id<ClusterId>(0xC9), "far", ClusterKind.Kubernetes, "test");
        var capacity = new NodeCapacity(16_000, 64_000_000_000);
        EdgeNode Node(NodeId id, string name, EdgeCluster c, double lat) => new(id, c.Id, name, name, capacity, new GeoLocation(lat, 7.6));
        EdgeNode[] nodes = [Node(A, "a", cluster, 45.0), Node(B, "b", cluster, 45.1), Node(C, "c", cluster, 45.2), Node(Id<NodeId>(0xD1), "d", far, 45.3)];
        NetworkLink[] links =
        [
            new(Id<LinkId>(1), A, B, Bandwidth.FromGigabits(1), 1),
            new(Id<LinkId>(2), B, C, Bandwidth.FromGigabits(1), 1),
            new(Id<LinkId>(3), A, C, Bandwidth.FromGigabits(1), 3),
            new(Id<LinkId>(4), C, Id<NodeId>(0xD1), Bandwidth.FromGigabits(10), 2),
        ];
        Tenant[] tenants = [new(TenantA, "tenant a", [cluster.Id]), new(TenantB, "tenant b", [cluster.Id])];
        var targets = new KpiTargets(2_000, 5_000, 5);
        ServiceInstance[] services =
        [
            new(Cache, TenantA, "cache", A, new WorkloadProfile(10_000_000, 100), targets, Objective.MinDowntime),
            new(Stream, TenantA, "stream", A, new WorkloadProfile(20_000_000, 500, messageArrivalRate: 100, messageProcessingRate: 400), targets, Objective.MinDowntime),
            new(Other, TenantB, "other", B, new WorkloadProfile(5_000_000, 50), targets, Objective.MinResources),
            new(Diverging, TenantA, "diverging", B, new WorkloadProfile(20_000_000, 500, messageArrivalRate: 400, messageProcessingRate: 300), new KpiTargets(2_000, 20_000, 5), Objective.MinDowntime),
        ];
        // Users sit at C, so every service wants to move there (or nearer).
        UserGroup[] users = [.. services.Select((s, i) => new UserGroup(Id<UserGroupId>(0x100 + i), s.Id, "users", C, 10))];
        return new EdgeInventory(tenants, [cluster, far], nodes, links, services, users);
    }

    private static T Id<T>(int n) where T : struct, IEntityId<T> => T.From(new Guid(n, 0, 0, new byte[8]));

    private sealed class StaticOptionsMonitor(EngineOptions value) : IOptionsMonitor<EngineOptions>
    {
        public EngineOptions CurrentValue => value;
        public EngineOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<EngineOptions, string?> listener) => null;
    }
}
