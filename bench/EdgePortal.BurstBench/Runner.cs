using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgePortal.BurstBench;

/// <summary>What one scenario measured under one planner.</summary>
internal sealed record RunResult(string Scenario, string Planner, int Requests, int Accepted, int Completed, int MeetDowntime, int MeetTime,
    int MeetBoth, double MakespanMs, double ErrorP50, double ErrorP99, double ErrorMax, int Waited, string DecidedBy = "")
{
    public string Line()
        => string.Create(CultureInfo.InvariantCulture,
            $"{Scenario} {Planner}: {Percent(MeetBoth)}% meet targets (downtime {Percent(MeetDowntime)}%, migration time {Percent(MeetTime)}%), makespan {MakespanMs / 1000:0.0} s, completion error p50 {ErrorP50 * 100:0.0}%/p99 {ErrorP99 * 100:0.0}% (max {ErrorMax * 100:0.0}%), {Completed}/{Requests} completed, {Waited} predicted to wait{(DecidedBy.Length == 0 ? "" : $"; planned by {DecidedBy}")}");

    /// <summary>Which planner decided each accepted migration's batch, as its stored rationale says: "CP-SAT Optimal ×20, greedy (fallback) ×3".</summary>
    public static string Planners(IEnumerable<Migration> accepted)
        => string.Join(", ", accepted.Select(m => Decider(m.Plan.Rationale)).Where(d => d is not null).GroupBy(d => d).OrderByDescending(g => g.Count())
            .Select(g => $"{g.Key} ×{g.Count()}"));

    private static string? Decider(string rationale)
    {
        const string solver = "planned by CP-SAT (";
        var at = rationale.IndexOf(solver, StringComparison.Ordinal);
        if (at >= 0)
            return $"CP-SAT {rationale[(at + solver.Length)..].Split(' ')[0]}";
        if (!rationale.Contains("planned by the greedy heuristic", StringComparison.Ordinal))
            return null;
        const string status = "(status ";
        var fallback = rationale.IndexOf(status, StringComparison.Ordinal);
        return fallback >= 0 ? $"greedy (CP-SAT fallback, {rationale[(fallback + status.Length)..].Split(')')[0]})"
            : rationale.Contains("more than the solver is given", StringComparison.Ordinal) ? "greedy (batch too large for CP-SAT)"
            : "greedy";
    }

    private double Percent(int n) => Requests == 0 ? 0 : Math.Round(100.0 * n / Requests, 1);
}

/// <summary>
/// Runs a scenario through the real coordinator, engine and simulator (in-memory stores) on a <see cref="FastClock"/>:
/// each arrival is started with <see cref="MigrationCoordinator.StartBatch"/> at its time, with link reservations on
/// (joint: the batch planned together on the ledger) or off (independent: each planned alone on the whole path, as
/// before issue 21), and the run ends when every accepted migration has finished.
/// </summary>
internal static class Runner
{
    /// <param name="planner">independent, joint (CP-SAT with the greedy as fallback) or joint-greedy (the greedy alone).</param>
    /// <param name="timeLimit">The joint planner's time limit, in the twin's time (its real limit is this over the speed).</param>
    public static async Task<RunResult> RunAsync(Scenario scenario, string planner, double speed, int seed, double noise, TimeSpan timeLimit, bool verbose = false, bool hold = true)
    {
        var joint = planner != "independent";
        var clock = new FastClock(speed);
        var inventory = new InMemoryInventoryRepository(scenario.Edge.Inventory());
        if (scenario.Cordoned is { } cordoned)
            inventory.Save(inventory.FindNode(cordoned)!.WithStatus(NodeStatus.Cordoned));
        var migrations = new InMemoryMigrationRepository();
        var finished = new FinishedSignal();
        var engineOptions = new FixedOptions<EngineOptions>(new EngineOptions { LinkReservations = joint, HoldUntilPredictedStart = joint && hold });
        var runtime = new SimulatedEdgeRuntime(new SimulatedEdge(), Microsoft.Extensions.Options.Options.Create(new SimulatorOptions
        {
            SpeedFactor = 1,
            NoiseCoefficientOfVariation = noise,
            RandomSeed = seed,
        }), clock, NullLogger<SimulatedEdgeRuntime>.Instance, inventory);
        using var meters = new TestMeterFactory();
        using var engine = new MigrationEngine(migrations, new InMemoryMigrationLeaseStore(migrations), inventory, [runtime], finished,
            new MigrationMetrics(meters), engineOptions, clock, NullLogger<MigrationEngine>.Instance);
        var coordinator = new MigrationCoordinator(inventory, migrations, engine, finished, engineOptions, clock, NullLogger<MigrationCoordinator>.Instance);
        await engine.StartAsync(CancellationToken.None);
        await engine.Recovered;

        var start = clock.GetUtcNow();
        var accepted = new List<Migration>();
        foreach (var arrival in scenario.Arrivals)
        {
            var wait = start.AddMilliseconds(arrival.AtMs) - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, clock);
            var results = coordinator.StartBatch([.. arrival.Services.Select(id => new MigrationRequest
            {
                ServiceId = id,
                Trigger = scenario.Trigger,
                RequestedBy = "burst bench",
                AcceptTargetMiss = true,
            })], planner == "joint-greedy" ? TimeSpan.Zero : timeLimit / speed);
            accepted.AddRange(results.OfType<MigrationRequestResult.Accepted>().Select(a => a.Migration));
        }
        var ids = accepted.Select(m => m.Id).ToHashSet();
        await finished.WaitAsync(() => ids.All(id => migrations.Find(id)?.IsTerminal == true));
        await engine.StopAsync(CancellationToken.None);

