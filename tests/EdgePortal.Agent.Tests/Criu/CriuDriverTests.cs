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
        // Lazy pages as the host is: the pipe limit read from /proc, the verdict the rule gives for it.
        Assert.Equal(long.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), System.Globalization.CultureInfo.InvariantCulture), capabilities.PipeMaxSizeBytes);
        Assert.Equal(capabilities.Uffd && capabilities.LazyPagesDetail!.Contains("CAP_SYS_RESOURCE lets", StringComparison.Ordinal)
            || capabilities.Uffd && capabilities.PipeMaxSizeBytes >= CriuDriver.LazyPagesPipeMaxSize, capabilities.LazyPages);
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

    [Fact]
    public async Task DumpToPageServer_NoSuchProcess_FailsWithCriusOwnWordsAndThePageServerEnds()
    {
        await LabRequirements.EnsureAsync();
        var source = Directory.CreateTempSubdirectory("edgeportal-criu-dump-").FullName;
        var destination = Directory.CreateTempSubdirectory("edgeportal-criu-pages-").FullName;
        var criu = new CriuDriver();
        try
        {
            await using var server = await criu.StartPageServerAsync(destination, null, "127.0.0.1", CancellationToken.None);
            Assert.True(server.Endpoint.Port > 0, $"no port: {server.Endpoint}");

            var outcome = await criu.DumpAsync(new CriuDumpRequest(int.MaxValue - 7, source, PageServer: server.Endpoint), CancellationToken.None);

            var failed = Assert.IsType<CriuOutcome.Failed>(outcome);
            Assert.Contains($"criu dump to the page server 127.0.0.1:{server.Endpoint.Port} failed (exit 1)", failed.Reason, StringComparison.Ordinal);
            Assert.Contains("Dumping FAILED", failed.Reason, StringComparison.Ordinal);
            // The relay connected and closed without pages: the page server has served its one connection and ends.
            await server.Finished.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(Directory.EnumerateFiles(destination, "pages-*.img").Any(), "The page server received pages of a dump that failed.");
        }
        finally
        {
            Directory.Delete(source, recursive: true);
            Directory.Delete(destination, recursive: true);
        }
    }

    [Fact]
    public async Task DumpToPageServer_NobodyListens_FailsSayingTheDumpDidNotRun()
    {
        await LabRequirements.EnsureAsync();
        var images = Directory.CreateTempSubdirectory("edgeportal-criu-dump-").FullName;
        try
        {
            var outcome = await new CriuDriver().DumpAsync(new CriuDumpRequest(int.MaxValue - 7, images, PageServer: new CriuPageServerEndpoint("127.0.0.1", 1)), CancellationToken.None);

            var failed = Assert.IsType<CriuOutcome.Failed>(outcome);
            Assert.Contains("criu dump to the page server 127.0.0.1:1 did not run to its end", failed.Reason, StringComparison.Ordinal);
            Assert.Contains("Connection refused", failed.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(images, recursive: true);
        }
    }

    [Fact]
    public async Task StartPageServer_AddressNotOfThisHost_FailsWithCriusOwnWords()
    {
        await LabRequirements.EnsureAsync();
        var images = Directory.CreateTempSubdirectory("edgeportal-criu-pages-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<CriuPageServerException>(() => new CriuDriver().StartPageServerAsync(images, null, "192.0.2.1", CancellationToken.None));

            Assert.Contains("criu page-server on 192.0.2.1 failed", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(images, recursive: true);
        }
    }

    [Fact]
    public void PidInItsNamespace_ProcessOfTheAgentsNamespace_IsItsOwnPid()
    {
        Assert.Equal((Environment.ProcessId, false), CriuDriver.PidInItsNamespace(Environment.ProcessId));
        Assert.Equal((4_000_000, false), CriuDriver.PidInItsNamespace(4_000_000));
    }
}
