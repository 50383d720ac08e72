using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Core.Tests.Execution;

/// <summary>Probe → cache → refresh: what the planner reads of the runtimes, with its age, on a fake clock.</summary>
public sealed class RuntimeCapabilityCatalogTests
{
    private static readonly EdgeCluster Metro = new(ClusterId.From(Guid.Parse("00000000-0000-0000-0000-0000000000c0")), "metro", ClusterKind.Simulated, "test");
    private static readonly EdgeCluster Far = new(ClusterId.From(Guid.Parse("00000000-0000-0000-0000-0000000000c9")), "far", ClusterKind.Kubernetes, "test");
    private static readonly EdgeNode A = Node(0xA1, "a", Metro);
    private static readonly EdgeNode D = Node(0xD1, "d", Far);

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ScriptedRuntime _runtime = new();
    private readonly CapabilityOptions _options = new();
    private readonly RuntimeCapabilityCatalog _catalog;

    public RuntimeCapabilityCatalogTests()
    {
        var inventory = new InMemoryInventoryRepository(new EdgeInventory([], [Metro, Far], [A, D], [], [], []));
        _catalog = new RuntimeCapabilityCatalog(inventory, [_runtime], new FixedOptions<CapabilityOptions>(_options), _clock,
            NullLogger<RuntimeCapabilityCatalog>.Instance);
    }

    [Fact]
    public async Task RefreshAsync_Probed_CachedWithTheTimeOfTheProbeAndAgesWithTheClock()
    {
        var probed = await _catalog.RefreshAsync(Metro);

        Assert.Equal(_clock.GetUtcNow(), probed.ProbedAt);
        Assert.True(probed.Reachable);
        Assert.Equal("scripted", probed.Summary);
        Assert.Same(_runtime.Capabilities, probed.Capabilities);
        Assert.Same(probed, Assert.Single(_catalog.Snapshot()));
        _clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(TimeSpan.FromSeconds(90), _catalog.AgeOf(probed));
        Assert.False(_catalog.IsStale(probed));
        Assert.Equal(1, _runtime.Probes);
    }

    [Fact]
    public void For_NeverProbed_ProbesOnceAndNamesTheClusterAndNode()
    {
        var first = _catalog.For(Metro, A);
        var second = _catalog.For(Metro, A);

        Assert.Equal("Simulated cluster metro", first.Cluster);
        Assert.Equal("node a", first.Node);
        Assert.Same(_runtime.Capabilities, first.ClusterLevel);
        Assert.Null(first.NodeLevel);
        Assert.Equal(first, second);
        Assert.Equal(1, _runtime.Probes);
    }

    [Fact]
    public async Task For_OlderThanMaxAge_AnswersTheCachedAndRefreshesInTheBackground()
    {
        await _catalog.RefreshAsync(Metro);
        var before = _runtime.Capabilities;
        _runtime.Capabilities = new RuntimeCapabilities { Strategies = [MigrationStrategy.Cold] };
        var refreshed = new TaskCompletionSource<ClusterCapabilities>(TaskCreationOptions.RunContinuationsAsynchronously);
        _catalog.Changed += c => refreshed.TrySetResult(c);
        _clock.Advance(_options.MaxAge + TimeSpan.FromSeconds(1));

        var stale = _catalog.For(Metro, A);

        Assert.Same(before, stale.ClusterLevel);
        var fresh = await refreshed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([MigrationStrategy.Cold], fresh.Capabilities.Strategies);
        Assert.Equal(_clock.GetUtcNow(), fresh.ProbedAt);
        Assert.Same(fresh, _catalog.Find(Metro.Id));
        Assert.Equal(2, _runtime.Probes);
    }

    [Fact]
    public void For_ClusterOfAKindNoRuntimeDrives_NothingCanRunThere()
    {
        var capabilities = _catalog.For(Far, D);

        Assert.Equal("Kubernetes cluster far", capabilities.Cluster);
        Assert.Empty(capabilities.ClusterLevel.Strategies);
        Assert.Equal("no runtime drives Kubernetes clusters in this EdgePortal", capabilities.ClusterLevel.Detail);
        Assert.False(_catalog.Find(Far.Id)!.Reachable);
    }

    [Fact]
    public async Task Refresher_AtStartAndEveryInterval_ProbesEveryCluster()
    {
        var rounds = new[]
        {
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var seen = 0;
        _catalog.Changed += c =>
        {
            if (c.Cluster == Metro.Name)
                rounds[Math.Min(Interlocked.Increment(ref seen), 2) - 1].TrySetResult();
        };
        using var refresher = new RuntimeCapabilityRefresher(_catalog, new FixedOptions<CapabilityOptions>(_options), _clock,
            NullLogger<RuntimeCapabilityRefresher>.Instance);

        await refresher.StartAsync(CancellationToken.None);
        await rounds[0].Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(_catalog.Find(Far.Id));
        Assert.False(rounds[1].Task.IsCompleted);
        _clock.Advance(_options.RefreshInterval);
        await rounds[1].Task.WaitAsync(TimeSpan.FromSeconds(10));
        await refresher.StopAsync(CancellationToken.None);

        Assert.Equal(2, _runtime.Probes);
        Assert.Equal(_clock.GetUtcNow(), _catalog.Find(Metro.Id)!.ProbedAt);
    }

    [Fact]
    public void Validate_NegativeIntervalAndZeroAge_EachFailureNamesItsKey()
    {
        var result = new CapabilityOptionsValidator().Validate(null, new CapabilityOptions { RefreshInterval = TimeSpan.FromSeconds(-1), MaxAge = TimeSpan.Zero });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("EdgePortal:Capabilities:RefreshInterval", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("EdgePortal:Capabilities:MaxAge", StringComparison.Ordinal));
        Assert.True(new CapabilityOptionsValidator().Validate(null, new CapabilityOptions()).Succeeded);
    }

    private static EdgeNode Node(int n, string name, EdgeCluster cluster) =>
        new(NodeId.From(new Guid(n, 0, 0, new byte[8])), cluster.Id, name, name, new NodeCapacity(4_000, 8_000_000_000), new GeoLocation(45, 7.6));
}
