using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using static EdgePortal.Runtime.Simulated.Tests.Runtime.TestEdge;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

public sealed class SimulatedEdgeRuntimeExecuteTests
{
    [Fact]
    public void Kind_Always_IsSimulated()
    {
        var (runtime, _, _) = Simulator();

        Assert.Equal(ClusterKind.Simulated, runtime.Kind);
    }

    [Fact]
    public async Task ExecuteAsync_FixedSeedWithNoise_DurationsFollowPlanWithinNoiseBounds()
    {
        const double cv = 0.08;
        const int n = 200;
        var (runtime, _, time) = Simulator(Options(noise: cv, seed: 7));
        var plan = Plan(MigrationStrategy.Cold, null, null, null, null, new PlannedStep(StepKind.Checkpoint, 0, 1_000, true));

        var durations = new List<double>();
        for (var i = 0; i < n; i++)
            durations.Add((await runtime.RunAsync(time, Context(plan, 0))).Duration());

        // Lognormal factor with mean 1 and CV 0.08: σ = √ln(1 + CV²) ≈ 0.0799; five σ either side bounds every draw.
        var sigma = Math.Sqrt(Math.Log(1 + cv * cv));
        Assert.All(durations, d => Assert.InRange(d, 1_000 * Math.Exp(-5 * sigma), 1_000 * Math.Exp(5 * sigma)));
        var mean = durations.Average();
        var sd = Math.Sqrt(durations.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        Assert.InRange(mean, 1_000 - 4 * 1_000 * cv / Math.Sqrt(n), 1_000 + 4 * 1_000 * cv / Math.Sqrt(n));
        Assert.InRange(sd, 1_000 * cv * 0.75, 1_000 * cv * 1.25);
    }

    [Fact]
    public async Task ExecuteAsync_SameSeed_RepeatsTheSameDurations()
    {
        var plan = Cold();

        async Task<double[]> RunWith(int seed)
        {
            var (runtime, _, time) = Simulator(Options(noise: 0.08, seed: seed));
            var durations = new double[5];
            for (var i = 0; i < durations.Length; i++)
                durations[i] = (await runtime.RunAsync(time, Context(plan, StepKind.Restore))).Duration();
            return durations;
        }

        var first = await RunWith(42);
        var again = await RunWith(42);
        var other = await RunWith(43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.True(first.Distinct().Count() > 1, "the noise should vary from step to step");
    }

    [Fact]
    public async Task ExecuteAsync_NoNoise_ReportsPredictionInRuntimeWords()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();

        var outcome = await runtime.RunAsync(time, Context(plan, StepKind.Checkpoint, service));

        var success = Assert.IsType<StepOutcome.Success>(outcome);
        Assert.Equal(238, success.DurationMs);
        Assert.Equal("dumped 10.0 MB in 238 ms; flight-control frozen on centro-castello", success.Message);
        Assert.Equal(ReplicaRole.Frozen, edge.Service(service.Id)!.RoleOn(Castello.Id));
    }

    [Fact]
    public async Task ExecuteAsync_WholeColdPlan_ServiceEndsServingOnDestination()
    {
        var (runtime, edge, time) = Simulator();
        var service = Service();
        var plan = Cold();
        var migration = MigrationId.New();

        var outcomes = new List<StepOutcome>();
        for (var i = 0; i < plan.Steps.Count; i++)
            outcomes.Add(await runtime.RunAsync(time, Context(plan, i, service, migration)));

        Assert.All(outcomes, o => Assert.IsType<StepOutcome.Success>(o));
        Assert.Equal("restored on centro-vanchiglia in 426 ms", ((StepOutcome.Success)outcomes[plan.IndexOf(StepKind.Restore)]).Message);
        var state = edge.Service(service.Id)!;
        Assert.Equal(Vanchiglia.Id, state.ServingOn);
        Assert.Equal([new SimulatedReplica(Vanchiglia.Id, ReplicaRole.Serving)], state.Replicas);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(4.0)]
    [InlineData(0.5)]
    public async Task ExecuteAsync_SpeedFactor_ScalesRealWaiting(double speed)
    {
        var time = new RecordingTimeProvider();
        var runtime = new SimulatedEdgeRuntime(new SimulatedEdge(), Microsoft.Extensions.Options.Options.Create(Options(speed: speed)),
            time, Microsoft.Extensions.Logging.Abstractions.NullLogger<SimulatedEdgeRuntime>.Instance);
        var plan = Plan(MigrationStrategy.Cold, null, null, null, null, new PlannedStep(StepKind.Restore, 0, 1_000, true));
        var realMs = 1_000 / speed;

        var task = runtime.ExecuteAsync(Context(plan, 0), CancellationToken.None);
        Assert.Equal([TimeSpan.FromMilliseconds(realMs)], time.DueTimes);
        time.Advance(TimeSpan.FromMilliseconds(realMs - 1));
        Assert.False(task.IsCompleted, $"at speed ×{speed} the step must still run {realMs - 1} ms in");
        time.Advance(TimeSpan.FromMilliseconds(1));
        var outcome = await task.WaitAsync(TimeSpan.FromSeconds(10));

        // The simulated duration is what the step reports, whatever the speed.
        Assert.Equal(1_000, outcome.Duration());
    }

    /// <summary>A fake clock that also records what each timer was asked to wait.</summary>
    private sealed class RecordingTimeProvider : Microsoft.Extensions.Time.Testing.FakeTimeProvider
    {
        public List<TimeSpan> DueTimes { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            DueTimes.Add(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public async Task ExecuteAsync_ConcurrentTransfersOnOnePath_ShareItAndBothTakeLongerThanOneAlone()
    {
        // Both start together and each gets half of the path until both end: max-min fair, not first come first served.
        // Of the step's 100 ms, the 10 MB on the wire take 80 at 1 Gbit/s and are shared (160 ms); the other 20 are not.
        var (runtime, edge, time) = Simulator();
        var plan = Cold(reserved: Gigabit);

        var first = runtime.ExecuteAsync(Context(plan, StepKind.Transfer, Service("a")), CancellationToken.None);
        var second = runtime.ExecuteAsync(Context(plan, StepKind.Transfer, Service("b")), CancellationToken.None);
        Assert.Equal(2, edge.ActiveTransfers(Castello.Id, Vanchiglia.Id));
        time.Advance(TimeSpan.FromDays(1));
        var one = await first.WaitAsync(TimeSpan.FromSeconds(10));
        var other = await second.WaitAsync(TimeSpan.FromSeconds(10));
        var alone = (await runtime.RunAsync(time, Context(plan, StepKind.Transfer, Service("c")))).Duration();

        Assert.Equal(100, alone);
        Assert.Equal(180, one.Duration(), 6);
        Assert.Equal(180, other.Duration(), 6);
        Assert.Contains("path shared by 2 transfers", ((StepOutcome.Success)other).Message);
        Assert.Equal(0, edge.ActiveTransfers(Castello.Id, Vanchiglia.Id));
    }

    [Fact]
    public async Task ExecuteAsync_ConcurrentTransfersWithinPathBandwidth_DoNotSlowDown()
    {
        var (runtime, _, time) = Simulator();
        var plan = Cold(reserved: Bandwidth.FromMegabits(400));

        var first = runtime.ExecuteAsync(Context(plan, StepKind.Transfer, Service("a")), CancellationToken.None);
        var second = runtime.ExecuteAsync(Context(plan, StepKind.Transfer, Service("b")), CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(100, (await first.WaitAsync(TimeSpan.FromSeconds(10))).Duration());
        Assert.Equal(100, (await second.WaitAsync(TimeSpan.FromSeconds(10))).Duration());
    }

    [Fact]
    public async Task ExecuteAsync_TransfersOnOtherPaths_DoNotShare()
    {
        var (runtime, _, time) = Simulator();

        var first = runtime.ExecuteAsync(Context(Cold(Castello, Vanchiglia), StepKind.Transfer, Service("a")), CancellationToken.None);
        var second = runtime.ExecuteAsync(Context(Cold(Castello, Crocetta), StepKind.Transfer, Service("b")), CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(100, (await first.WaitAsync(TimeSpan.FromSeconds(10))).Duration());
        Assert.Equal(100, (await second.WaitAsync(TimeSpan.FromSeconds(10))).Duration());
    }

    [Fact]
    public async Task ExecuteAsync_DestinationDown_FailsAtOnceNamingTheNode()
    {
        var (runtime, edge, time) = Simulator();
        var plan = Cold(Castello, Nichelino);
        edge.SetNodeDown(Nichelino.Id, true);

        var task = runtime.ExecuteAsync(Context(plan, StepKind.Restore), CancellationToken.None);

        Assert.True(task.IsCompleted, "a refused connection needs no waiting");
        var failure = Assert.IsType<StepOutcome.Failure>(await task);
        Assert.Equal("node sud-nichelino is unreachable (connection refused)", failure.Reason);

        edge.SetNodeDown(Nichelino.Id, false);
        Assert.IsType<StepOutcome.Success>(await runtime.RunAsync(time, Context(plan, StepKind.Restore)));
    }

    [Theory]
    [InlineData(StepKind.Checkpoint)]
    [InlineData(StepKind.Transfer)]
    [InlineData(StepKind.CleanUp)]
    public async Task ExecuteAsync_SourceDown_StepsTouchingSourceFail(StepKind kind)
    {
        var (runtime, edge, time) = Simulator();
        edge.SetNodeDown(Castello.Id, true);

        var outcome = await runtime.RunAsync(time, Context(Cold(), kind));

        Assert.Contains("node centro-castello is unreachable", Assert.IsType<StepOutcome.Failure>(outcome).Reason);
    }

    [Fact]
    public async Task ExecuteAsync_SourceDown_RestoreOnDestinationStillRuns()
    {
        var (runtime, edge, time) = Simulator();
        edge.SetNodeDown(Castello.Id, true);

        Assert.IsType<StepOutcome.Success>(await runtime.RunAsync(time, Context(Cold(), StepKind.Restore)));
    }

    [Fact]
    public async Task ExecuteAsync_FailureProbabilityOne_Fails()
    {
        var (runtime, _, time) = Simulator(Options(failure: 1));

        var outcome = await runtime.RunAsync(time, Context(Cold(), StepKind.Checkpoint));

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.StartsWith("criu dump of flight-control on centro-castello failed after", failure.Reason);
        Assert.EndsWith("(injected fault)", failure.Reason);
    }

    [Fact]
    public async Task ExecuteAsync_StepFailureProbabilityForTransfer_FailsOnlyTransfers()
    {
        var options = Options();
        options.StepFailureProbabilities["Transfer"] = 1;
        var (runtime, edge, time) = Simulator(options);
        var plan = Cold();

        var checkpoint = await runtime.RunAsync(time, Context(plan, StepKind.Checkpoint));
        var transfer = await runtime.RunAsync(time, Context(plan, StepKind.Transfer));

        Assert.IsType<StepOutcome.Success>(checkpoint);
        Assert.Contains("connection reset by peer", Assert.IsType<StepOutcome.Failure>(transfer).Reason);
        Assert.Equal(0, edge.ActiveTransfers(Castello.Id, Vanchiglia.Id));
    }

    [Fact]
    public async Task ExecuteAsync_CancelledWhileRunning_ThrowsOperationCanceledPromptly()
    {
        var (runtime, edge, _) = Simulator();
        var plan = Plan(MigrationStrategy.Cold, null, null, null, null, new PlannedStep(StepKind.Transfer, 0, 60_000, true));
        using var cts = new CancellationTokenSource();

        var task = runtime.ExecuteAsync(Context(plan, 0), cts.Token);
        Assert.False(task.IsCompleted);
        await cts.CancelAsync();

        // No clock advance: cancellation alone ends the step.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, edge.ActiveTransfers(Castello.Id, Vanchiglia.Id));
    }

    [Fact]
    public async Task ExecuteAsync_AlreadyCancelled_Throws()
    {
        var (runtime, _, _) = Simulator();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => runtime.ExecuteAsync(Context(Cold(), StepKind.Checkpoint), new CancellationToken(canceled: true)));
    }
}
