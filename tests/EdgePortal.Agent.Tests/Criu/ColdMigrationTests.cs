using System.Diagnostics;
using System.Globalization;
using EdgePortal.Agent.Criu;
using Xunit.Abstractions;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>
/// Real checkpoint/restore (issue 9): the naive Cold migration of the papers — dump to files in host A's namespace, copy
/// the files, move the service address, restore in host B's namespace — of a 10 MB service with a live client, with real
/// CRIU 4.2.1, in the repository's lab. Needs root; without it the test fails with that reason, it never passes silently.
/// </summary>
[Trait("Category", "CriuLab")]
public sealed class ColdMigrationTests(ITestOutputHelper output)
{
    private const int Port = 7000;
    private const long StateBytes = 10L * 1024 * 1024;
    private const int DirtyPagesPerSecond = 1000;

    [Fact]
    public async Task Cold_TenMegabyteServiceBetweenLabHosts_StateIdenticalAndConnectionSurvives()
    {
        var capabilities = await LabRequirements.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("edgeportal-criu-lab-").FullName;
        var lab = await Lab.UpAsync(2, "10.232.0");
        Process? service = null;
        ProbeClient? client = null;
        RestoredTree? restored = null;
        try
        {
            var (serviceBinary, clientBinary) = await Workloads.BuildAsync(folder);
            var serviceAddress = $"{lab.Network}.100";
            await lab.IpAsync("h1", "addr", "add", $"{serviceAddress}/24", "dev", "eth0");

            service = Workloads.StartIn(lab.Namespace("h1"), serviceBinary, Port.ToString(CultureInfo.InvariantCulture),
                StateBytes.ToString(CultureInfo.InvariantCulture), DirtyPagesPerSecond.ToString(CultureInfo.InvariantCulture));
            var ready = await service.StandardOutput.ReadLineAsync();
            Assert.True(ready == $"listening {Port}", $"The state service did not start: {ready} {await service.StandardError.ReadToEndAsync()}");

            client = new ProbeClient(Workloads.StartIn(lab.Namespace("client"), clientBinary, serviceAddress, Port.ToString(CultureInfo.InvariantCulture), "2", "25"));
            await client.WaitForAnswersAsync(300, TimeSpan.FromSeconds(30));

            var criu = new CriuDriver();
            var source = Path.Combine(folder, "h1-images");
            var destination = Path.Combine(folder, "h2-images");
            var total = Stopwatch.StartNew();
            var dump = await criu.DumpAsync(new CriuDumpRequest(service.Id, source, lab.Namespace("h1")), CancellationToken.None);
            var dumped = Assert.IsType<CriuOutcome.Dumped>(dump, exactMatch: false);
            var before = client.Answers.Count;

            var copy = Stopwatch.StartNew();
            Directory.CreateDirectory(destination);
            long imageBytes = 0;
            foreach (var file in Directory.EnumerateFiles(source))
            {
                File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
                imageBytes += new FileInfo(file).Length;
            }
            copy.Stop();

            // h2 holds the address before the restored socket exists: TCP to it is dropped meanwhile, as the agent guards it, or
            // a retransmission reaching h2 (h1 routes it there once the address left) would be reset and end the connection.
            string[] guard = ["nsenter", $"--net={lab.Namespace("h2")}", "--", "nft"];
            await Lab.RunAsync(guard[0], [.. guard[1..], $"add table inet naive; add chain inet naive input {{ type filter hook input priority -10 ; policy accept ; }}; add rule inet naive input ip daddr {serviceAddress} meta l4proto tcp drop"]);
            await lab.IpAsync("h1", "addr", "del", $"{serviceAddress}/24", "dev", "eth0");
            await lab.IpAsync("h2", "addr", "add", $"{serviceAddress}/24", "dev", "eth0");
            var restore = await criu.RestoreAsync(new CriuRestoreRequest(destination, lab.Namespace("h2")), CancellationToken.None);
            await Lab.RunAsync(guard[0], [.. guard[1..], "delete table inet naive"]);
            if (restore is CriuOutcome.Failed failed)
                Assert.Fail(failed.Reason);
            var done = Assert.IsType<CriuOutcome.Restored>(restore, exactMatch: false);
            restored = done.Tree;
            // The dump left CRIU's network lock table on h1 and deleted it off the downtime path; the driver's next call (this
            // restore) waited for that, so none is left.
            var tables = await Lab.RunAsync("nsenter", [$"--net={lab.Namespace("h1")}", "--", "nft", "list", "tables"]);
            Assert.DoesNotContain("CRIU-", tables, StringComparison.Ordinal);
            await lab.IpAsync("client", "neigh", "flush", "dev", "eth0");
            total.Stop();

            await client.WaitForAnswersAsync(before + 300, TimeSpan.FromSeconds(30));
            var (answers, longestGapUs) = await client.StopAndVerifyAsync(StateBytes);
            Assert.True(done.Tree.IsRunning, "The restored service's PID namespace holder died.");

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"""
                CRIU {capabilities.Version} (dirty tracking {(capabilities.DirtyTracking ? "on" : "off")}, TCP repair {(capabilities.TcpRepair ? "yes" : "no")}); Cold migration of a {StateBytes / 1024 / 1024} MB service dirtying {DirtyPagesPerSecond} pages/s, lab h1 -> h2 at 1 Gbit/s
                downtime seen by the client (longest gap between answers, one request every 2 ms): {longestGapUs / 1000.0:0.0} ms; reconnects: 0; answers {answers.Count}; counters consecutive; every checksum matches the model, {answers.Count(a => a.Kind == 'V')} recomputed over the whole memory
                wall clock: dump {dumped.WallClock.TotalMilliseconds:0} ms, copy {copy.Elapsed.TotalMilliseconds:0} ms ({imageBytes / 1e6:0.0} MB of images), restore {done.WallClock.TotalMilliseconds:0} ms, dump to flushed ARP {total.Elapsed.TotalMilliseconds:0} ms
                CRIU stats-dump: frozen {dumped.Stats?.FrozenTimeUs / 1000.0:0.0} ms, freezing {dumped.Stats?.FreezingTimeUs / 1000.0:0.0} ms, memdump {dumped.Stats?.MemdumpTimeUs / 1000.0:0.0} ms, memwrite {dumped.Stats?.MemwriteTimeUs / 1000.0:0.0} ms, pages written {dumped.Stats?.PagesWritten}
                CRIU stats-restore: restore {done.Stats?.RestoreTimeUs / 1000.0:0.0} ms, forking {done.Stats?.ForkingTimeUs / 1000.0:0.0} ms, pages restored {done.Stats?.PagesRestored}
                """));
            Assert.NotNull(dumped.Stats);
            Assert.NotNull(done.Stats);
        }
        finally
        {
            if (client is not null)
                await client.DisposeAsync();
            if (restored is not null)
                await restored.DisposeAsync();
            if (service is { HasExited: false })
                service.Kill();
            service?.Dispose();
            await lab.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
