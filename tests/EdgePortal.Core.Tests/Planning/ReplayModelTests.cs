using EdgePortal.Core.Planning;

namespace EdgePortal.Core.Tests.Planning;

/// <summary>
/// The MS2M model on the Table III costs. With M = 10 MB and L = 1 Gbit/s the time before replay is
/// X = T_p + V_0/L + T_r + (T_add − switch) = 235.776 + 83.39456 + 426.36 + (241 − 71) = 915.53056 ms, and the switch 71 ms.
/// </summary>
public sealed class ReplayModelTests
{
    private const long M = 10_000_000;
    private const double GigabitBytesPerMs = 125_000;
    private const double X = 915.53056;
    private static readonly PamParameters P = PamParameters.PaperTestbed;

    [Fact]
    public void MessageReplay_ProcessingFasterThanArrivals_DrainsBacklog()
    {
        // λ = 100/s, μ = 200/s: backlog = 100·0.91553056 = 91.55 messages; catch-up = λ·X/(μ − λ) = 100·915.53056/100 = 915.53056 ms;
        // total = X + catch-up + switch = 915.53056 + 915.53056 + 71 = 1,902.06112 ms; downtime = the source frozen for the
        // live dump (T_p = 235.776 ms) + switch = 306.776 ms.
        var prediction = ReplayModel.MessageReplay(M, GigabitBytesPerMs, 100, 200, P);

        Assert.Equal(X, prediction.PreReplayMs, 9);
        Assert.Equal(91.553056, prediction.BacklogMessages, 9);
        Assert.True(prediction.Converges);
        Assert.Equal(915.53056, prediction.CatchUpMs, 9);
        Assert.Equal(235.776, prediction.FrozenMs, 9);
        Assert.Equal(306.776, prediction.DowntimeMs, 9);
        Assert.Equal(1_902.06112, prediction.MigrationTimeMs, 9);
    }

    [Fact]
    public void MessageReplay_CheckpointTransferRestore_AddUpToColdTime()
    {
        // X + switch = 915.53056 + 71 = 986.53056 = the cold migration time: same costs, only the frozen part differs.
        var prediction = ReplayModel.MessageReplay(M, GigabitBytesPerMs, 100, 200, P);

        Assert.Equal(PamModel.Cold(M, GigabitBytesPerMs, P).MigrationTimeMs, prediction.PreReplayMs + prediction.SwitchMs, 9);
        Assert.Equal(235.776, prediction.CheckpointMs, 9);
        Assert.Equal(83.39456, prediction.TransferMs, 9);
        Assert.Equal(426.36 + 170, prediction.RestoreMs, 9);
    }

    [Theory]
    [InlineData(200, 100)]
    [InlineData(150, 150)]
    public void MessageReplay_ProcessingNotFaster_Diverges(double arrival, double processing)
    {
        var prediction = ReplayModel.MessageReplay(M, GigabitBytesPerMs, arrival, processing, P);

        Assert.False(prediction.Converges);
        Assert.Equal(double.PositiveInfinity, prediction.CatchUpMs);
        Assert.Equal(double.PositiveInfinity, prediction.MigrationTimeMs);
        Assert.Equal(306.776, prediction.DowntimeMs, 9);
    }

    [Fact]
    public void WithCutoff_SlowConvergence_CutoffBoundsTotalAndDrainIsDowntime()
    {
        // λ = 100/s, μ = 110/s, θ_mig = 5,000 ms.
        // T_replay_max = θ_mig − X − switch = 5,000 − 915.53056 − 71 = 4,013.46944
        // T_cutoff ≤ T_replay_max·μ/λ = 4,013.46944·1.1 = 4,414.816384 (natural catch-up t* = X·μ/(μ − λ) = 10,070.8 comes later)
        // replay ends at X + λ·T_cutoff/μ = 915.53056 + 4,013.46944 = 4,929; drain = 4,929 − 4,414.816384 = 514.183616
        // downtime = 235.776 (the live dump's freeze) + 514.183616 + 71 = 820.959616; total = 4,929 + 71 = 5,000
        var prediction = ReplayModel.WithCutoff(M, GigabitBytesPerMs, 100, 110, 5_000, P);

        Assert.Equal(4_013.46944, prediction.MaxReplayMs, 9);
        Assert.Equal(4_414.816384, prediction.CutoffMs!.Value, 9);
        Assert.True(prediction.CutoffTriggers);
        Assert.Equal(4_414.816384 - X, prediction.CatchUpMs, 9);
        Assert.Equal(514.183616, prediction.DrainAfterCutoffMs, 9);
        Assert.Equal(820.959616, prediction.DowntimeMs, 9);
        Assert.Equal(5_000, prediction.MigrationTimeMs, 9);
    }

