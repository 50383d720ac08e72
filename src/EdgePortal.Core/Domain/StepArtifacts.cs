namespace EdgePortal.Core.Domain;

/// <summary>
/// What a completed step left in the world that a later step or a rollback needs: stored on the migration with the
/// step, in the same write, so that no runtime has to remember a migration between steps and a restarted portal (or a
/// replica taking over) knows what there is to continue from or to undo. Every field is optional: a step sets what it
/// produced, and <see cref="Merge(StepArtifacts?, StepArtifacts?)"/> lays later steps over earlier ones.
/// </summary>
public sealed record StepArtifacts
{
    public static readonly StepArtifacts None = new();

    /// <summary>The checkpoint archive on the source node (the kubelet's checkpoint tar).</summary>
    public string? ArchivePath { get; init; }
    /// <summary>The checkpointed container's name.</summary>
    public string? Container { get; init; }
    /// <summary>The image the checkpointed container ran from (its root file system).</summary>
    public string? RootfsImage { get; init; }
    /// <summary>The checkpoint image pushed to the registry (reference).</summary>
    public string? Image { get; init; }
    /// <summary>The checkpoint image's layer digest (sha256:…).</summary>
    public string? ImageDigest { get; init; }
    /// <summary>The CRIU images' identifier on the agents (both hosts).</summary>
    public string? ImagesId { get; init; }
    /// <summary>The source pod the migration started from.</summary>
    public string? SourcePod { get; init; }
    /// <summary>The pod restored at the destination.</summary>
    public string? TargetPod { get; init; }
    /// <summary>The restored process's PID on the destination host.</summary>
    public int? RestoredPid { get; init; }
    /// <summary>The page server the dump streamed its pages to (host:port).</summary>
    public string? PageServer { get; init; }
    /// <summary>The service address moved from source to destination.</summary>
    public string? ServiceAddress { get; init; }
    /// <summary>MS2M: the replay queue bound to the service's exchange at the checkpoint.</summary>
    public string? ReplayQueue { get; init; }
    /// <summary>MS2M: the queue a paused source waits on for resume or exit.</summary>
    public string? ResumeQueue { get; init; }
    /// <summary>MS2M: when the marker went through the exchange (the replay's time origin, for the cutoff).</summary>
    public DateTimeOffset? MarkedAt { get; init; }
    /// <summary>MS2M: the sequence number of the marker's answer (every message up to it is in the checkpoint).</summary>
    public long? MarkedSequence { get; init; }
    /// <summary>MS2M: the last message the source applied before it was paused (cutoff or switch).</summary>
    public long? PausedAt { get; init; }

    /// <summary>The fields of <paramref name="later"/> over those of <paramref name="earlier"/>.</summary>
    public static StepArtifacts Merge(StepArtifacts? earlier, StepArtifacts? later)
    {
        if (later is null)
            return earlier ?? None;
        if (earlier is null)
            return later;
        return new StepArtifacts
        {
            ArchivePath = later.ArchivePath ?? earlier.ArchivePath,
            Container = later.Container ?? earlier.Container,
            RootfsImage = later.RootfsImage ?? earlier.RootfsImage,
            Image = later.Image ?? earlier.Image,
            ImageDigest = later.ImageDigest ?? earlier.ImageDigest,
            ImagesId = later.ImagesId ?? earlier.ImagesId,
            SourcePod = later.SourcePod ?? earlier.SourcePod,
            TargetPod = later.TargetPod ?? earlier.TargetPod,
            RestoredPid = later.RestoredPid ?? earlier.RestoredPid,
            PageServer = later.PageServer ?? earlier.PageServer,
            ServiceAddress = later.ServiceAddress ?? earlier.ServiceAddress,
            ReplayQueue = later.ReplayQueue ?? earlier.ReplayQueue,
            ResumeQueue = later.ResumeQueue ?? earlier.ResumeQueue,
            MarkedAt = later.MarkedAt ?? earlier.MarkedAt,
            MarkedSequence = later.MarkedSequence ?? earlier.MarkedSequence,
            PausedAt = later.PausedAt ?? earlier.PausedAt,
        };
    }

    /// <summary>Everything the given steps left, in their order (later steps win).</summary>
    public static StepArtifacts Of(IEnumerable<MigrationStep> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var merged = None;
        foreach (var step in steps.OrderBy(s => s.Index))
            if (step.Status == StepStatus.Succeeded)
                merged = Merge(merged, step.Artifacts);
        return merged;
    }
}
