using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// The only port to the edge. A runtime implements the steps of every strategy for the clusters of
/// one <see cref="ClusterKind"/>; the engine decides the order, times each step and decides what
/// counts as downtime. Implementations answer with a <see cref="StepOutcome"/>, never an exception,
/// for anything the edge itself did wrong.
/// </summary>
public interface IEdgeRuntime
{
    ClusterKind Kind { get; }

    /// <summary>Whether the cluster answers, and what it can do (<see cref="RuntimeCapabilities"/>); the <see cref="RuntimeCapabilityCatalog"/> caches it.</summary>
    Task<RuntimeProbe> ProbeAsync(EdgeCluster cluster, CancellationToken cancellationToken);

    /// <summary>Runs one step of a migration.</summary>
    Task<StepOutcome> ExecuteAsync(StepContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Undoes whatever the migration did so far so that the source serves as before: resume or keep the
    /// source, delete what was created at the destination. Called once, after the failing or cancelled step.
    /// </summary>
    Task<StepOutcome> RollbackAsync(RollbackContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a step of this kind may run again after the process running it stopped part-way through it: its effects
    /// so far are either none or known from the artifacts the earlier steps stored, and running it once more does not do
    /// them twice. The engine resumes such a migration from that step on restart; otherwise it rolls it back.
    /// </summary>
    bool SafeToRepeat(MigrationStrategy strategy, StepKind kind) => false;

    /// <summary>How often a step of this kind is tried when it fails with a <see cref="StepOutcome.Failure.RetryAfter"/>.</summary>
    StepRetryPolicy RetryPolicy(MigrationStrategy strategy, StepKind kind) => StepRetryPolicy.For(kind);
}

/// <summary>
/// Retries of one step kind: a failure that carries <see cref="StepOutcome.Failure.RetryAfter"/> is tried again after
/// that wait (at most <see cref="MaxDelay"/>), up to <see cref="MaxAttempts"/> attempts in all; every failed attempt is
/// recorded on the step and shown in the timeline. A failure without RetryAfter ends the step at once.
/// </summary>
public sealed record StepRetryPolicy(int MaxAttempts, TimeSpan MaxDelay)
{
    public static readonly StepRetryPolicy Never = new(1, TimeSpan.Zero);

    /// <summary>
    /// The defaults. Steps inside the downtime (the final dump, restore, switch) get short waits, since every second is
    /// the users'; a replay is timed against the cutoff and is never retried; the clean-up may wait longest.
    /// </summary>
    public static StepRetryPolicy For(StepKind kind) => kind switch
    {
        StepKind.Profile => new(3, TimeSpan.FromSeconds(30)),
        StepKind.PreDump => new(2, TimeSpan.FromSeconds(10)),
        StepKind.Checkpoint => new(2, TimeSpan.FromSeconds(5)),
        StepKind.Transfer => new(3, TimeSpan.FromSeconds(10)),
        StepKind.Restore => new(2, TimeSpan.FromSeconds(5)),
        StepKind.SwitchTraffic => new(3, TimeSpan.FromSeconds(2)),
        StepKind.CleanUp => new(3, TimeSpan.FromSeconds(30)),
        _ => Never,
    };

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1, or null when there is none.</summary>
    public TimeSpan? DelayAfter(int attempt, TimeSpan? retryAfter) =>
        retryAfter is { } wait && attempt < MaxAttempts ? (wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxDelay ? MaxDelay : wait) : null;
}

/// <summary>
/// What a runtime says about a cluster when asked: whether it answers, a line for people, and what it can do there
/// (<see cref="RuntimeCapabilities"/>, also when it does not answer: what its configuration alone allows), per host when
/// it probes hosts one by one.
/// </summary>
public sealed record RuntimeProbe(bool Reachable, string Summary, RuntimeCapabilities Capabilities, IReadOnlyList<HostCapabilities>? Nodes = null);

/// <summary>Everything a runtime needs to run one step, without reaching back into the engine.</summary>
public sealed record StepContext(
    MigrationId MigrationId,
    ServiceInstance Service,
    EdgeCluster Cluster,
    EdgeNode Source,
    EdgeNode Destination,
    MigrationPlan Plan,
    MigrationStep Step,
    /// <summary>The narrowest link between source and destination.</summary>
    Bandwidth PathBandwidth,
    /// <summary>What the steps that succeeded before this one stored (archive, image, queues, pods …).</summary>
    StepArtifacts? Artifacts = null,
    /// <summary>The links of the path from source to destination, in order; null when unknown (the path is then one link of <see cref="PathBandwidth"/>).</summary>
    IReadOnlyList<NetworkLink>? PathLinks = null,
    /// <summary>The destination's cluster when it is not <see cref="Cluster"/> (the source's, whose runtime runs the steps); null: the same.</summary>
    EdgeCluster? DestinationCluster = null)
{
    /// <summary>The stored artifacts, never null.</summary>
    public StepArtifacts Stored => Artifacts ?? StepArtifacts.None;

    /// <summary>The cluster the destination node belongs to: <see cref="DestinationCluster"/>, else <see cref="Cluster"/>.</summary>
    public EdgeCluster TargetCluster => DestinationCluster ?? Cluster;
}

public sealed record RollbackContext(
    MigrationId MigrationId,
    ServiceInstance Service,
    EdgeCluster Cluster,
    EdgeNode Source,
    EdgeNode Destination,
    MigrationPlan Plan,
    /// <summary>The steps that had succeeded, in order: what there is to undo.</summary>
    IReadOnlyList<MigrationStep> CompletedSteps,
    string Reason,
    /// <summary>The destination's cluster when it is not <see cref="Cluster"/>; null: the same.</summary>
    EdgeCluster? DestinationCluster = null)
{
    /// <summary>The cluster the destination node belongs to: <see cref="DestinationCluster"/>, else <see cref="Cluster"/>.</summary>
    public EdgeCluster TargetCluster => DestinationCluster ?? Cluster;

    /// <summary>What the completed steps stored: what there is to undo, and where.</summary>
    public StepArtifacts Artifacts => StepArtifacts.Of(CompletedSteps);
}

/// <summary>How a step ended. Failures carry the runtime's own words, shown to the operator as they are.</summary>
public abstract record StepOutcome
{
    /// <param name="DurationMs">
    /// The runtime's own measurement of the step (CRIU's stats, the simulator's virtual clock), when it
    /// has one; otherwise the engine uses its wall clock.
    /// </param>
    /// <param name="Artifacts">What the step left for later steps and a rollback; the engine stores it with the step.</param>
    /// <param name="FrozenMs">The service frozen within the step (a live dump), when the runtime measured it: the step's downtime.</param>
    public sealed record Success(string? Message = null, double? DurationMs = null, StepArtifacts? Artifacts = null, double? FrozenMs = null) : StepOutcome;

    public sealed record Failure(string Reason, TimeSpan? RetryAfter = null) : StepOutcome;
}
