namespace EdgePortal.Core.Calibration;

/// <summary>
/// One measured Cold migration of a calibration grid: the service's state size and dirty-page rate, the bandwidth its images
/// moved at (none when they were restored where they were dumped), CRIU's own stage times and the wall clock of the whole
/// stop-and-copy as the caller saw it.
/// </summary>
public sealed record CalibrationSample
{
    /// <summary>M, the service's state, bytes.</summary>
    public required long StateSizeBytes { get; init; }
    /// <summary>R̂, the pages per second the service dirtied while it ran.</summary>
    public double DirtyPagesPerSecond { get; init; }
    /// <summary>L, the bandwidth the images were streamed at, bit/s; null when they were restored on the host that dumped them (no transfer).</summary>
    public double? BandwidthBitsPerSecond { get; init; }
    /// <summary>The dump as CRIU measured it (freezing + frozen time), ms: the model's T_p of a cold dump.</summary>
    public required double DumpMs { get; init; }
    /// <summary>Pages the dump wrote (CRIU's pages_written); null when CRIU's stats were not available.</summary>
    public double? PagesWritten { get; init; }
    /// <summary>Bytes of the dump's image files.</summary>
    public long? ImageBytes { get; init; }
    /// <summary>The image transfer as the agent measured it, ms (0 without a transfer).</summary>
    public double TransferMs { get; init; }
    /// <summary>The restore as CRIU measured it (restore time), ms: the model's T_r.</summary>
    public required double RestoreMs { get; init; }
    /// <summary>The whole stop-and-copy by the caller's wall clock (dump call to restored), ms: the model's T_down.</summary>
    public required double DowntimeMs { get; init; }

    /// <summary>
    /// T_f: how long a live dump (<c>criu dump --leave-running</c>, as MessageReplay checkpoints) kept the service frozen,
    /// CRIU's frozen time, ms; null when the run did not measure one.
    /// </summary>
    public double? LiveFreezeMs { get; init; }
    /// <summary>T_ld: post-copy's lazy dump (<c>criu dump --lazy-pages</c>) until its page server was ready, ms; null when not measured.</summary>
    public double? LazyDumpMs { get; init; }
    /// <summary>T_lr: the restore with lazy pages (<c>criu restore --lazy-pages</c>) as CRIU measured it, ms; null when not measured.</summary>
    public double? LazyRestoreMs { get; init; }
    /// <summary>W: post-copy's page-in, from the lazily restored service's resume to its last page, ms; null when not measured.</summary>
    public double? PageInMs { get; init; }

    /// <summary>The measured T_add: what the runtime added to CRIU's own stages and the transfer (downtime − dump − transfer − restore), ms.</summary>
    public double OverheadMs => DowntimeMs - DumpMs - TransferMs - RestoreMs;
}
