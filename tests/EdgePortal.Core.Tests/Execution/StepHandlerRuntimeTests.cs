using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Core.Tests.Execution;

public sealed class StepHandlerRuntimeTests
{
    private static readonly EdgeInventory Edge = EngineHarness.BuildEdge();

    [Fact]
    public async Task ExecuteAsync_HandlerSucceeds_ReturnsItsWordsArtifactsAndTheWallClockWhenItMeasuredNothing()
    {
        var clock = new FakeTimeProvider();
        var runtime = new TestRuntime(clock, new Handler(StepKind.Transfer, c =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(250));
            return new StepResult("sent", null, new StepArtifacts { Image = "registry/x:1" });
        }));

        var outcome = await runtime.ExecuteAsync(Context(StepKind.Transfer), CancellationToken.None);

        var success = Assert.IsType<StepOutcome.Success>(outcome);
        Assert.Equal(("sent", 250d, "registry/x:1"), (success.Message, success.DurationMs, success.Artifacts!.Image));
    }

    [Fact]
    public async Task ExecuteAsync_HandlerThrowsStepFailed_IsAFailureWithItsRetryHint()
    {
        var runtime = new TestRuntime(new FakeTimeProvider(), new Handler(StepKind.Transfer, _ => throw new StepFailedException("busy", TimeSpan.FromSeconds(4))));

        var failure = Assert.IsType<StepOutcome.Failure>(await runtime.ExecuteAsync(Context(StepKind.Transfer), CancellationToken.None));

        Assert.Equal(("busy", TimeSpan.FromSeconds(4)), (failure.Reason, failure.RetryAfter));
    }

    [Fact]
    public async Task ExecuteAsync_RuntimeMapsItsClientsException_IsAFailureInItsWords()
    {
        var runtime = new TestRuntime(new FakeTimeProvider(), new Handler(StepKind.Restore, _ => throw new HttpRequestException("connection refused")));

        var failure = Assert.IsType<StepOutcome.Failure>(await runtime.ExecuteAsync(Context(StepKind.Restore), CancellationToken.None));

        Assert.Equal("unreachable: connection refused", failure.Reason);
        Assert.Equal(TimeSpan.FromSeconds(10), failure.RetryAfter);
    }

    [Fact]
    public async Task ExecuteAsync_NoHandlerForTheStrategy_RefusesNamingStrategyAndStep()
    {
        var runtime = new TestRuntime(new FakeTimeProvider(), new Handler(StepKind.Transfer, _ => new StepResult("sent"), only: MigrationStrategy.Cold));

        var failure = Assert.IsType<StepOutcome.Failure>(await runtime.ExecuteAsync(Context(StepKind.Transfer, MigrationStrategy.PreCopy), CancellationToken.None));

        Assert.Equal("PreCopy has no Transfer step on the Simulated runtime", failure.Reason);
    }

    [Fact]
    public void RetryPolicy_StepNotSafeToRepeat_IsNever()
    {
        var runtime = new TestRuntime(new FakeTimeProvider(),
            new Handler(StepKind.Transfer, _ => new StepResult("sent"), repeatable: true),
            new Handler(StepKind.Restore, _ => new StepResult("restored"), repeatable: false));

        Assert.Equal(StepRetryPolicy.For(StepKind.Transfer), runtime.RetryPolicy(MigrationStrategy.Cold, StepKind.Transfer));
        Assert.Equal(StepRetryPolicy.Never, runtime.RetryPolicy(MigrationStrategy.Cold, StepKind.Restore));
        Assert.True(runtime.SafeToRepeat(MigrationStrategy.Cold, StepKind.Transfer));
        Assert.False(runtime.SafeToRepeat(MigrationStrategy.Cold, StepKind.Restore));
        Assert.False(runtime.SafeToRepeat(MigrationStrategy.Cold, StepKind.CleanUp));
    }

    private static StepContext Context(StepKind kind, MigrationStrategy strategy = MigrationStrategy.Cold)
    {
        var service = Edge.Services[0];
        var source = Edge.Nodes.Single(n => n.Id == EngineHarness.A);
        var destination = Edge.Nodes.Single(n => n.Id == EngineHarness.C);
        var plan = new MigrationPlan(strategy, source.Id, destination.Id, Bandwidth.FromGigabits(1), 0, null, 900, 900,
            [new PlannedStep(kind, 0, 100, true)], true, null, "test");
        var step = new MigrationStep(0, kind, 0, true, 100, StepStatus.Running, null, null, null, null);
        return new StepContext(MigrationId.New(), service, Edge.Clusters[0], source, destination, plan, step, Bandwidth.FromGigabits(1));
    }

    private sealed class Handler(StepKind kind, Func<StepContext, StepResult> run, MigrationStrategy? only = null, bool repeatable = false) : StepHandler
    {
        public override StepKind Kind => kind;
        public override bool SafeToRepeat => repeatable;
        public override bool Handles(MigrationStrategy strategy) => only is null || strategy == only;
        public override Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken) => Task.FromResult(run(context));
    }

    private sealed class TestRuntime(TimeProvider time, params StepHandler[] handlers) : StepHandlerRuntime(time, NullLogger.Instance)
    {
        public override ClusterKind Kind => ClusterKind.Simulated;
        protected override IReadOnlyList<StepHandler> Handlers => handlers;
        public override Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken) => Task.FromResult(new RuntimeProbe(true, "test", RuntimeCapabilities.None("test")));
        public override Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken) => Task.FromResult<StepOutcome>(new StepOutcome.Success());
        protected override StepOutcome.Failure? Map(Exception exception, StepContext context) =>
            exception is HttpRequestException e ? new($"unreachable: {e.Message}", TimeSpan.FromSeconds(10)) : null;
    }
}
