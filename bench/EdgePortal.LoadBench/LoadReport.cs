using System.Collections.Concurrent;
using EdgePortal.Core.Domain;

namespace EdgePortal.LoadBench;

/// <param name="PredictedMs">The sum of the plan's step predictions (profiling included, unlike the plan's migration time).</param>
internal sealed record AcceptedMigration(Guid Tenant, string Strategy, int Steps, double PredictedMs);

/// <summary>What the run recorded as it went; <see cref="LoadReport"/> reads it afterwards.</summary>
internal sealed class RunRecord
{
    public required BenchOptions Options { get; init; }
    public required string LoadAtStart { get; init; }
    public string LoadAtEnd { get; set; } = "";
    public TimeSpan ClientsConnectedAt { get; set; }
    public TimeSpan RampStartedAt { get; set; }
    public long RampStartedUtcTicks { get; set; }
    public TimeSpan RampEndedAt { get; set; }
    public long RampEndedUtcTicks { get; set; }
    public TimeSpan AllFinishedAt { get; set; }
    public bool TimedOut { get; set; }
    public bool PortalExited { get; set; }
    public int ClientsClosed { get; set; }
    public ConcurrentDictionary<Guid, AcceptedMigration> Accepted { get; } = new();
    public ConcurrentDictionary<int, int> StatusCodes { get; } = new();
    public ConcurrentQueue<string> Rejections { get; } = new();
    public ConcurrentQueue<double> PostMs { get; } = new();
    /// <summary>/proc readings of every replica (index into the portals started), 10 a second.</summary>
    public ConcurrentQueue<(TimeSpan At, int Replica, ProcSample Sample)> Samples { get; } = new();
    public ConcurrentQueue<double> LoadSamples { get; } = new();
    /// <summary>LiteDB's write-ahead log beside the database file (<c>edge-log.db</c>), sampled with the process.</summary>
    public string LiteDbLogPath { get; init; } = "";
    public long PeakLiteDbLogBytes { get; set; }
    public long DatabaseBytesAtEnd { get; set; }
    /// <summary>The last reading of each replica, in order; null where the process was gone.</summary>
    public IReadOnlyList<ProcSample?> Final { get; set; } = [];
    public double MaxRunningGauge { get; set; }
    public double MaxQueuedGauge { get; set; }
    public string? FirstPlan { get; set; }
    public (double Milliseconds, double AllocatedMb, double FullReadMs) TopologyRead { get; set; }
}

/// <summary>
/// The figures of a run: latency of step events from the server's transition stamp (<c>At</c>) to the client's
/// receipt, the portal's resident memory, how many migrations were in flight at once (from the server's own
/// Started/Finished stamps), and whether every client got every event of its tenant in order.
/// </summary>
internal sealed class LoadReport
{
    private readonly List<string> _lines = [];
    private readonly List<string> _misses = [];

    public bool MetTargets => _misses.Count == 0;

