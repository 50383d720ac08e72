using EdgePortal.Web.Calibration;

namespace EdgePortal.Web.Tests.Planning;

public sealed class CalibrateArgumentsTests
{
    [Fact]
    public void Parse_AllOptions_ReadsThemAndPassesConfigurationThrough()
    {
        var parsed = CalibrateArguments.Parse(["--cluster", "lab", "--node", "h1", "--to", "h2", "--workload", "/tmp/stateservice {port} {bytes} {rate}",
            "--netns", "/run/netns/eplab-h1", "--host-class", "lab-x86", "--sizes", "1,20", "--dirty-rates", "0,1000", "--repeat", "2",
            "--bandwidth", "5e8", "--port", "7200", "--no-warm-up", "--EdgePortal:Storage:Path=/tmp/x.db"]);

        Assert.Equal(("lab", "h1", "h2", "lab-x86"), (parsed.Cluster, parsed.Node, parsed.Destination, parsed.HostClass));
        Assert.Equal([1_048_576L, 20_971_520L], parsed.SizesBytes);
        Assert.Equal([0.0, 1_000], parsed.DirtyRates);
        Assert.Equal((2, 5e8, 7200, false), (parsed.Repeats, parsed.BandwidthBitsPerSecond, parsed.Port, parsed.WarmUp));
        Assert.Equal(["--EdgePortal:Storage:Path=/tmp/x.db"], parsed.Configuration);
        Assert.True(parsed.LiveDump && parsed.PostCopy);
    }

    [Fact]
    public void Parse_NoLiveDumpNoPostCopy_LeavesThoseStagesOut()
    {
        var parsed = CalibrateArguments.Parse(["--cluster", "lab", "--node", "h1", "--to", "h2", "--workload", "svc {port} {bytes} {rate}", "--no-live-dump", "--no-post-copy"]);

        Assert.Equal((false, false), (parsed.LiveDump, parsed.PostCopy));
    }

    [Fact]
    public void Parse_OnlyRequired_UsesTheDefaultGrid()
    {
        var parsed = CalibrateArguments.Parse(["--cluster", "lab", "--node", "h1", "--workload", "svc {port} {bytes} {rate}"]);

        Assert.Equal(4, parsed.SizesBytes.Count);
        Assert.Equal([0.0, 1_000, 10_000], parsed.DirtyRates);
        Assert.Equal(3, parsed.Repeats);
        Assert.Null(parsed.Destination);
    }

    [Theory]
    [InlineData("--node h1 --workload w", "--cluster is required")]
    [InlineData("--cluster lab --node h1 --workload w --sizes 10", "at least two different state sizes")]
    [InlineData("--cluster lab --node h1 --workload w --sizes 1,x", "'x' is not a valid value")]
    [InlineData("--cluster lab --node h1 --workload w --repeat 0", "--repeat must be")]
    [InlineData("--cluster lab --node h1 --workload w --to h1", "--to must name another node")]
    [InlineData("--cluster lab --node h1 --workload w --frobnicate", "unknown argument '--frobnicate'")]
    public void Parse_BadArguments_NamesWhatIsWrong(string args, string message)
    {
        var e = Assert.Throws<FormatException>(() => CalibrateArguments.Parse(args.Split(' ')));

        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task RunAsync_UnknownCluster_Exits2AndSaysWhichAreConfigured()
    {
        using var folder = new TempFolder();
        using var output = new StringWriter();

        var code = await CalibrateCommand.RunAsync(["--cluster", "nowhere", "--node", "h1", "--workload", "svc {port} {bytes} {rate}",
            $"--EdgePortal:Storage:Path={folder.File("calibrate.db")}"], output);

        Assert.Equal(2, code);
        Assert.Contains("no Agent cluster 'nowhere' is configured", output.ToString());
    }

    [Fact]
    public void CalibrationWorkloadCommand_Template_ReplacesPortBytesAndRate()
    {
        var command = new EdgePortal.Runtime.Agent.CalibrationWorkloadCommand("/opt/stateservice {port} {bytes} {rate}", null, 7100, TimeSpan.FromSeconds(1));

        Assert.Equal(["/opt/stateservice", "7100", "10485760", "1000"], command.Arguments(10_485_760, 1_000));
    }
}
