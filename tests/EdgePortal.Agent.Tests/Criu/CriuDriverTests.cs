using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>The driver against the real criu binary (root; fails with the reason otherwise).</summary>
[Trait("Category", "CriuLab")]
public sealed class CriuDriverTests
{
    [Fact]
    public async Task Probe_ThisHost_ReportsWhatCriuSays()
    {
        var capabilities = await LabRequirements.EnsureAsync();

        Assert.StartsWith("4.2", capabilities.Version, StringComparison.Ordinal);
        // Detected, never assumed: the flag must agree with CRIU's own warning, whichever way this kernel is.
        Assert.Equal(!capabilities.Report.Contains("Dirty tracking is OFF", StringComparison.Ordinal), capabilities.DirtyTracking);
        Assert.True(capabilities.TcpRepair);
    }

    [Fact]
    public async Task Dump_NoSuchProcess_FailsWithCriusOwnWords()
    {
        await LabRequirements.EnsureAsync();
        var images = Directory.CreateTempSubdirectory("edgeportal-criu-dump-").FullName;
        try
        {
            var outcome = await new CriuDriver().DumpAsync(new CriuDumpRequest(int.MaxValue - 7, images), CancellationToken.None);

            var failed = Assert.IsType<CriuOutcome.Failed>(outcome);
            Assert.Contains("criu dump failed (exit 1)", failed.Reason, StringComparison.Ordinal);
            Assert.Contains("Dumping FAILED", failed.Reason, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(images, CriuDriver.DumpLog), failed.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(images, recursive: true);
        }
    }

    [Fact]
    public async Task Restore_NoImages_FailsWithCriusOwnWords()
    {
        await LabRequirements.EnsureAsync();
        var images = Directory.CreateTempSubdirectory("edgeportal-criu-restore-").FullName;
        try
        {
            var outcome = await new CriuDriver().RestoreAsync(new CriuRestoreRequest(images), CancellationToken.None);

            var failed = Assert.IsType<CriuOutcome.Failed>(outcome);
            Assert.Contains("criu restore failed", failed.Reason, StringComparison.Ordinal);
            Assert.Contains("Error", failed.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(images, recursive: true);
        }
    }
}
