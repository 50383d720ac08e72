namespace EdgePortal.Agent.Transfer;

/// <summary>
/// A token bucket in bytes: <see cref="RateBytesPerSecond"/> tokens arrive per second, at most <see cref="Capacity"/> wait
/// unused. <see cref="TakeAsync"/> takes what it needs at once and, when that leaves the bucket in debt, waits until the
/// debt is paid, so the average rate holds whatever the chunk sizes. Tokens start arriving at the first take: the time a
/// transfer spends connecting before it sends earns it nothing.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private double _tokens;
    private long? _last;

    /// <param name="initialTokens">What the bucket holds at the start; the capacity when null.</param>
    public TokenBucket(double rateBytesPerSecond, double capacity, TimeProvider? time = null, double? initialTokens = null)
    {
        if (!double.IsFinite(rateBytesPerSecond) || rateBytesPerSecond <= 0)
            throw new ArgumentOutOfRangeException(nameof(rateBytesPerSecond), rateBytesPerSecond, "The rate must be a positive number of bytes per second.");
        if (!double.IsFinite(capacity) || capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity must be positive.");
        RateBytesPerSecond = rateBytesPerSecond;
        Capacity = capacity;
        _time = time ?? TimeProvider.System;
        _tokens = Math.Clamp(initialTokens ?? capacity, 0, capacity);
    }

    public double RateBytesPerSecond { get; }

    public double Capacity { get; }

    /// <summary>What a transfer's bucket holds at its start: one chunk of <see cref="ThrottledStream"/>.</summary>
    public const int InitialBytes = ThrottledStream.Chunk;

    /// <summary>
    /// A bucket for a transfer at <paramref name="bitsPerSecond"/>: it starts with one chunk's worth of tokens
    /// (<see cref="InitialBytes"/>), so even a transfer of a few milliseconds keeps to the limit (50 ms of starting credit
    /// let a 10 MB transfer run at 1.5–2 Gbit/s against 1 Gbit/s), and holds up to one second's worth, so a sender the
    /// machine stalled (GC, a busy core) catches up instead of losing the time: the limit holds as the average over the
    /// transfer, which is what the planner reserves.
    /// </summary>
    public static TokenBucket ForBits(double bitsPerSecond, TimeProvider? time = null)
    {
        var bytes = bitsPerSecond / 8;
        return new TokenBucket(bytes, Math.Max(InitialBytes, bytes), time, InitialBytes);
    }

    /// <summary>How long a take of <paramref name="bytes"/> now has to wait; takes the tokens.</summary>
    public TimeSpan Take(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_last is { } last)
                _tokens = Math.Min(Capacity, _tokens + _time.GetElapsedTime(last, now).TotalSeconds * RateBytesPerSecond);
            _last = now;
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / RateBytesPerSecond);
        }
    }

    public Task TakeAsync(int bytes, CancellationToken cancellationToken)
    {
        var wait = Take(bytes);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _time, cancellationToken);
    }
}
