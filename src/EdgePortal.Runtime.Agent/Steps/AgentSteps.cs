using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Replay;

namespace EdgePortal.Runtime.Agent.Steps;

/// <summary>
/// A step of a migration on an Agent cluster: the cluster's options and the two nodes' agents resolved, then the step's
/// own work. Two families share the step kinds: Cold and the pre-copy strategies (CRIU dump, stop-and-copy), and the
/// MS2M replay strategies (live checkpoint, replay queue). Whether a step is safe to repeat after a restart is the
/// table in docs/architecture.md.
/// </summary>
internal abstract class AgentStep(AgentEdgeRuntime runtime) : StepHandler
{
    protected AgentEdgeRuntime Runtime { get; } = runtime;

    public override Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (o, source, destination) = Runtime.Scope(context);
        return RunAsync(context, o, source, destination, cancellationToken);
    }

    protected abstract Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct);
}

/// <summary>A step of Cold, PreCopy or IterativePreCopy; Profile, Transfer, SwitchTraffic and CleanUp of PostCopy too.</summary>
internal abstract class DumpStep(AgentEdgeRuntime runtime) : AgentStep(runtime)
{
    public override bool Handles(MigrationStrategy strategy) => strategy is MigrationStrategy.Cold or MigrationStrategy.PostCopy || AgentEdgeRuntime.IsPreCopy(strategy);
}

/// <summary>A step of PostCopy's own: the lazy dump, the lazy restore, the page-in.</summary>
internal abstract class PostCopyStep(AgentEdgeRuntime runtime) : AgentStep(runtime)
{
    public override bool Handles(MigrationStrategy strategy) => strategy == MigrationStrategy.PostCopy;
}

/// <summary>
/// criu dump --lazy-pages on the source. Not safe to repeat: the source is frozen behind its page server afterwards; a
/// rollback stops the dump (the source runs on) and deletes the images.
/// </summary>
internal sealed class LazyCheckpointStep(AgentEdgeRuntime runtime) : PostCopyStep(runtime)
{
    public override StepKind Kind => StepKind.Checkpoint;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.LazyCheckpointAsync(c, o, source, ct);
}

/// <summary>
/// criu lazy-pages and criu restore --lazy-pages on the destination. Not safe to repeat: once it has run the service lives
/// on the destination, and the only way is forward.
/// </summary>
internal sealed class LazyRestoreStep(AgentEdgeRuntime runtime) : PostCopyStep(runtime)
{
    public override StepKind Kind => StepKind.Restore;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.LazyRestoreAsync(c, o, source, destination, ct);
}

/// <summary>
/// The page-in: waits for the destination's last page and the source's dump to end. Not safe to repeat: an agent restart
/// forgets the daemon it waited on; a failure here is forward-only.
/// </summary>
internal sealed class PageInStep(AgentEdgeRuntime runtime) : PostCopyStep(runtime)
{
    public override StepKind Kind => StepKind.PageIn;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.PageInAsync(c, source, destination, ct);
}

/// <summary>A step of MessageReplay or ReplayWithCutoff.</summary>
internal abstract class ReplayStep(AgentEdgeRuntime runtime) : AgentStep(runtime)
{
    public override bool Handles(MigrationStrategy strategy) => AgentEdgeRuntime.IsReplay(strategy);

    protected sealed override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => RunAsync(c, o, AgentEdgeRuntime.ReplayService(o, c.Cluster.Name, c.Service.Name), source, destination, ct);

    protected abstract Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct);
}

/// <summary>CRIU's probe on both hosts and the workload's /proc facts on the source. Reads only: safe to repeat.</summary>
internal sealed class ProfileStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.Profile;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => Runtime.ProfileAsync(c, o, source, destination, ct);
}

/// <summary>
/// A pre-dump round and its stream to the destination. Not safe to repeat: an interrupted round may have reset the
/// kernel's dirty-page tracking, and a repeat would miss the pages dirtied before it.
/// </summary>
internal sealed class PreDumpStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.PreDump;

    public override bool Handles(MigrationStrategy strategy) => AgentEdgeRuntime.IsPreCopy(strategy);

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.PreDumpAsync(c, source, destination, ct);
}

/// <summary>The final dump (the source stops). Not safe to repeat: after it the source process is gone; a rollback restores it from its images.</summary>
internal sealed class CheckpointStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.Checkpoint;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.CheckpointAsync(c, o, source, destination, ct);
}

/// <summary>The images streamed source agent → destination agent. Safe to repeat: the same images are sent again and replace what arrived.</summary>
internal sealed class TransferStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.Transfer;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.IsPreCopy(c.Plan.Strategy)
            ? AgentEdgeRuntime.TransferAsync(c, source, destination, ct, AgentColdTransfer.Images, withoutPreDumps: true)
            : c.Plan.Strategy == MigrationStrategy.PostCopy
            ? AgentEdgeRuntime.TransferAsync(c, source, destination, ct)
            : AgentEdgeRuntime.TransferAsync(c, source, destination, ct, o.ColdTransferPath);
}