        var ended = ids.Select(id => migrations.Find(id)!).ToList();
        if (verbose)
            foreach (var m in ended.OrderBy(m => m.CreatedAt))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {m.ServiceName} {m.State} {inventory.FindNode(m.Plan.Destination)?.Name} {m.Plan.Strategy} {m.Plan.ReservedBandwidth.BitsPerSecond / 1e6:0} Mbit/s {m.Plan.Capacity}: accepted {(m.CreatedAt - start).TotalMilliseconds:0}, predicted start +{m.Plan.PredictedStartMs:0} end +{m.Plan.PredictedCompletionMs:0} (downtime {m.Plan.PredictedDowntimeMs:0}); started +{((m.StartedAt ?? m.CreatedAt) - m.CreatedAt).TotalMilliseconds:0} ended +{((m.FinishedAt ?? m.CreatedAt) - m.CreatedAt).TotalMilliseconds:0} (downtime {m.MeasuredDowntimeMs:0}); targets {m.Targets.MaxDowntimeMs:0}/{m.Targets.MaxMigrationTimeMs:0} {m.FailureReason}"));
        if (verbose && ended.FirstOrDefault(m => m.State == MigrationState.Completed) is { } first)
            foreach (var step in first.Steps)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"    {step.Label}: predicted {step.PredictedMs:0}, measured {step.MeasuredMs:0}, wall {((step.FinishedAt ?? start) - (step.StartedAt ?? start)).TotalMilliseconds:0}, from start {((step.StartedAt ?? start) - first.StartedAt!.Value).TotalMilliseconds:0}"));
        var completed = ended.Where(m => m.State == MigrationState.Completed).ToList();
        var errors = completed.Select(m =>
        {
            var measured = (m.FinishedAt!.Value - m.CreatedAt).TotalMilliseconds;
            return Math.Abs(m.Plan.PredictedCompletionMs - measured) / measured;
        }).Order().ToList();
        bool Downtime(Migration m) => m.MeasuredDowntimeMs <= m.Targets.MaxDowntimeMs;
        bool Time(Migration m) => (m.FinishedAt!.Value - m.CreatedAt).TotalMilliseconds <= m.Targets.MaxMigrationTimeMs;
        var makespan = ended.Count == 0 ? 0 : ended.Max(m => (m.FinishedAt ?? start) - start).TotalMilliseconds;
        return new RunResult(scenario.Name, joint ? $"{planner}{(hold ? "" : "-unheld")}" : "independent", scenario.Arrivals.Sum(a => a.Services.Count), accepted.Count, completed.Count,
            completed.Count(Downtime), completed.Count(Time), completed.Count(m => Downtime(m) && Time(m)), makespan,
            Quantile(errors, 0.5), Quantile(errors, 0.99), errors.Count == 0 ? 0 : errors[^1], accepted.Count(m => m.Plan.PredictedStartMs > 0),
            RunResult.Planners(ended));
    }

    private static double Quantile(List<double> sorted, double q)
        => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    /// <summary>The event publisher of the run: wakes the waiter whenever a migration finishes.</summary>
    private sealed class FinishedSignal : IMigrationEventPublisher
    {
        private readonly SemaphoreSlim _finished = new(0);

        public void Publish(IReadOnlyList<MigrationEvent> events)
        {
            foreach (var e in events)
                if (e is MigrationFinished)
                    _finished.Release();
        }

        public async Task WaitAsync(Func<bool> done)
        {
            while (!done())
                await _finished.WaitAsync(TimeSpan.FromSeconds(1));
        }
    }
}
