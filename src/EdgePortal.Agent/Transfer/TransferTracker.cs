using System.Collections.Concurrent;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Transfer;

/// <summary>One transfer's progress: bytes moved of the total, and the rate so far.</summary>
public sealed class TransferProgress(string id, string kind, string target, long totalBytes, double? limitBitsPerSecond, TimeProvider time)
{
    private readonly long _started = time.GetTimestamp();
    private long _bytes;

    public string Id { get; } = id;
    public string Kind { get; } = kind;
    public string Target { get; } = target;
    public long TotalBytes { get; } = totalBytes;
    public double? LimitBitsPerSecond { get; } = limitBitsPerSecond;
    public long Bytes => Interlocked.Read(ref _bytes);
    public string State { get; private set; } = "running";
    public string? Error { get; private set; }
    public double Seconds => (FinishedSeconds ?? time.GetElapsedTime(_started).TotalSeconds);
    public double BitsPerSecond => Seconds > 0 ? Bytes * 8 / Seconds : 0;
    public double Percent => TotalBytes > 0 ? Math.Min(100, 100.0 * Bytes / TotalBytes) : 0;

    /// <summary>
    /// From the first byte sent to the last: the window the rate limit governs (<see cref="Seconds"/> also holds connecting
    /// to the peer and its answer after the last byte). 0 until two sends.
    /// </summary>
    public double SendingSeconds
    {
        get
        {
            var first = Interlocked.Read(ref _firstSend);
            var last = Interlocked.Read(ref _lastSend);
            return first == 0 || last <= first ? 0 : time.GetElapsedTime(first, last).TotalSeconds;
        }
    }

    private double? FinishedSeconds { get; set; }
    private long _firstSend, _lastSend;

    public void Add(int bytes)
    {
        var now = time.GetTimestamp();
        Interlocked.CompareExchange(ref _firstSend, now, 0);
        Interlocked.Exchange(ref _lastSend, now);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>The progress as it is now, as GET /transfers answers it.</summary>
    public TransferStatus ToStatus() =>
        new(Id, Kind, Target, TotalBytes, LimitBitsPerSecond, Bytes, State, Error, Seconds, BitsPerSecond, Percent, SendingSeconds);

    public void Finish(string? error = null)
    {
        FinishedSeconds = time.GetElapsedTime(_started).TotalSeconds;
        State = error is null ? "done" : "failed";
        Error = error;
    }
}

/// <summary>The transfers this agent runs or ran lately (GET /transfers): progress reporting for the portal and operators.</summary>
public sealed class TransferTracker(TimeProvider time)
{
    private const int Keep = 50;
    private readonly ConcurrentDictionary<string, TransferProgress> _transfers = new();

    public TransferProgress Start(string kind, string target, long totalBytes, double? limitBitsPerSecond)
    {
        var progress = new TransferProgress(Guid.CreateVersion7().ToString("N"), kind, target, totalBytes, limitBitsPerSecond, time);
        _transfers[progress.Id] = progress;
        foreach (var old in _transfers.Values.Where(t => t.State != "running").OrderByDescending(t => t.Id).Skip(Keep))
            _transfers.TryRemove(old.Id, out _);
        return progress;
    }

    public TransferProgress? Find(string id) => _transfers.GetValueOrDefault(id);

    public IReadOnlyList<TransferProgress> All() => [.. _transfers.Values.OrderBy(t => t.Id)];
}
