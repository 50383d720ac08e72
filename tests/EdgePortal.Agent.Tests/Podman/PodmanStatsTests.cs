using EdgePortal.Agent.Podman;

namespace EdgePortal.Agent.Tests.Podman;

/// <summary>
/// What <c>podman container checkpoint/restore --print-stats</c> writes (Podman 4.3.1 with runc and CRIU 4.2.1, captured on
/// this machine), read into the figures the migration's steps report.
/// </summary>
public sealed class PodmanStatsTests
{
    private const string Checkpoint = """
        {
            "podman_checkpoint_duration": 312466,
            "container_statistics": [
                {
                    "Id": "6c46ba86e2bc3aa37607f5d372a3fea2e7e6d9a8a56f67cd963afff4b97f6bcd",
                    "RawInput": "pdx-c1",
                    "runtime_checkpoint_duration": 169801,
                    "criu_statistics": {
                        "freezing_time": 3254,
                        "frozen_time": 84873,
                        "memdump_time": 788,
                        "memwrite_time": 175,
                        "pages_scanned": 48,
                        "pages_written": 34
                    }
                }
            ]
        }
        """;

    private const string Restore = """
        {
            "podman_restore_duration": 303431,
            "container_statistics": [
                {
                    "Id": "6c46ba86e2bc3aa37607f5d372a3fea2e7e6d9a8a56f67cd963afff4b97f6bcd",
                    "RawInput": "",
                    "runtime_restore_duration": 198893,
                    "criu_statistics": {
                        "pages_compared": 9,
                        "pages_skipped_cow": 2,
                        "forking_time": 477,
                        "restore_time": 68270,
                        "pages_restored": 32
                    }
                }
            ]
        }
        """;

    [Fact]
    public void ParseStats_Checkpoint_PodmanRuntimeAndCriuDumpFigures()
    {
        var stats = PodmanDriver.ParseStats(Checkpoint, "podman_checkpoint_duration", "runtime_checkpoint_duration");

        Assert.NotNull(stats);
        Assert.Equal((312466L, 169801L), (stats.PodmanDurationUs, stats.RuntimeDurationUs));
        Assert.Equal((3254u, 84873u, 788u, 175u), (stats.Dump!.FreezingTimeUs, stats.Dump.FrozenTimeUs, stats.Dump.MemdumpTimeUs, stats.Dump.MemwriteTimeUs));
        Assert.Equal((48ul, 34ul), (stats.Dump.PagesScanned, stats.Dump.PagesWritten));
        Assert.Null(stats.Restore);
    }

    [Fact]
    public void ParseStats_Restore_PodmanRuntimeAndCriuRestoreFigures()
    {
        var stats = PodmanDriver.ParseStats("time=\"…\" level=warning msg=\"noise before\"\n" + Restore, "podman_restore_duration", "runtime_restore_duration");

        Assert.NotNull(stats);
        Assert.Equal((303431L, 198893L), (stats.PodmanDurationUs, stats.RuntimeDurationUs));
        Assert.Equal((68270u, 477u, 32ul), (stats.Restore!.RestoreTimeUs, stats.Restore.ForkingTimeUs, stats.Restore.PagesRestored));
        Assert.Null(stats.Dump);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Error: no container with name or ID \"x\" found")]
    [InlineData("{ not json }")]
    public void ParseStats_NoStats_Null(string output) =>
        Assert.Null(PodmanDriver.ParseStats(output, "podman_checkpoint_duration", "runtime_checkpoint_duration"));
}
