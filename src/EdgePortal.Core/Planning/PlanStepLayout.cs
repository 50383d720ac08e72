using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Planning;

/// <summary>
/// Step layout: the steps of a strategy with their predicted times. Restore carries T_r plus the part of T_add that
/// prepares the target (T_add − <see cref="PamParameters.SwitchMs"/>), SwitchTraffic carries <see cref="PamParameters.SwitchMs"/>;
/// the downtime steps add up to the predicted downtime, and all but Profile and CleanUp to the predicted migration time.
/// Every step that sends over the path (pre-dump rounds, transfers, page-in) carries its network part
/// (<see cref="PlannedStep.SendingMs"/>: its bytes at the reserved rate); the link ledger holds the reservation only then.
/// </summary>
internal static class PlanStepLayout
{
    internal static List<PlannedStep> Steps(in StrategyAssessment a, PamParameters p)
    {
        var setup = p.RuntimeOverheadMs - p.SwitchMs;
        var steps = new List<PlannedStep>(a.Strategy == MigrationStrategy.IterativePreCopy ? 8 + a.Iterations : 8)
        {
            new(StepKind.Profile, 0, p.ProfileMs, false),
        };
        switch (a.Strategy)
        {
            case MigrationStrategy.Cold:
                steps.Add(new(StepKind.Checkpoint, 0, a.Pam.PreDumpMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Pam.PreDumpTransferMs, true, a.Pam.PreDumpTransferMs));
                steps.Add(new(StepKind.Restore, 0, a.Pam.RestoreMs + setup, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, p.SwitchMs, true));
                break;
            case MigrationStrategy.PreCopy:
            case MigrationStrategy.IterativePreCopy:
                steps.Add(new(StepKind.PreDump, 0, a.Pam.RoundZeroMs, false, a.Pam.PreDumpTransferMs));
                for (var round = 1; round <= a.Iterations; round++)
                    steps.Add(new(StepKind.PreDump, round, a.Pam.DumpMs + a.Pam.DumpTransferMs, false, a.Pam.DumpTransferMs));
                steps.Add(new(StepKind.Checkpoint, 0, a.Pam.DumpMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Pam.DumpTransferMs, true, a.Pam.DumpTransferMs));
                steps.Add(new(StepKind.Restore, 0, a.Pam.RestoreMs + setup, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, p.SwitchMs, true));
                break;
            case MigrationStrategy.MessageReplay:
                // The live dump freezes the source while CRIU copies it: its clients wait, so the step is downtime (the
                // runtime reports the frozen interval within it, FrozenMs, as the step's downtime). The step is booked at
                // the freeze, T_f; what the dump writes after the thaw (T_p − T_f) goes with the transfer, the source serving.
                steps.Add(new(StepKind.Checkpoint, 0, a.Replay.FrozenMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Replay.CheckpointMs - a.Replay.FrozenMs + a.Replay.TransferMs, false, a.Replay.TransferMs));
                steps.Add(new(StepKind.Restore, 0, a.Replay.RestoreMs, false));
                steps.Add(new(StepKind.ReplayMessages, 0, a.Replay.CatchUpMs, false));
                steps.Add(new(StepKind.SwitchTraffic, 0, a.Replay.SwitchMs, true));
                break;
            case MigrationStrategy.ReplayWithCutoff:
                steps.Add(new(StepKind.Checkpoint, 0, a.Replay.FrozenMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.Replay.CheckpointMs - a.Replay.FrozenMs + a.Replay.TransferMs, false, a.Replay.TransferMs));
                steps.Add(new(StepKind.Restore, 0, a.Replay.RestoreMs, false));
                steps.Add(new(StepKind.ReplayMessages, 0, a.Replay.CatchUpMs, false));
                steps.Add(new(StepKind.ReplayMessages, 1, a.Replay.DrainAfterCutoffMs, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, a.Replay.SwitchMs, true));
                break;
            case MigrationStrategy.PostCopy:
                // Frozen: the lazy dump, the small images, the lazy restore; then the service runs and its pages follow.
                steps.Add(new(StepKind.Checkpoint, 0, a.PostCopy.LazyDumpMs, true));
                steps.Add(new(StepKind.Transfer, 0, a.PostCopy.ImageTransferMs, true, a.PostCopy.ImageTransferMs));
                steps.Add(new(StepKind.Restore, 0, a.PostCopy.LazyRestoreMs + setup, true));
                steps.Add(new(StepKind.SwitchTraffic, 0, p.SwitchMs, true));
                steps.Add(new(StepKind.PageIn, 0, a.PostCopy.DegradationWindowMs, false, a.PostCopy.DegradationWindowMs));
                break;
        }
        steps.Add(new(StepKind.CleanUp, 0, p.CleanUpMs, false));
        return steps;
    }
}