    public static LoadReport Analyse(RunRecord run, IReadOnlyList<HubListener> clients)
    {
        var report = new LoadReport();
        var o = run.Options;
        var perClient = clients.Select(c => (Client: c, Deliveries: c.Deliveries)).ToList();

        // Each migration's story once (from whichever client saw it first): server stamps of queued, started, finished.
        var queued = new Dictionary<Guid, long>();
        var started = new Dictionary<Guid, long>();
        var finished = new Dictionary<Guid, (long At, long Sequence, MigrationState State)>();
        foreach (var (_, deliveries) in perClient)
            foreach (var d in deliveries)
            {
                if (d.Type == EventType.Queued) queued.TryAdd(d.Migration, d.AtTicks);
                else if (d.Type == EventType.Started) started.TryAdd(d.Migration, d.AtTicks);
                else if (d.Type == EventType.Finished) finished.TryAdd(d.Migration, (d.AtTicks, d.Sequence, d.FinalState ?? MigrationState.Failed));
            }

        // Peak in flight: sweep the Started (+1) and Finished (−1) stamps.
        var edges = started.Select(s => (At: s.Value, Delta: +1))
            .Concat(finished.Where(f => started.ContainsKey(f.Key)).Select(f => (f.Value.At, Delta: -1)))
            .OrderBy(e => e.At).ThenBy(e => e.Delta).ToList();
        int inFlight = 0, peak = 0;
        long peakAt = 0, aboveSince = 0, aboveTicks = 0;
        var atTarget = new List<(long From, long To)>();
        var target = o.Migrations;
        foreach (var (at, delta) in edges)
        {
            var before = inFlight;
            inFlight += delta;
            if (inFlight > peak) (peak, peakAt) = (inFlight, at);
            if (before < target && inFlight >= target) aboveSince = at;
            if (before >= target && inFlight < target)
            {
                aboveTicks += at - aboveSince;
                atTarget.Add((aboveSince, at));
            }
        }
        if (inFlight >= target)
            atTarget.Add((aboveSince, long.MaxValue));

        // Latency of StepStarted/StepCompleted, every delivery to every client.
        var latencies = new List<double>(perClient.Sum(c => c.Deliveries.Count));
        var duringRamp = new List<double>();
        var afterRamp = new List<double>();
        var fullLoad = new List<double>();
        var windowed = new SortedDictionary<int, List<double>>();
        var windowEvents = new SortedDictionary<int, int>();
        const int WindowSeconds = 5;
        foreach (var (_, deliveries) in perClient)
            foreach (var d in deliveries)
            {
                var window = (int)Math.Floor((d.ReceivedTicks - run.RampStartedUtcTicks) / (double)TimeSpan.TicksPerSecond / WindowSeconds);
                windowEvents[window] = windowEvents.GetValueOrDefault(window) + 1;
                if (d.Type is not (EventType.StepStarted or EventType.StepCompleted))
                    continue;
                var ms = (d.ReceivedTicks - d.AtTicks) / (double)TimeSpan.TicksPerMillisecond;
                latencies.Add(ms);
                (d.AtTicks <= run.RampEndedUtcTicks ? duringRamp : afterRamp).Add(ms);
                if (atTarget.Any(span => d.AtTicks >= span.From && d.AtTicks < span.To))
                    fullLoad.Add(ms);
                if (!windowed.TryGetValue(window, out var list))
                    windowed[window] = list = [];
                list.Add(ms);
            }
        latencies.Sort();
        duringRamp.Sort();
        afterRamp.Sort();
        fullLoad.Sort();

        // Order and completeness per client: sequences 1, 2, 3… per migration of its tenant, up to the Finished event's.
        long gaps = 0, outOfOrder = 0, foreign = 0, missingTail = 0, delivered = 0;
        var accepted = run.Accepted;
        foreach (var (client, list) in perClient)
        {
            var last = new Dictionary<Guid, long>();
            foreach (var d in list)
            {
                delivered++;
                if (d.Tenant != client.Tenant)
                {
                    foreign++;
                    continue;
                }
                var expected = last.GetValueOrDefault(d.Migration) + 1;
                if (d.Sequence > expected) gaps += d.Sequence - expected;
                else if (d.Sequence < expected) outOfOrder++;
                last[d.Migration] = Math.Max(d.Sequence, last.GetValueOrDefault(d.Migration));
            }
            foreach (var (id, migration) in accepted)
            {
                if (migration.Tenant != client.Tenant)
                    continue;
                var finalSequence = finished.TryGetValue(id, out var f) ? f.Sequence : Math.Max(1, last.GetValueOrDefault(id));
                missingTail += Math.Max(0, finalSequence - last.GetValueOrDefault(id));
            }
        }

        var completed = finished.Count(f => f.Value.State == MigrationState.Completed);
        var otherOutcomes = finished.Where(f => f.Value.State != MigrationState.Completed).GroupBy(f => f.Value.State)
            .Select(g => $"{g.Count()} {g.Key}").ToList();
        var allSamples = run.Samples.ToArray();
        var replicas = Math.Max(1, run.Final.Count);
        // Per replica: peak resident set (sampled, and the kernel's own high-water mark at the end) and CPU used.
        var perReplica = Enumerable.Range(0, replicas).Select(r =>
        {
            var mine = allSamples.Where(s => s.Replica == r).ToArray();
            var final = r < run.Final.Count ? run.Final[r] : null;
            var peakKib = Math.Max(mine.Length == 0 ? 0 : mine.Max(s => s.Sample.RssKib), final?.RssKib ?? 0);
            var hwm = final?.HwmKib ?? (mine.Length == 0 ? 0 : mine.Max(s => s.Sample.HwmKib));
            var cpuUsed = mine.Length > 1 ? mine[^1].Sample.CpuSeconds - mine[0].Sample.CpuSeconds : 0;
            return (PeakMb: peakKib * 1024 / 1e6, HwmMb: hwm * 1024 / 1e6, EndMb: (final?.RssKib ?? 0) * 1024 / 1e6, Cpu: cpuUsed);
        }).ToList();
        // Replica 0's readings drive the per-window table's machine columns (one process's threads and memory).
        var samples = allSamples.Where(s => s.Replica == 0).Select(s => (s.At, s.Sample)).ToArray();
        var peakRssMb = perReplica.Max(r => r.PeakMb);
        var hwmMb = perReplica.Max(r => r.HwmMb);
        var cpu = perReplica.Sum(r => r.Cpu);
        var wall = samples.Length > 1 ? (samples[^1].At - samples[0].At).TotalSeconds : 0;
        var durations = finished.Where(f => started.ContainsKey(f.Key)).Select(f => (f.Value.At - started[f.Key]) / 1e7).Order().ToList();
        var waits = started.Where(s => queued.ContainsKey(s.Key)).Select(s => (s.Value - queued[s.Key]) / 1e7).Order().ToList();
        var predicted = accepted.Values.Select(a => a.PredictedMs).Order().ToList();
        var posts = run.PostMs.Order().ToList();
        var strategies = string.Join(", ", accepted.Values.GroupBy(a => a.Strategy).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} {g.Key}"));
        var load = run.LoadSamples.ToArray();

        var l = report._lines;
        l.Add("");
        l.Add("== hub-load summary ==");
        l.Add($"setup            {o.Migrations} migrations, {clients.Count} hub clients ({o.Tenants} tenants, {clients.Count / o.Tenants} clients each), {o.Replicas} replica(s) on {o.Storage}{(o.Replicas > 1 ? " behind one address (round-robin, affinity cookie), Redis backplane" : "")}, speed factor {o.SpeedFactor}, {o.PostConcurrency} POSTs at a time, {Environment.ProcessorCount} cores");
        l.Add($"load average     start {run.LoadAtStart} | during 1-min mean {(load.Length == 0 ? 0 : load.Average()):0.00}, max {(load.Length == 0 ? 0 : load.Max()):0.00} | end {run.LoadAtEnd}");
        l.Add($"migrations       started {accepted.Count} (HTTP {string.Join(", ", run.StatusCodes.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}), completed {completed}{(otherOutcomes.Count > 0 ? ", " + string.Join(", ", otherOutcomes) : "")}, unfinished {accepted.Count - finished.Count}{(run.TimedOut ? " (time limit hit)" : "")}");
        l.Add($"first plan       {run.FirstPlan} (simulated)");
        l.Add($"plans            {strategies}; steps sum to p50 {Pct(predicted, 50):0} ms, max {Pct(predicted, 100):0} ms simulated: real ≈ {Pct(predicted, 50) / o.SpeedFactor / 1000:0.0} s at ×{o.SpeedFactor}");
        l.Add($"inventory read   IInventoryRepository.Topology() of this edge after one service's write: {run.TopologyRead.Milliseconds:0.0} ms, {run.TopologyRead.AllocatedMb:0.0} MB allocated; the first, full read {run.TopologyRead.FullReadMs:0} ms (bench process, one thread, before the run)");
        l.Add($"ramp             POSTs took {(run.RampEndedAt - run.RampStartedAt).TotalSeconds:0.0} s: per request p50 {Pct(posts, 50):0} ms, p99 {Pct(posts, 99):0} ms, max {Pct(posts, 100):0} ms");
        l.Add($"queue → start    p50 {Pct(waits, 50):0.00} s, max {Pct(waits, 100):0.00} s; migration wall time p50 {Pct(durations, 50):0.0} s, max {Pct(durations, 100):0.0} s");
        l.Add($"peak in flight   {peak} running at once (events' server stamps, +{(peakAt - run.RampStartedUtcTicks) / 1e7:0.0} s after the first POST), ≥ {target} for {aboveTicks / 1e7:0.0} s; engine gauge max running {run.MaxRunningGauge:0}, queued {run.MaxQueuedGauge:0}");
        l.Add($"events           {delivered} delivered ({delivered / Math.Max(1, clients.Count)} per client), {latencies.Count} step events timed, batches {clients.Sum(c => c.Batches)}");
        l.Add($"latency (ms)     p50 {Pct(latencies, 50):0.0}, p95 {Pct(latencies, 95):0.0}, p99 {Pct(latencies, 99):0.0}, max {Pct(latencies, 100):0.0}  (target p99 ≤ {o.P99TargetMs:0})");
        l.Add($"  at ≥ {target,4} in flight p50 {Pct(fullLoad, 50):0.0}, p99 {Pct(fullLoad, 99):0.0}, max {Pct(fullLoad, 100):0.0} ({fullLoad.Count} events stamped while at least {target} were running)");
        l.Add($"  while starting p50 {Pct(duringRamp, 50):0.0}, p99 {Pct(duringRamp, 99):0.0}, max {Pct(duringRamp, 100):0.0} ({duringRamp.Count} events stamped before the last POST answered)");
        l.Add($"  after          p50 {Pct(afterRamp, 50):0.0}, p99 {Pct(afterRamp, 99):0.0}, max {Pct(afterRamp, 100):0.0} ({afterRamp.Count} events)");
        for (var r = 0; r < perReplica.Count; r++)
            l.Add($"{(replicas > 1 ? $"replica {r} memory" : "portal memory   ")} peak VmRSS {perReplica[r].PeakMb:0} MB, VmHWM {perReplica[r].HwmMb:0} MB, end {perReplica[r].EndMb:0} MB, cpu {perReplica[r].Cpu:0.0} s  (target ≤ {o.MemoryTargetMb:0} MB)");
        if (o.Storage == EdgePortal.Storage.StorageProvider.LiteDb)
            l.Add($"litedb log       peak {run.PeakLiteDbLogBytes / 1e6:0.0} MB ({run.LiteDbLogPath}), data file at the end {run.DatabaseBytesAtEnd / 1e6:0.0} MB (checkpointed by size and time: EdgePortal:Storage:LiteDb)");
        l.Add($"portal cpu       {cpu:0.0} s over {wall:0.0} s sampled ({(wall > 0 ? cpu / wall : 0):0.00} cores of {Environment.ProcessorCount}, all replicas)");
        l.Add($"order            gaps {gaps}, missing at the end {missingTail}, out of order or repeated {outOfOrder}, other tenants' events {foreign}, connections dropped {run.ClientsClosed}");
        l.Add("");
        l.Add("  window   events  step p50  step p99  step max  in flight  RSS MB  threads  portal cores  bench cores");
        foreach (var (window, count) in windowEvents)
        {
            var list = windowed.GetValueOrDefault(window) ?? [];
            list.Sort();
            var end = run.RampStartedUtcTicks + (window + 1L) * WindowSeconds * TimeSpan.TicksPerSecond;
            var running = edges.Where(e => e.At <= end).Sum(e => e.Delta);
            var windowStart = run.RampStartedAt + TimeSpan.FromSeconds(window * WindowSeconds);
            var inWindow = samples.Where(s => s.At >= windowStart && s.At < windowStart + TimeSpan.FromSeconds(WindowSeconds)).ToList();
            var machine = inWindow.Count < 2 ? "      -        -             -            -"
                : $"{inWindow.Max(s => s.Sample.RssKib) * 1024 / 1e6,7:0} {inWindow.Max(s => s.Sample.Threads),8} {Rate(inWindow, s => s.CpuSeconds),13:0.00} {Rate(inWindow, s => s.BenchCpuSeconds),12:0.00}";
            l.Add($"  {window * WindowSeconds,3}-{window * WindowSeconds + WindowSeconds,3}s {count,7} {Pct(list, 50),9:0.0} {Pct(list, 99),9:0.0} {Pct(list, 100),9:0.0} {running,10} {machine}");
        }
        if (run.Rejections.TryPeek(out var rejection))
            l.Add($"first rejection  {Shorten(rejection)}");

        void Miss(bool missed, string what) { if (missed) report._misses.Add(what); }
        Miss(Pct(latencies, 99) > o.P99TargetMs || latencies.Count == 0, $"p99 latency {Pct(latencies, 99):0.0} ms > {o.P99TargetMs:0} ms");
        Miss(Math.Max(peakRssMb, hwmMb) > o.MemoryTargetMb, $"portal memory {Math.Max(peakRssMb, hwmMb):0} MB > {o.MemoryTargetMb:0} MB (largest replica)");
        Miss(peak < target, $"peak in flight {peak} < {target}");
        Miss(gaps + missingTail + outOfOrder + foreign > 0, $"delivery not complete and in order (gaps {gaps}, missing {missingTail}, out of order {outOfOrder}, foreign {foreign})");
        Miss(accepted.Count < o.Migrations || completed < accepted.Count, $"{accepted.Count} of {o.Migrations} started, {completed} completed");
        Miss(run.ClientsClosed > 0 || run.PortalExited, $"{run.ClientsClosed} connections dropped{(run.PortalExited ? ", the portal exited" : "")}");
        l.Add("");
        l.Add(report.MetTargets ? "RESULT: PASS (p99, memory, in flight, order all within target)" : "RESULT: MISS: " + string.Join("; ", report._misses));
        return report;
    }

    public void Print(TextWriter writer)
    {
        foreach (var line in _lines)
            writer.WriteLine(line);
    }

    /// <summary>Nearest-rank percentile of a sorted list; 0 for an empty one.</summary>
    private static double Pct(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
            return 0;
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>CPU seconds per second over a window of samples: cores in use.</summary>
    private static double Rate(List<(TimeSpan At, ProcSample Sample)> window, Func<ProcSample, double> cpu)
        => (cpu(window[^1].Sample) - cpu(window[0].Sample)) / Math.Max(1e-3, (window[^1].At - window[0].At).TotalSeconds);

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
