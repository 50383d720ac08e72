namespace EdgePortal.Core.Domain;

public enum MigrationStrategy
{
    /// <summary>Checkpoint, transfer, restore: the whole state moves while the service is frozen.</summary>
    Cold,
    /// <summary>One pre-dump round while the service runs, then stop-and-copy (IterativePreCopy with I = 0).</summary>
    PreCopy,
    /// <summary>A pre-dump, I dump rounds of dirtied pages, then stop-and-copy.</summary>
    IterativePreCopy,
    /// <summary>MS2M: the target restored from a live checkpoint replays the messages since it, then traffic switches.</summary>
    MessageReplay,
    /// <summary>MS2M with a threshold that stops the source when replay cannot converge in time.</summary>
    ReplayWithCutoff,
    /// <summary>
    /// Post-copy (CRIU lazy pages): everything but the memory is dumped and restored while the service is down, it then runs at
    /// the destination at once and its pages follow on demand and in the background; until the last page arrives it depends on
    /// the source. Last so that stored values keep their meaning.
    /// </summary>
    PostCopy,
}

/// <summary>The fixed vocabulary of steps every runtime implements (see the runtime table in the architecture doc).</summary>
public enum StepKind
{
    Profile,
    PreDump,
    Checkpoint,
    Transfer,
    Restore,
    ReplayMessages,
    SwitchTraffic,
    CleanUp,
    /// <summary>Post-copy: the memory pages move from the source to the destination that already serves (the degradation window). Last so that stored values keep their meaning.</summary>
    PageIn,
}

/// <summary>
/// One step of a plan with the model's prediction; <see cref="Round"/> numbers pre-dump rounds (0 = the full pre-dump).
/// <see cref="SendingMs"/> is the step's network part: how long, from the step's start, it sends its bytes over the path at
/// the reserved rate (the rest of the step is dump or restore work that leaves the link idle); 0 for a step that sends
/// nothing. Null in plans stored before it existed: the link ledger then holds the reservation over the whole run.
/// </summary>
public sealed record PlannedStep(StepKind Kind, int Round, double PredictedMs, bool IsDowntime, double? SendingMs = null)
{
    /// <summary>Whether the step sends over the path (pre-dump rounds, transfers, page-in).</summary>
    public static bool Sends(StepKind kind) => kind is StepKind.PreDump or StepKind.Transfer or StepKind.PageIn;

    public string Label => Kind switch
    {
        StepKind.PreDump => Round == 0 ? "Pre-dump" : $"Dump round {Round}",
        StepKind.ReplayMessages => Round == 0 ? "Replay messages" : "Replay after cutoff",
        StepKind.SwitchTraffic => "Switch traffic",
        StepKind.CleanUp => "Clean up",
        StepKind.PageIn => "Page in",
        _ => Kind.ToString(),
    };
}

/// <summary>
/// What the designer decided for one migration, and why: strategy, destination, reserved bandwidth,
/// iterations or cutoff, the predicted KPIs per phase, and the constraint that bound the choice.
/// An infeasible plan is still a plan: the nearest configuration, with <see cref="Feasible"/> false
/// and the rationale saying what would make it feasible.
/// <see cref="PredictedStartMs"/> is how long after acceptance the planner expects it to start (the wait for bandwidth it
/// chose, <see cref="Capacity"/>); the predicted completion is that plus <see cref="PredictedRunMs"/>.
/// </summary>
public sealed record MigrationPlan(
    MigrationStrategy Strategy,
    NodeId Source,
    NodeId Destination,
    Bandwidth ReservedBandwidth,
    int Iterations,
    double? CutoffMs,
    double PredictedDowntimeMs,
    double PredictedMigrationTimeMs,
    IReadOnlyList<PlannedStep> Steps,
    bool Feasible,
    string? BindingConstraint,
    string Rationale,
    double PredictedStartMs = 0,
    CapacityChoice Capacity = CapacityChoice.None)
{
    /// <summary>
    /// How long the engine runs it once started: every step, the profile and the clean-up too (T_mig leaves them out), so
    /// what its measured run, from start to end, is compared with.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double PredictedRunMs => Math.Max(PredictedMigrationTimeMs, Steps.Sum(s => s.PredictedMs));

    /// <summary>From acceptance to the end: the wait for bandwidth and a slot, plus the run.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double PredictedCompletionMs => PredictedStartMs + PredictedRunMs;
}
