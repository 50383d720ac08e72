using System.Diagnostics;

namespace EdgePortal.BurstBench;

/// <summary>
/// A clock that runs <see cref="Factor"/> times faster than real time, for everything at once: the coordinator's
/// acceptance stamps and ledger, the engine's step stamps and timeouts, and the simulator's waits. The simulator runs at
/// speed 1 on it, so a planned millisecond, a ledger millisecond and a measured millisecond are the same millisecond.
/// </summary>
internal sealed class FastClock(double factor) : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;

    public double Factor { get; } = factor;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => _origin + (long)((Stopwatch.GetTimestamp() - _origin) * Factor);

    public override DateTimeOffset GetUtcNow() => _start + TimeSpan.FromTicks((long)(Stopwatch.GetElapsedTime(_origin).Ticks * Factor));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => new ScaledTimer(System.CreateTimer(callback, state, Real(dueTime), Real(period)), this);

    private TimeSpan Real(TimeSpan fast)
        => fast == Timeout.InfiniteTimeSpan || fast <= TimeSpan.Zero ? fast : TimeSpan.FromTicks(Math.Max(1, (long)(fast.Ticks / Factor)));

    private sealed class ScaledTimer(ITimer inner, FastClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Real(dueTime), clock.Real(period));
        public void Dispose() => inner.Dispose();
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
