namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// How transfers share the network in the twin: each transfer crosses the links of its path and gets a max-min fair
/// share of each (progressive filling: every transfer's rate grows alike until a link it crosses is full or it reaches
/// its own cap, the bandwidth its plan reserved). Rates are recomputed whenever a transfer starts or ends, so a
/// transfer slows down when others join and speeds up when they leave, as on a real network. A transfer alone gets
/// its cap and takes exactly what the model predicts.
/// </summary>
/// <remarks>
/// The twin's time here is real time multiplied by the speed factor; between two events the rates are constant, so
/// the time at which each transfer's last bit leaves is computed exactly (event by event), not sampled.
/// A transfer has a network part (its bytes, shared) followed by a fixed part (the dump or restore work, not shared).
/// </remarks>
public sealed class LinkSharing
{
    private const double Epsilon = 1e-9;
    private readonly Lock _gate = new();
    private readonly List<Flow> _flows = [];
    private TimeProvider? _time;
    private long _lastTimestamp;
    private double _speed = 1;
    private double _clockMs;

    /// <summary>One link a transfer crosses: a key (the link's id, or the node pair when the path's links are unknown) and its capacity.</summary>
    public readonly record struct LinkShare(object Key, double CapacityBitsPerSecond);

    /// <summary>What a transfer measured: its simulated duration, the most transfers that shared a link with it, and whether it ever ran below its cap.</summary>
    public readonly record struct Sent(double DurationMs, int MostSharing, bool Slowed);

    private sealed class Flow(object owner, LinkShare[] links, double capBitsPerSecond, double bits, double fixedMs, double startMs)
    {
        public object Owner { get; } = owner;
        public LinkShare[] Links { get; } = links;
        public double Cap { get; } = capBitsPerSecond;
        public double RemainingBits { get; set; } = bits;
        public double FixedMs { get; set; } = fixedMs;
        public double Rate { get; set; }
        public double StartMs { get; } = startMs;
        public double? DoneMs { get; set; }
        public int MostSharing { get; set; } = 1;
        public bool Slowed { get; set; }
        public bool Sending => RemainingBits > Epsilon;
        /// <summary>Completed when this transfer's rate changes: its waiter re-arms its timer. Only the transfers whose rate moved are woken.</summary>
        public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Transfers still sending whose owner matches.</summary>
    public int Sending(Func<object, bool> owner)
    {
        lock (_gate)
            return _flows.Count(f => f.Sending && owner(f.Owner));
    }