/// <summary>
/// The restore at the destination (address moved first). Safe to repeat: a repeat first asks the destination whether the
/// images were restored already (the agent finishes a restore whatever happens to the call) and keeps that copy when it
/// runs — it may be serving clients already, whose requests a rollback to the older dump would lose (the chaos lab saw a
/// client's counter go back when it did); otherwise the restore runs again.
/// </summary>
internal sealed class RestoreStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.Restore;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.RestoreAsync(c, o, source, destination, ct);
}

/// <summary>Unsolicited ARP for the service address from the destination. Safe to repeat: announcing twice changes nothing.</summary>
internal sealed class SwitchTrafficStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.SwitchTraffic;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.SwitchAsync(c, o, destination, ct);
}

/// <summary>Deletes the images on both hosts. Safe to repeat: a delete of what is gone is a no-op.</summary>
internal sealed class CleanUpStep(AgentEdgeRuntime runtime) : DumpStep(runtime)
{
    public override StepKind Kind => StepKind.CleanUp;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
        => AgentEdgeRuntime.CleanUpAsync(c, source, destination, ct);
}

/// <summary>Profile of a message consumer: the Cold profile plus its queue on the broker. Reads only: safe to repeat.</summary>
internal sealed class ReplayProfileStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.Profile;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => Runtime.ReplayProfileAsync(c, o, t, source, destination, ct);
}

/// <summary>
/// Replay queue bound, marker answered, live dump. Not safe to repeat: the source already remembers the replay queue of
/// the first marker; a rollback deletes the queue and the images instead.
/// </summary>
internal sealed class ReplayCheckpointStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.Checkpoint;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => Runtime.ReplayCheckpointAsync(c, t, source, ct);
}

/// <summary>The images of the live dump to the destination. Safe to repeat, as for Cold.</summary>
internal sealed class ReplayTransferStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.Transfer;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => AgentEdgeRuntime.TransferAsync(c, source, destination, ct);
}

/// <summary>The copy restored with its connections closed. Not safe to repeat: a second copy would consume the replay queue beside the first.</summary>
internal sealed class ReplayRestoreStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.Restore;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => AgentEdgeRuntime.ReplayRestoreAsync(c, t, destination, ct);
}

/// <summary>
/// The replay (round 0: wait for the copy to catch up or for the cutoff; round 1: pause the source and drain). Not safe
/// to repeat: round 1 may have paused the source without the pause's sequence number being stored.
/// </summary>
internal sealed class ReplayMessagesStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.ReplayMessages;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => Runtime.ReplayMessagesAsync(c, t, ct);
}

/// <summary>Pause (unless the cutoff did) and switch the copy to the service's queue. Not safe to repeat: the switch moves the copy's consumer.</summary>
internal sealed class ReplaySwitchStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.SwitchTraffic;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => Runtime.ReplaySwitchAsync(c, t, ct);
}

/// <summary>The paused source told to exit, the queues and images deleted. Safe to repeat: each part checks what is left.</summary>
internal sealed class ReplayCleanUpStep(AgentEdgeRuntime runtime) : ReplayStep(runtime)
{
    public override StepKind Kind => StepKind.CleanUp;
    public override bool SafeToRepeat => true;

    protected override Task<StepResult> RunAsync(StepContext c, AgentClusterOptions o, ReplayTarget t, AgentApiClient source,
        AgentApiClient destination, CancellationToken ct) => Runtime.ReplayCleanUpAsync(c, t, source, destination, ct);
}

internal static class AgentSteps
{
    /// <summary>Every handler of the Agent runtime: adding a strategy means adding its handlers here.</summary>
    public static IReadOnlyList<StepHandler> All(AgentEdgeRuntime runtime) =>
    [
        // PostCopy's own steps first: for its Checkpoint and Restore they, not Cold's, run.
        new LazyCheckpointStep(runtime), new LazyRestoreStep(runtime), new PageInStep(runtime),
        new ProfileStep(runtime), new PreDumpStep(runtime), new CheckpointStep(runtime), new TransferStep(runtime),
        new RestoreStep(runtime), new SwitchTrafficStep(runtime), new CleanUpStep(runtime),
        new ReplayProfileStep(runtime), new ReplayCheckpointStep(runtime), new ReplayTransferStep(runtime), new ReplayRestoreStep(runtime),
        new ReplayMessagesStep(runtime), new ReplaySwitchStep(runtime), new ReplayCleanUpStep(runtime),
    ];
}
