using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Agent.Tests.Transfer;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>
/// Pre-dump rounds over the agent's HTTP API, on this host whose kernel has no soft-dirty tracking: criu is a wrapper
/// (<see cref="FakePreDumpCriu"/>) that validates the pre-dump flags and writes plausible rounds, while the final dump
/// and the restore of a real process are CRIU's own. What is proven: the flags of every round, the layout CRIU's parent
/// links need (pre-0, pre-1 → ../pre-0, the dump → pre-1) arriving whole on the destination round by round, the final
/// transfer carrying the last delta only, and a real restore from that layout.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class PreDumpEndpointsTests : IAsyncLifetime
{
    private AgentHost _source = null!;
    private AgentHost _destination = null!;
    private FakePreDumpCriu _criu = null!;
    private string _folder = null!;

    public async Task InitializeAsync()
    {
        _folder = Directory.CreateTempSubdirectory("edgeportal-fake-criu-").FullName;
        _criu = await FakePreDumpCriu.WriteAsync(_folder);
        var settings = new Dictionary<string, string?> { ["EdgePortal:Agent:CriuPath"] = _criu.Path };
        var agents = await AgentHost.StartManyAsync(new AgentSpec("source", settings), new AgentSpec("destination", settings));
        _source = agents[0];
        _destination = agents[1];
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _destination.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task PreDumpRounds_ThenIncrementalDump_RoundsChainedSentOneByOneAndRestored()
    {
        using var sleeper = FakePreDumpCriu.StartSleeper();
        try
        {
            using var source = _source.Client();
            using var destination = _destination.Client();
            Assert.Equal(HttpStatusCode.OK, (await source.PutAsJsonAsync("criu/workloads/sleeper", new CriuWorkloadRegistration(sleeper.Id))).StatusCode);

            // Round 0 (full) and round 1 (the delta), each streamed when it is written.
            var rounds = new List<CriuDumpAnswer>();
            for (var round = 0; round < 2; round++)
            {
                var dumped = await source.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "pc-1", Workload = "sleeper", PreDumpRound = round });
                Assert.True(dumped.StatusCode == HttpStatusCode.OK, await dumped.Content.ReadAsStringAsync());
                rounds.Add((await dumped.Content.ReadFromJsonAsync<CriuDumpAnswer>())!);
                var sent = await source.PostAsJsonAsync("criu/images/pc-1/send", new CriuSendCall { Peer = _destination.Name, Merge = true, PreDumpRound = round });
                Assert.True(sent.StatusCode == HttpStatusCode.OK, await sent.Content.ReadAsStringAsync());
            }
            Assert.Null(rounds[0].PrevImagesDir);
            Assert.Equal("../pre-0", rounds[1].PrevImagesDir);
            Assert.True(rounds[1].Bytes < rounds[0].Bytes, $"round 1 {rounds[1].Bytes} B, round 0 {rounds[0].Bytes} B");
            Assert.False(sleeper.HasExited, "a pre-dump leaves the process running");

            // A round out of order is refused before CRIU runs.
            var skipped = await source.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "pc-1", Workload = "sleeper", PreDumpRound = 5 });
            Assert.Equal(HttpStatusCode.Conflict, skipped.StatusCode);

            var final = await source.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "pc-1", Workload = "sleeper", AfterPreDumpRound = 1 });
            Assert.True(final.StatusCode == HttpStatusCode.OK, await final.Content.ReadAsStringAsync());
            Assert.Equal("pre-1", (await final.Content.ReadFromJsonAsync<CriuDumpAnswer>())!.PrevImagesDir);
            var delta = await source.PostAsJsonAsync("criu/images/pc-1/send", new CriuSendCall { Peer = _destination.Name, Merge = true, WithoutPreDumps = true });
            Assert.True(delta.StatusCode == HttpStatusCode.OK, await delta.Content.ReadAsStringAsync());
            var sentDelta = (await delta.Content.ReadFromJsonAsync<CriuSendAnswer>())!;

            var calls = _criu.Calls;
            Assert.DoesNotContain(calls, c => c.StartsWith("FAILED", StringComparison.Ordinal));
            var preDumps = calls.Where(c => c.StartsWith("pre-dump ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, preDumps.Count);
            Assert.EndsWith("/images/criu/pc-1/pre-0 -o pre-dump.log -v4 --track-mem", preDumps[0], StringComparison.Ordinal);
            Assert.EndsWith("/images/criu/pc-1/pre-1 -o pre-dump.log -v4 --track-mem --prev-images-dir ../pre-0", preDumps[1], StringComparison.Ordinal);
            var dump = Assert.Single(calls, c => c.StartsWith("dump ", StringComparison.Ordinal));
            Assert.EndsWith("--track-mem --prev-images-dir pre-1", dump, StringComparison.Ordinal);

            // The destination holds every round with CRIU's links as links, and the last transfer carried no round.
            var images = Path.Combine(_destination.ImageDirectory, "criu", "pc-1");
            Assert.Equal("pre-1", new FileInfo(Path.Combine(images, "parent")).LinkTarget);
            Assert.Equal("../pre-0", new FileInfo(Path.Combine(images, "pre-1", "parent")).LinkTarget);
            Assert.True(File.Exists(Path.Combine(images, "pre-0", "pages-1.img")));
            Assert.True(File.Exists(Path.Combine(images, "inventory.img")));
            // Round 0 alone holds 64 KiB of pages: a final transfer that carried it would be at least that much above the dump's own files.
            var dumpBytes = new DirectoryInfo(Path.Combine(_source.ImageDirectory, "criu", "pc-1")).GetFiles().Where(f => f.LinkTarget is null).Sum(f => f.Length);
            Assert.InRange(sentDelta.Bytes, dumpBytes, dumpBytes + 65_536 - 1);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_source.ImageDirectory, "criu", "pc-1", "pre-0", "pages-1.img")),
                await File.ReadAllBytesAsync(Path.Combine(images, "pre-0", "pages-1.img")));

            var restored = await destination.PostAsJsonAsync("criu/images/pc-1/restore", new CriuRestoreCall { Workload = "sleeper" });
            Assert.True(restored.StatusCode == HttpStatusCode.OK, await restored.Content.ReadAsStringAsync());
            Assert.Contains("parent pre-1", _criu.Calls);
            Assert.Contains("parent ../pre-0", _criu.Calls);
            var workload = (await destination.GetFromJsonAsync<CriuWorkload>("criu/workloads/sleeper"))!;
            Assert.True(workload.Running);
            Assert.Contains("sleep 1000", workload.CommandLine, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NoContent, (await destination.DeleteAsync("criu/restored/pc-1")).StatusCode);
        }
        finally
        {
            if (!sleeper.HasExited)
                sleeper.Kill();
        }
    }

    [Fact]
    public async Task PreDump_WithAPageServer_400NamesPreDumpRound()
    {
        using var client = _source.Client();
        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall
        {
            Id = "pc-2", Pid = Environment.ProcessId, PreDumpRound = 0, PageServer = new CriuPageServerCall { Address = "10.0.0.1", Port = 1 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("preDumpRound", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreDump_CriuFails_422InCriusWordsAndNoRoundLeft()
    {
        using var client = _source.Client();
        // The fake criu refuses a round whose previous round has no pages, as CRIU fails on a broken parent.
        var first = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "pc-3", Pid = Environment.ProcessId, PreDumpRound = 0 });
        Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        File.Delete(Path.Combine(_source.ImageDirectory, "criu", "pc-3", "pre-0", "pages-1.img"));

        var second = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "pc-3", Pid = Environment.ProcessId, PreDumpRound = 1 });

        Assert.Equal((HttpStatusCode)422, second.StatusCode);
        using var problem = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("criu pre-dump failed", problem.RootElement.GetProperty("title").GetString());
        Assert.Contains("no pre-dump round at", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_source.ImageDirectory, "criu", "pc-3", "pre-1")));
    }
}
