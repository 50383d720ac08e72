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
    Bandwidth PathBandwidth);

public sealed record RollbackContext(
    MigrationId MigrationId,
    ServiceInstance Service,
    EdgeCluster Cluster,
    EdgeNode Source,
    EdgeNode Destination,
    MigrationPlan Plan,
    /// <summary>The steps that had succeeded, in order: what there is to undo.</summary>
    IReadOnlyList<MigrationStep> CompletedSteps,
    string Reason);

/// <summary>How a step ended. Failures carry the runtime's own words, shown to the operator as they are.</summary>
public abstract record StepOutcome
{
    /// <param name="DurationMs">
    /// The runtime's own measurement of the step (CRIU's stats, the simulator's virtual clock), when it
    /// has one; otherwise the engine uses its wall clock.
    /// </param>
    public sealed record Success(string? Message = null, double? DurationMs = null) : StepOutcome;

    public sealed record Failure(string Reason, TimeSpan? RetryAfter = null) : StepOutcome;
}
