using System.Globalization;
using EdgePortal.Core.Calibration;
using EdgePortal.Core.Planning;
using EdgePortal.Storage;
using EdgePortal.Testing.Lab;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// Issue 9 item 5 on a real lab: the calibration runner drives two real agents (in-process Kestrel, each acting in its lab
/// host's network namespace), which drive real CRIU 4.2.1 on the lab's state service, over a small grid; the fit is stored in
/// a real LiteDB file, read back after reopening it, and its predictions must be close to what was measured. Needs root;
/// without it the test fails with that reason, it never passes silently.
/// </summary>
[Trait("Category", "CriuLab")]
[Collection(CriuLabCollection.Name)]
public sealed class LabCalibrationTests(ITestOutputHelper output)
{
    private const int Port = 7300;
    private const string HostClass = "lab-calibration";

    /// <summary>
    /// How close the prediction must be to the median of each grid point's measured downtimes: 35% of it or 40 ms, whichever is
    /// larger. The median of five, because a machine shared with other work (two cores here) now and then stalls a migration by a
    /// few hundred ms, once two in a row (CI: dump and restore each ~800 ms beyond CRIU's own times, in two of three repeats);
    /// a single sample is printed with its own error but not held to the tolerance.
    /// </summary>
    private const double RelativeTolerance = 0.35, AbsoluteToleranceMs = 40;

    [Fact]
    public async Task RunAndFit_TwoSizesFiveRepeatsBetweenLabHosts_StoredCalibrationPredictsTheMeasurementsWithinTolerance()
    {
        var capabilities = await LabRequirements.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("edgeportal-calibration-lab-").FullName;
        try
        {
            await using var lab = await Lab.UpAsync(2, "10.236.0");
            var (service, _) = await Workloads.BuildAsync(folder);
            var (first, second) = await AgentEdge.AgentsAsync(lab);
            await using var h1 = first;
            await using var h2 = second;
            var cluster = AgentEdge.ClusterOf(h1, h2);
            var workload = new CalibrationWorkloadCommand($"{service} {{port}} {{bytes}} {{rate}}", lab.Namespace("h1"), Port, TimeSpan.FromSeconds(30));
            // The agents talk over loopback, not the lab's 1 Gbit/s bridge: their token bucket holds the stream to the lab's rate.
            var runner = new AgentCalibrationRunner(cluster, "h1", "h2", workload.StartAsync) { BandwidthBitsPerSecond = 1e9, PostCopy = true };
            var grid = new CalibrationGrid([4L << 20, 32L << 20], [1_000], Repeats: 5);
            var progress = new List<string>();

            var samples = await runner.RunAsync(grid, new Collect(progress), CancellationToken.None);
            var calibration = HostCalibration.Create(HostClass, $"lab/{runner.Host}", samples, DateTimeOffset.UtcNow, "test");
            var database = Path.Combine(folder, "portal.db");
            using (var store = Storage(database))
                store.GetRequiredService<ICalibrationRepository>().Save(calibration);
            HostCalibration? stored;
            using (var reopened = Storage(database))
                stored = reopened.GetRequiredService<ICalibrationRepository>().Latest(HostClass);

            output.WriteLine($"CRIU {capabilities.Version}, lab h1 → h2 at the lab's 1 Gbit/s, the state service dirtying 1000 pages/s");
            progress.ForEach(output.WriteLine);
            output.WriteLine(runner.PostCopyNote);
            output.WriteLine(CalibrationReport.Text(calibration));
            Assert.NotNull(stored);
            Assert.Equal(calibration.Id, stored.Id);
            Assert.Equal(calibration.Fit.Parameters, stored.Fit.Parameters);
            Assert.Equal(10, stored.Fit.Points.Count);
            Assert.All(stored.Fit.Points, p =>
            {
                Assert.True(p.Sample.DumpMs > 0 && p.Sample.RestoreMs > 0 && p.Sample.TransferMs > 0, $"A stage was not measured: {p.Sample}");
                Assert.True(p.Sample.PagesWritten > p.Sample.StateSizeBytes / 4096, $"CRIU wrote fewer pages than the state holds: {p.Sample}");
                // The live dump (MessageReplay's) froze the service for a measurable while.
                Assert.True(p.Sample.LiveFreezeMs > 0, $"the live dump's freeze was not measured: {p.Sample}");
                if (capabilities.LazyPages)
                    Assert.True(p.Sample is { LazyDumpMs: > 0, LazyRestoreMs: > 0, PageInMs: > 0 }, $"A post-copy stage was not measured: {p.Sample}");
            });
            Assert.Equal(capabilities.LazyPages ? new[] { "T_f", "T_ld", "T_lr", "W_c" } : ["T_f"], stored.Fit.Stages.Select(s => s.Symbol));
            Assert.Equal(stored.Fit.Stages.Single(s => s.Symbol == "T_f").FixedMs, stored.Fit.Parameters.LiveFreezeMs);
            foreach (var point in stored.Fit.Points.GroupBy(p => p.Sample.StateSizeBytes))
            {
                var measured = point.Select(p => p.Sample.DowntimeMs).Order().ElementAt(point.Count() / 2);
                var predicted = point.First().PredictedDowntimeMs;
                var allowed = Math.Max(AbsoluteToleranceMs, RelativeTolerance * measured);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{point.Key >> 20} MB: predicted {predicted:0.0} ms, measured median {measured:0.0} ms ({(predicted - measured) / measured:+0.0%;-0.0%}, allowed ±{allowed:0.0} ms)"));
                Assert.True(Math.Abs(predicted - measured) <= allowed,
                    string.Create(CultureInfo.InvariantCulture, $"{point.Key >> 20} MB: predicted {predicted:0.0} ms, measured median {measured:0.0} ms (allowed ±{allowed:0.0} ms)"));
            }
            Assert.True(stored.Fit.Parameters.LambdaMsPerByte > 0 || stored.Fit.Parameters.OmegaMsPerByte > 0,
                "A larger state should cost more to dump or restore; the fit found neither per-byte cost.");
            Assert.NotEqual(PamParameters.PaperTestbedName, stored.Fit.Parameters.Name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static ServiceProvider Storage(string path)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["EdgePortal:Storage:Path"] = path }).Build();
        return new ServiceCollection().AddLogging().AddEdgePortalStorage(configuration).BuildServiceProvider();
    }

    private sealed class Collect(List<string> lines) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value) => lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"  [{value.Index}/{value.Total}] {value.Sample.StateSizeBytes >> 20} MB, repeat {value.Repeat}: {value.Detail}"));
    }
}