    /// <summary>
    /// Sends <paramref name="bits"/> over <paramref name="links"/> at most at <paramref name="capBitsPerSecond"/>, then spends
    /// <paramref name="fixedMs"/> of simulated work; returns when both are done in the twin's time.
    /// </summary>
    public async Task<Sent> SendAsync(object owner, IReadOnlyList<LinkShare> links, double capBitsPerSecond, double bits, double fixedMs,
        TimeProvider time, double speedFactor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(links);
        ArgumentNullException.ThrowIfNull(time);
        Flow flow;
        lock (_gate)
        {
            if (_flows.Count == 0 || _time is null)
            {
                _time = time;
                _speed = speedFactor;
                _lastTimestamp = time.GetTimestamp();
            }
            AdvanceLocked();
            flow = new Flow(owner, [.. links], Math.Max(capBitsPerSecond, Epsilon), Math.Max(bits, 0), Math.Max(fixedMs, 0), _clockMs);
            _flows.Add(flow);
            RecomputeLocked();
        }
        try
        {
            while (true)
            {
                Task changed;
                double waitMs;
                lock (_gate)
                {
                    AdvanceLocked();
                    if (flow.DoneMs is { } done)
                        return new Sent(done - flow.StartMs, flow.MostSharing, flow.Slowed);
                    changed = flow.Changed.Task;
                    waitMs = (flow.Sending ? flow.RemainingBits / flow.Rate * 1_000 : 0) + flow.FixedMs;
                }
                var realMs = Math.Min(waitMs / _speed, uint.MaxValue - 1d);
                var ticks = Math.Max(1, (long)Math.Ceiling(realMs * TimeSpan.TicksPerMillisecond));
                using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(TimeSpan.FromTicks(ticks), time, wake.Token);
                await Task.WhenAny(delay, changed).ConfigureAwait(false);
                await wake.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            lock (_gate)
            {
                AdvanceLocked();
                _flows.Remove(flow);
                RecomputeLocked();
            }
        }
    }

    /// <summary>Moves the twin's clock to now, event by event: each time a transfer's last bit leaves, the rates change.</summary>
    private void AdvanceLocked()
    {
        if (_time is null)
            return;
        var now = _time.GetTimestamp();
        var left = _time.GetElapsedTime(_lastTimestamp, now).TotalMilliseconds * _speed;
        _lastTimestamp = now;
        while (left > 0)
        {
            // The next event: a transfer's last bit, or the end of one's fixed part.
            var step = left;
            foreach (var flow in _flows)
            {
                if (flow.DoneMs is not null)
                    continue;
                var until = flow.Sending ? flow.RemainingBits / flow.Rate * 1_000 : flow.FixedMs;
                step = Math.Min(step, until);
            }
            var rateChanges = false;
            foreach (var flow in _flows)
            {
                if (flow.DoneMs is not null)
                    continue;
                if (flow.Sending)
                {
                    flow.RemainingBits -= flow.Rate * step / 1_000;
                    if (flow.RemainingBits <= Epsilon * Math.Max(1, flow.Cap))
                    {
                        flow.RemainingBits = 0;
                        rateChanges = true;
                        if (flow.FixedMs <= 0)
                            flow.DoneMs = _clockMs + step;
                    }
                }
                else
                {
                    flow.FixedMs -= step;
                    if (flow.FixedMs <= Epsilon)
                    {
                        flow.FixedMs = 0;
                        flow.DoneMs = _clockMs + step;
                    }
                }
            }
            _clockMs += step;
            left -= step;
            if (rateChanges)
                RecomputeLocked();
            if (step <= 0 && !rateChanges)
                break;
        }
    }

    /// <summary>Progressive filling over the transfers still sending; wakes the waiters whose rate, and so finish time, moved.</summary>
    private void RecomputeLocked()
    {
        var sending = _flows.Where(f => f.DoneMs is null && f.Sending).ToList();
        var capacity = new Dictionary<object, double>();
        var crossing = new Dictionary<object, int>();
        var before = new Dictionary<Flow, double>(sending.Count);
        foreach (var flow in sending)
        {
            before[flow] = flow.Rate;
            flow.Rate = 0;
            foreach (var link in flow.Links)
            {
                capacity.TryAdd(link.Key, link.CapacityBitsPerSecond);
                crossing[link.Key] = crossing.GetValueOrDefault(link.Key) + 1;
            }
        }
        foreach (var flow in sending)
            foreach (var link in flow.Links)
                flow.MostSharing = Math.Max(flow.MostSharing, crossing[link.Key]);
        var unfrozen = new HashSet<Flow>(sending);
        while (unfrozen.Count > 0)
        {
            var count = new Dictionary<object, int>();
            foreach (var flow in unfrozen)
                foreach (var link in flow.Links)
                    count[link.Key] = count.GetValueOrDefault(link.Key) + 1;
            var delta = double.PositiveInfinity;
            foreach (var (key, n) in count)
                delta = Math.Min(delta, capacity[key] / n);
            foreach (var flow in unfrozen)
                delta = Math.Min(delta, flow.Cap - flow.Rate);
            delta = Math.Max(delta, 0);
            foreach (var flow in unfrozen)
                flow.Rate += delta;
            foreach (var (key, n) in count)
                capacity[key] -= delta * n;
            unfrozen.RemoveWhere(f => f.Rate >= f.Cap * (1 - Epsilon) || f.Links.Any(l => capacity[l.Key] <= Epsilon * Math.Max(1, l.CapacityBitsPerSecond)));
        }
        foreach (var flow in sending)
        {
            flow.Rate = Math.Max(flow.Rate, Epsilon);
            if (flow.Rate < flow.Cap * (1 - 1e-6))
                flow.Slowed = true;
            if (Math.Abs(flow.Rate - before[flow]) > 1e-9 * flow.Cap)
            {
                var changed = flow.Changed;
                flow.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                changed.TrySetResult();
            }
        }
    }
}
