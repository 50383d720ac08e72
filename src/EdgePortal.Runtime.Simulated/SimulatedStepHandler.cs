using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Simulated;

/// <summary>
/// A step of the digital twin. The simulator models every step kind the same way (the plan's prediction times noise,
/// the step's effect on the twin), so its handlers are one class per kind over the shared model; each is safe to
/// repeat: the twin is the simulator's own memory of the world, rebuilt from the plan when a restart lost it.
/// </summary>
internal sealed class SimulatedStepHandler(SimulatedEdgeRuntime runtime, StepKind kind) : StepHandler
{
    public override StepKind Kind { get; } = kind;

    public override bool SafeToRepeat => true;

    public override Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
        => runtime.RunStepAsync(context, cancellationToken);
}
