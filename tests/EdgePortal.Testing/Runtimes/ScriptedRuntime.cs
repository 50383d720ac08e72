using System.Collections.Concurrent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Testing;

/// <summary>
/// A runtime whose every step does what the test scripts: by default it succeeds at once reporting the
/// plan's prediction as its duration. Steps can be made to fail, or to block until released (a Channel
/// per gate) so that tests can cancel, time out or count what runs concurrently.
/// </summary>
public sealed class ScriptedRuntime(ClusterKind kind = ClusterKind.Simulated) : IEdgeRuntime
{
    private readonly ConcurrentDictionary<(MigrationId, int), TaskCompletionSource<StepOutcome>> _gates = new();
    private int _running;
    private int _maxRunning;

    public ClusterKind Kind { get; } = kind;
    public ConcurrentQueue<(MigrationId Migration, int Index, StepKind Kind)> Executed { get; } = new();
    public ConcurrentQueue<RollbackContext> RolledBack { get; } = new();
    public ConcurrentQueue<(MigrationId Migration, int Index)> Cancelled { get; } = new();
    public int MaxConcurrentSteps => Volatile.Read(ref _maxRunning);

    /// <summary>Decides a step's outcome; null means "block until <see cref="Release"/>".</summary>
    public Func<StepContext, StepOutcome?> Script { get; set; } = c => new StepOutcome.Success($"did {c.Step.Label}", c.Step.PredictedMs);

    public StepOutcome RollbackOutcome { get; set; } = new StepOutcome.Success("source resumed");

    /// <summary>Which step kinds the runtime says may run again after a restart (none by default).</summary>
    public Func<MigrationStrategy, StepKind, bool> Repeatable { get; set; } = (_, _) => false;

    /// <summary>The retry policy per step kind (the engine's defaults unless a test sets one).</summary>
    public Func<StepKind, StepRetryPolicy> Retries { get; set; } = StepRetryPolicy.For;

    /// <summary>The contexts every step ran with, in order: what the engine handed over (stored artifacts included).</summary>
    public ConcurrentQueue<StepContext> Contexts { get; } = new();

    public bool SafeToRepeat(MigrationStrategy strategy, StepKind kind) => Repeatable(strategy, kind);

    public StepRetryPolicy RetryPolicy(MigrationStrategy strategy, StepKind kind) => Retries(kind);

    /// <summary>Set when a step starts blocking, so a test can await it.</summary>
    public event Action<StepContext>? Blocked;

    /// <summary>What the probe reports: every strategy unless a test says otherwise.</summary>
    public RuntimeCapabilities Capabilities { get; set; } = new() { Strategies = Enum.GetValues<MigrationStrategy>(), DirtyTracking = true, PreDump = true, LazyPages = true, ReplayBroker = true };

    /// <summary>How many times the runtime was probed.</summary>
    public int Probes => _probes;
    private int _probes;

    public Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _probes);
        return Task.FromResult(new RuntimeProbe(true, "scripted", Capabilities));
    }

    public async Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        Executed.Enqueue((context.MigrationId, context.Step.Index, context.Step.Kind));
        Contexts.Enqueue(context);
        var now = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, now);
        try
        {
            if (Script(context) is { } outcome)
                return outcome;
            var gate = _gates.GetOrAdd((context.MigrationId, context.Step.Index), _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
            Blocked?.Invoke(context);
            try
            {
                return await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.Enqueue((context.MigrationId, context.Step.Index));
                throw;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public void Release(MigrationId migration, int index, StepOutcome? outcome = null)
        => _gates.GetOrAdd((migration, index), _ => new(TaskCreationOptions.RunContinuationsAsynchronously))
            .TrySetResult(outcome ?? new StepOutcome.Success("released", 1));

    public Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken)
    {
        RolledBack.Enqueue(context);
        return Task.FromResult(RollbackOutcome);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
