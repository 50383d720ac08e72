using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Storage;

/// <summary>
/// Keeps LiteDB's log bounded under sustained load: LiteDB checkpoints by itself only at a commit that finds no other
/// transaction open, which a busy portal never offers (a 224 MB log beside a 13 MB file was measured after two minutes
/// of 1,650 migrations). This checkpoints explicitly when the log passes <see cref="LiteDbUpkeepOptions.CheckpointBytes"/>
/// or, when it holds anything, every <see cref="LiteDbUpkeepOptions.CheckpointInterval"/>.
/// </summary>
public sealed partial class LiteDbUpkeep(EdgeDatabase database, IOptionsMonitor<StorageOptions> options, TimeProvider clock,
    ILogger<LiteDbUpkeep> logger) : BackgroundService
{
    /// <summary>How often the log's size is looked at.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private DateTimeOffset _lastCheckpoint = clock.GetUtcNow();

    /// <summary>The largest log seen since start, in bytes.</summary>
    public long PeakLogBytes { get; private set; }

    public int Checkpoints { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Poll, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                Tick();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One look at the log: checkpoints it when it is too large or too old. Returns whether it did.</summary>
    public bool Tick()
    {
        var upkeep = options.CurrentValue.LiteDb;
        var bytes = database.LogBytes;
        PeakLogBytes = Math.Max(PeakLogBytes, bytes);
        var now = clock.GetUtcNow();
        if (bytes == 0 || (bytes < upkeep.CheckpointBytes && now - _lastCheckpoint < upkeep.CheckpointInterval))
            return false;
        try
        {
            database.Checkpoint();
            Checkpoints++;
            _lastCheckpoint = now;
            LogCheckpoint(bytes, database.LogBytes);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCheckpointFailed(e, bytes);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "LiteDB log checkpointed: {Before} bytes, {After} after")]
    private partial void LogCheckpoint(long before, long after);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LiteDB log checkpoint failed with {Bytes} bytes in the log")]
    private partial void LogCheckpointFailed(Exception e, long bytes);
}