    [Fact]
    public void WithCutoff_FastConvergence_NeverTriggers()
    {
        // λ = 100/s, μ = 200/s: t* = X·2 = 1,831.06 < T_cutoff bound = 4,013.47·2 = 8,026.9: replay catches up first.
        var prediction = ReplayModel.WithCutoff(M, GigabitBytesPerMs, 100, 200, 5_000, P);

        Assert.False(prediction.CutoffTriggers);
        Assert.Equal(8_026.93888, prediction.CutoffMs!.Value, 9);
        Assert.Equal(0, prediction.DrainAfterCutoffMs, 9);
        Assert.Equal(306.776, prediction.DowntimeMs, 9);
        Assert.Equal(ReplayModel.MessageReplay(M, GigabitBytesPerMs, 100, 200, P).MigrationTimeMs, prediction.MigrationTimeMs, 9);
    }

    [Fact]
    public void WithCutoff_ProcessingSlowerThanArrivals_StopsSourceWhenTargetIsUp()
    {
        // λ = 200/s, μ = 100/s: waiting only grows the backlog, so T_cutoff = X; the λ·X messages drain in λ·X/μ = 2·915.53056 = 1,831.06112.
        // downtime = 235.776 (the live dump's freeze) + 1,831.06112 + 71 = 2,137.83712; total = X + 1,831.06112 + 71 = 2,817.59168
        // (bound: T_replay_max·μ/λ = 4,013.46944·0.5 = 2,006.73 ≥ X, so θ_mig = 5 s is met)
        var prediction = ReplayModel.WithCutoff(M, GigabitBytesPerMs, 200, 100, 5_000, P);

        Assert.Equal(X, prediction.CutoffMs!.Value, 9);
        Assert.True(prediction.CutoffTriggers);
        Assert.Equal(0, prediction.CatchUpMs, 9);
        Assert.Equal(2_137.83712, prediction.DowntimeMs, 9);
        Assert.Equal(2_817.59168, prediction.MigrationTimeMs, 9);
        Assert.True(ReplayModel.MaxCutoffMs(prediction.MaxReplayMs, 200, 100) >= X);
    }

    [Fact]
    public void MaxCutoffMs_PaperBound_IsReplayTimesMuOverLambda()
    {
        Assert.Equal(3_000, ReplayModel.MaxCutoffMs(1_500, 50, 100), 12);
        Assert.Equal(double.PositiveInfinity, ReplayModel.MaxCutoffMs(1_500, 0, 100));
    }

    [Fact]
    public void CatchUpMs_NoArrivals_Zero()
    {
        Assert.Equal(0, ReplayModel.CatchUpMs(X, 0, 10));
    }

    [Fact]
    public void MinBandwidthForMessageReplay_SwitchAboveDowntimeTarget_Unachievable()
    {
        Assert.False(ReplayModel.MinBandwidthForMessageReplay(M, 100, 200, 50, 5_000, P).IsAchievable);
    }

    [Fact]
    public void MinBandwidthForMessageReplay_FiveSeconds_HandComputed()
    {
        // k = μ/(μ − λ) = 2; total = 2·(X_0 + V_0/L) + 71 ≤ 5,000 with X_0 = 235.776 + 426.36 + 170 = 832.136:
        // L ≥ 2·10,424,320/(5,000 − 2·832.136 − 71) = 20,848,640/3,264.728 = 6,386.05 B/ms ≈ 51.1 Mbit/s
        var requirement = ReplayModel.MinBandwidthForMessageReplay(M, 100, 200, 2_000, 5_000, P);

        Assert.Equal(20_848_640 / 3_264.728, requirement.BytesPerMillisecond, 6);
        var atRequirement = ReplayModel.MessageReplay(M, requirement.BytesPerMillisecond, 100, 200, P);
        Assert.Equal(5_000, atRequirement.MigrationTimeMs, 6);
    }

    [Fact]
    public void MinBandwidthForCutoff_SlowConvergence_MeetsDowntimeExactly()
    {
        // θ_down = 800 ms: the live dump's freeze (235.776) and the switch (71) leave 493.224 ms for the drain.
        var requirement = ReplayModel.MinBandwidthForCutoff(M, 100, 110, 800, 5_000, P);
        var atRequirement = ReplayModel.WithCutoff(M, requirement.BytesPerMillisecond, 100, 110, 5_000, P);

        Assert.True(requirement.IsAchievable);
        Assert.Equal(800, atRequirement.DowntimeMs, 6);
        Assert.True(atRequirement.MigrationTimeMs <= 5_000 + 1e-6);
    }
}
