using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Replay;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using Xunit.Abstractions;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// Issue 9, MS2M on real CRIU: the 10 MB message service (workload b, msgservice.c) consumes its queue on lab host h1 from
/// a real RabbitMQ in the lab's client namespace while the test publishes a numbered message every 2 ms to its fan-out
/// exchange; the coordinator plans MessageReplay or ReplayWithCutoff, the engine runs every step through the Agent runtime,
/// two real agents and CRIU, and the copy restored on h2 replays, takes over, and must end with exactly the state that
/// applying every published message once gives. Needs root; without it the test fails with that reason, never passes.
/// </summary>
[Trait("Category", "CriuLab")]
[Collection(CriuLabCollection.Name)]
public sealed class ReplayLabMigrationTests(ITestOutputHelper output)
{
    private const long StateBytes = 10L * 1024 * 1024;
    private const int IntervalMs = 2;
    private const string ServiceName = "msgservice";
    private const string Exchange = "msgservice.in";
    private const string Queue = "msgservice.q";
    private const string Reports = "msgservice.reports";

    /// <summary>
    /// What one message costs the service (slept): μ ≈ 900 messages/s against λ ≈ 480 (one every 2 ms), so the copy has a
    /// backlog to catch up with, with room for a loaded machine (at 1.5 ms, μ fell below λ under load and never caught up).
    /// </summary>
    private const int CostUs = 1_000;

    [Fact]
    public Task MessageReplay_TenMegabyteConsumerThroughEngineAndAgents_EveryMessageAppliedExactlyOnce() =>
        MigrateAsync(MigrationStrategy.MessageReplay, "10.235.0", new WorkloadProfile(StateBytes, 0, 480, 900), CostUs);

    [Fact]
    public Task ReplayWithCutoff_TenMegabyteConsumerThroughEngineAndAgents_EveryMessageAppliedExactlyOnce() =>
        // μ ≤ λ in the profile: the designer sets the cutoff at the predicted end of checkpoint, transfer and restore. With
        // 1.7 ms of work per message (μ ≈ 560) the copy catches up slowly, so the source is stopped at the cutoff, before
        // it has, and the rest of the backlog drains as downtime.
        MigrateAsync(MigrationStrategy.ReplayWithCutoff, "10.236.0", new WorkloadProfile(StateBytes, 0, 480, 400), 1_700);

    /// <summary>
    /// Issue 17 item 2: the message service as a Podman container (runc, CRIU 4.2.1) labelled with its tenant on h1, h1's
    /// agent on the Podman CLI and h2's on the API socket. The container is dumped left running with its connections, and
    /// its copy restored on h2 with them closed through the CRIU configuration the archive's spec names (org.criu.config):
    /// it reconnects, replays and takes over; the old container leaves and is removed.
    /// </summary>
    [Fact]
    public Task MessageReplay_PodmanContainerThroughEngineAndAgents_EveryMessageAppliedExactlyOnce() =>
        MigrateAsync(MigrationStrategy.MessageReplay, "10.243.0", new WorkloadProfile(StateBytes, 0, 480, 900), CostUs, container: true);

    [Fact]
    public Task ReplayWithCutoff_PodmanContainerThroughEngineAndAgents_EveryMessageAppliedExactlyOnce() =>
        // As ReplayWithCutoff of the process: the copy catches up slowly, the source stops at the cutoff.
        MigrateAsync(MigrationStrategy.ReplayWithCutoff, "10.243.0", new WorkloadProfile(StateBytes, 0, 480, 400), 1_700, container: true);

    [Fact]
    public async Task ReplayWithCutoff_CopyCannotReachTheBroker_RolledBackAndSourceResumesWithEveryMessageOnce()
    {
        await LabRequirements.EnsureAsync();
        // h2 may not talk to the broker: the restored copy never consumes the replay queue, so the drain after the cutoff
        // (the source paused) times out, and the rollback must resume the paused source on its queue with nothing lost.
        await using var lab = await MessageLabService.StartAsync("10.237.0", CostUs, b => b.ReplayTimeout = TimeSpan.FromSeconds(3));
        foreach (var nft in (string[][])[
            ["add", "table", "inet", "labblock"],
            ["add", "chain", "inet", "labblock", "out", "{ type filter hook output priority 0 ; policy accept ; }"],
            ["add", "rule", "inet", "labblock", "out", "tcp", "dport", LabBroker.Port.ToString(CultureInfo.InvariantCulture), "drop"]])
            await Lab.RunAsync("nsenter", [$"--net={lab.Lab.Namespace("h2")}", "--", "nft", .. nft]);
        var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, 0, 500, 400), new KpiTargets(5_000, 10_000, 20));
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();
        await portal.Capabilities.RefreshAsync(AgentEdge.Cluster); // probed before planning (a loaded machine outlasts PlanningWait)

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = svc.Id, Strategy = MigrationStrategy.ReplayWithCutoff, RequestedBy = "test", AcceptTargetMiss = true });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(180));
        var stored = portal.Migrations.Find(migration.Id)!;
        var steps = Steps(stored);
        Assert.True(finished.State == MigrationState.RolledBack, $"{finished.State}: {stored.FailureReason}\n{steps}");
        Assert.True(stored.FailureReason?.Contains("did not reach #", StringComparison.Ordinal) == true, $"It should have failed draining after the cutoff: {stored.FailureReason}\n{steps}");
        var rollback = finished.Message ?? "";
        Assert.Contains($"resumed {ServiceName} on h1", rollback, StringComparison.Ordinal);
        Assert.Equal(AgentEdge.Source.Id, portal.Inventory.FindService(svc.Id)!.NodeId);

        var h1 = lab.Lab.Address(1);
        var appliedOnH1 = lab.Traffic.Reports.Count(r => r.Host == h1 && r.Kind == 'a');
        await lab.Traffic.WaitForAsync(r => r.Count(x => x.Host == h1 && x.Kind == 'a') >= appliedOnH1 + 300, TimeSpan.FromSeconds(30), "300 more messages applied on h1 after the rollback");
        lab.Traffic.StopPublishing();
        var published = lab.Traffic.Published;
        await lab.Traffic.WaitForAsync(r => r.Any(x => x.Host == h1 && x.Kind == 'a' && x.Seq == published), TimeSpan.FromSeconds(30), $"#{published} applied on h1");
        var state = await lab.Traffic.StatusAsync(Queue);
        var model = new MessageStateModel(StateBytes);
        for (ulong seq = 1; seq <= published; seq++)
            model.Apply(seq);
        Assert.True(state.Host == h1 && state.Queue == Queue && state.Last == published && state.Counter == published && state.Lost == 0 && state.Memory == model.Checksum,
            $"Published 1..{published} (model checksum {model.Checksum}); the source says: {state}");
        var onH1 = lab.Traffic.Reports.Where(r => r.Host == h1 && r.Kind == 'a').Select(r => r.Seq).ToList();
        AssertConsecutive(onH1, "h1 (the source)");
        Assert.DoesNotContain(lab.Traffic.Reports, r => r.Host != h1);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            Rollback of ReplayWithCutoff after the cutoff paused the source (the copy on h2 cut off from the broker): {published} published, all applied once on h1, checksum over the memory = the model's, lost {state.Lost}
            failure: {stored.FailureReason}
            rollback: {rollback}
            {steps}
            """));
    }

    private async Task MigrateAsync(MigrationStrategy strategy, string network, WorkloadProfile profile, int costUs, bool container = false)
    {
        var capabilities = await LabRequirements.EnsureAsync();
        var svc = AgentEdge.Service(ServiceName, profile, new KpiTargets(5_000, 10_000, 20));
        await using var lab = await MessageLabService.StartAsync(network, costUs, container: container ? AgentEdgeRuntime.Tenant(svc) : null);
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();
        await portal.Capabilities.RefreshAsync(AgentEdge.Cluster); // probed before planning (a loaded machine outlasts PlanningWait)
        if (container)
        {
            var probe = await lab.Runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
            Assert.True(probe.Summary.Contains("containers: Cold, MessageReplay and ReplayWithCutoff", StringComparison.Ordinal), probe.Summary);
        }
        var total = Stopwatch.StartNew();
        var before = lab.Traffic.Published;

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = svc.Id, Strategy = strategy, RequestedBy = "test", AcceptTargetMiss = true });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(180));
        total.Stop();
        var stored = portal.Migrations.Find(migration.Id)!;
        var steps = Steps(stored);
        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason}\n{steps}");
        Assert.Equal(AgentEdge.Destination.Id, portal.Inventory.FindService(svc.Id)!.NodeId);

        // The copy serves: 300 more messages applied on h2, then the publisher stops and the copy applies the last one.
        var h2 = lab.Lab.Address(2);
        var appliedOnH2 = lab.Traffic.Reports.Count(r => r.Host == h2 && r.Kind == 'a');
        await lab.Traffic.WaitForAsync(r => r.Count(x => x.Host == h2 && x.Kind == 'a') >= appliedOnH2 + 300, TimeSpan.FromSeconds(30), "300 more messages applied on h2");
        lab.Traffic.StopPublishing();
        var published = lab.Traffic.Published;
        await lab.Traffic.WaitForAsync(r => r.Any(x => x.Host == h2 && x.Kind == 'a' && x.Seq == published), TimeSpan.FromSeconds(30), $"#{published} applied on h2");
        var state = await lab.Traffic.StatusAsync(Queue);

        // The state: exactly what applying 1..N once gives (a message applied twice or skipped changes the checksum).
        var model = new MessageStateModel(StateBytes);
        for (ulong seq = 1; seq <= published; seq++)
            model.Apply(seq);
        Assert.True(state.Host == h2 && state.Queue == Queue, $"The final answer does not come from the copy on h2 consuming {Queue}: {state}");
        Assert.True(state.Last == published && state.Counter == published && state.Lost == 0,
            $"Published 1..{published}; the service says: {state}");
        Assert.True(state.Memory == model.Checksum && state.Sum == model.Checksum,
            $"Checksum over the memory {state.Memory} (running {state.Sum}), applying 1..{published} once gives {model.Checksum}.");

        // The reports: each instance applied consecutive numbers, never one twice; together every number was applied.
        var reports = lab.Traffic.Reports.ToList();
        var h1 = lab.Lab.Address(1);
        var onH1 = reports.Where(r => r.Host == h1 && r.Kind == 'a').Select(r => r.Seq).ToList();
        var onH2 = reports.Where(r => r.Host == h2 && r.Kind == 'a').Select(r => r.Seq).ToList();
        AssertConsecutive(onH1, "h1 (the source)");
        AssertConsecutive(onH2, "h2 (the copy)");
        Assert.True(onH1[0] == 1 && onH2[0] <= onH1[^1] + 1 && onH2[^1] == published,
            $"h1 applied #{onH1[0]}..#{onH1[^1]}, h2 #{onH2[0]}..#{onH2[^1]}: not every one of 1..{published}");
        var skipped = reports.Count(r => r.Host == h2 && r.Kind == 'd');
        Assert.True(state.Duplicates >= (ulong)skipped, $"The copy reported {skipped} duplicates skipped, its state counts {state.Duplicates}.");
        if (container)
        {
            Assert.Contains("podman container checkpoint --leave-running --tcp-established", steps, StringComparison.Ordinal);
            Assert.Contains("as the Podman container", steps, StringComparison.Ordinal);
            // The copy is a container on h2 that its agent finds by the tenant's labels; the old one left h1 and was removed.
            using (var agent = lab.H2.Client())
            {
                var copy = await agent.GetFromJsonAsync<CriuWorkload>($"criu/workloads/{ServiceName}?tenant={AgentEdgeRuntime.Tenant(svc)}");
                Assert.True(copy is { Running: true, Container: not null }, $"h2's agent does not find the copy as a container: {copy}");
            }
            Assert.Null(await lab.Podman!.StateAsync(lab.ContainerId!));
        }

        // Downtime as the message stream saw it: the longest gap between the first applications of consecutive numbers,
        // from the last one published before the migration started.
        var first = reports.Where(r => r.Kind == 'a').GroupBy(r => r.Seq).ToDictionary(g => g.Key, g => g.Min(r => r.TimeUs));
        var gaps = Enumerable.Range((int)before, (int)(published - before)).Select(i => (After: (ulong)i, Us: first[(ulong)i + 1] - first[(ulong)i])).ToList();
        var longest = gaps.MaxBy(g => g.Us);
        var typical = gaps.Select(g => g.Us).Order().ElementAt(gaps.Count / 2);
        // The hand-over itself: from the source's last application to the copy's first one after it.
        var handOver = gaps.Single(g => g.After == onH1[^1]);
        var worst = string.Join(", ", gaps.OrderByDescending(g => g.Us).Take(3).Select(g => string.Create(CultureInfo.InvariantCulture,
            $"#{g.After}→#{g.After + 1} {g.Us / 1000.0:0.0} ms ({Who(g.After)}→{Who(g.After + 1)}; published {(lab.Traffic.SentUs(g.After + 1) - lab.Traffic.SentUs(g.After)) / 1000.0:0.0} ms apart)")));
        // The longest any message waited from its publication to its first application: a gap the publisher did not cause.
        var waited = Enumerable.Range((int)before, (int)(published - before) + 1).Select(i => (Seq: (ulong)i, Us: first[(ulong)i] - lab.Traffic.SentUs((ulong)i))).ToList();
        var longestWait = waited.MaxBy(w => w.Us);
        var typicalWait = waited.Select(w => w.Us).Order().ElementAt(waited.Count / 2);
        string Who(ulong seq) => reports.Where(r => r.Seq == seq && r.Kind == 'a').MinBy(r => r.TimeUs)!.Host == h1 ? "h1" : "h2";

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            CRIU {capabilities.Version}; {strategy} through coordinator → engine → Agent runtime → 2 agents → CRIU of a {StateBytes / 1024 / 1024} MB message service ({costUs} µs of work per message), lab h1 -> h2, RabbitMQ {lab.Broker.Address}:{LabBroker.Port} in the client namespace, one message every {IntervalMs} ms
            downtime (longest gap in processing, between the first applications of consecutive numbers from #{before}, published when the migration started): {longest.Us / 1000.0:0.0} ms; at the hand-over (#{handOver.After} on h1 → #{handOver.After + 1} on h2): {handOver.Us / 1000.0:0.0} ms; median gap {typical / 1000.0:0.00} ms; the publisher's own longest gap {lab.Traffic.LongestPublishGapUs(before) / 1000.0:0.0} ms
            longest gaps: {worst}
            longest wait from publication to first application: #{longestWait.Seq} {longestWait.Us / 1000.0:0.0} ms (applied by {Who(longestWait.Seq)}); median wait {typicalWait / 1000.0:0.00} ms
            messages: {published} published, every one applied exactly once in the final state (h1 applied #1..#{onH1[^1]}, the copy on h2 #{onH2[0]}..#{onH2[^1]}); {state.Duplicates} duplicates skipped by the copy; lost {state.Lost}
            state: checksum over the memory {state.Memory} = the model's; counter {state.Counter}
            migration: {total.Elapsed.TotalMilliseconds:0} ms from Start to MigrationFinished; engine-measured downtime {stored.MeasuredDowntimeMs:0} ms, predicted {stored.Plan.PredictedDowntimeMs:0} ms{(stored.Plan.CutoffMs is { } c ? $", cutoff {c:0} ms after the checkpoint" : "")}
            {steps}
            """));
    }

    private static void AssertConsecutive(List<ulong> seqs, string who)
    {
        Assert.True(seqs.Count > 0, $"{who} applied nothing.");
        for (var i = 1; i < seqs.Count; i++)
            Assert.True(seqs[i] == seqs[i - 1] + 1, $"{who} applied #{seqs[i - 1]} and then #{seqs[i]}: {(seqs[i] <= seqs[i - 1] ? "one applied twice" : "a gap")}.");
    }

    private static string Steps(Migration migration) => string.Join("\n", migration.Steps.Select(s => string.Create(CultureInfo.InvariantCulture,
        $"  {s.Label}: {s.Status}, {s.MeasuredMs:0} ms (predicted {s.PredictedMs:0}) — {s.Message}")));

    /// <summary>
    /// The lab with RabbitMQ in the client namespace, the message service consuming on h1 (registered with h1's agent under
    /// its name), the test's publisher and report observer already running, an agent per host, and the runtime pointed at
    /// them with the broker reached through a forwarder into the client namespace.
    /// </summary>
    private sealed class MessageLabService : IAsyncDisposable
    {
        private string _folder = null!;
        private Process? _service;
        private Process? _podmanService;
        private NamespaceForwarder? _forwarder;
        private AgentHost? _h1, _h2;

        public Lab Lab { get; private set; } = null!;
        public AgentHost H2 => _h2!;

        /// <summary>The lab's Podman when the service runs as a container; its container on h1.</summary>
        public PodmanLab? Podman { get; private set; }
        public string? ContainerId { get; private set; }
        public LabBroker Broker { get; private set; } = null!;
        public MessageTraffic Traffic { get; private set; } = null!;
        public AgentEdgeRuntime Runtime { get; private set; } = null!;

        /// <param name="container">The tenant whose Podman container the service runs in (h1's agent on the CLI, h2's on the API socket); null: a registered process.</param>
        public static async Task<MessageLabService> StartAsync(string network, int costUs, Action<ReplayBrokerOptions>? configure = null, string? container = null)
        {
            var s = new MessageLabService { _folder = Directory.CreateTempSubdirectory("edgeportal-replay-lab-").FullName };
            try
            {
                s.Lab = await Lab.UpAsync(2, network);
                var brokerAddress = $"{network}.2";
                s.Broker = await LabBroker.StartAsync(s.Lab.Namespace("client"), brokerAddress);
                s._forwarder = new NamespaceForwarder(s.Lab.Namespace("client"), new IPEndPoint(IPAddress.Parse(brokerAddress), LabBroker.Port));
                var uri = new Uri($"amqp://guest:guest@127.0.0.1:{s._forwarder.Port.ToString(CultureInfo.InvariantCulture)}/");
                s.Traffic = await MessageTraffic.StartAsync(uri, Reports);

                string[] arguments = [brokerAddress, LabBroker.Port.ToString(CultureInfo.InvariantCulture),
                    "guest", "guest", Exchange, Queue, StateBytes.ToString(CultureInfo.InvariantCulture), Reports, costUs.ToString(CultureInfo.InvariantCulture)];
                if (container is { } tenant)
                {
                    s.Podman = await PodmanLab.StartAsync(s._folder, messageService: true);
                    s.ContainerId = await s.Podman.StartMessageServiceAsync(s.Lab.Namespace("h1"), ServiceName, tenant, Queue, arguments);
                    var socket = Path.Combine(s._folder, "podman-h2.sock");
                    s._podmanService = await s.Podman.StartServiceAsync(s.Lab.Namespace("h2"), socket);
                    (s._h1, s._h2) = await AgentEdge.AgentsAsync(s.Lab, s.Podman.AgentSettings(), PodmanLab.AgentSettingsForSocket(socket));
                }
                else
                {
                    var binary = Path.Combine(s._folder, "msgservice");
                    await Lab.RunAsync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", binary,
                        Path.Combine(AppContext.BaseDirectory, "Criu", "Workload", "msgservice.c"), "-lrabbitmq"]);
                    s._service = Workloads.StartIn(s.Lab.Namespace("h1"), binary, arguments);
                    var ready = await s._service.StandardOutput.ReadLineAsync();
                    Assert.True(ready == $"consuming {Queue}", $"The message service did not start: {ready} {await s._service.StandardError.ReadToEndAsync()}");

                    (s._h1, s._h2) = await AgentEdge.AgentsAsync(s.Lab);
                    using var agent = s._h1.Client();
                    var registered = await agent.PutAsJsonAsync($"criu/workloads/{ServiceName}", new CriuWorkloadRegistration(s._service.Id));
                    Assert.True(registered.StatusCode == HttpStatusCode.OK, await registered.Content.ReadAsStringAsync());
                }

                s.Traffic.StartPublishing(Exchange, IntervalMs);
                var h1 = s.Lab.Address(1);
                await s.Traffic.WaitForAsync(r => r.Count(x => x.Host == h1 && x.Kind == 'a') >= 300, TimeSpan.FromSeconds(30), "300 messages applied on h1");

                var cluster = AgentEdge.ClusterOf(s._h1, s._h2);
                cluster.Broker = new ReplayBrokerOptions { Uri = uri.AbsoluteUri };
                cluster.Broker.Services[ServiceName] = new MessageServiceOptions { Exchange = Exchange, Queue = Queue };
                configure?.Invoke(cluster.Broker);
                s.Runtime = AgentEdge.Runtime(cluster);
                return s;
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Traffic is not null)
                await Traffic.DisposeAsync();
            if (_forwarder is not null)
                await _forwarder.DisposeAsync();
            if (_service is { HasExited: false })
                _service.Kill();
            _service?.Dispose();
            if (_podmanService is { HasExited: false })
                _podmanService.Kill(entireProcessTree: true);
            _podmanService?.Dispose();
            if (Podman is not null)
                await Podman.StopAsync();
            if (Broker is not null)
                await Broker.DisposeAsync();
            // lab.sh down kills everything left in the lab's namespaces: restored trees, epmd.
            if (Lab is not null)
                await Lab.DisposeAsync();
            if (_h1 is not null)
                await _h1.DisposeAsync();
            if (_h2 is not null)
                await _h2.DisposeAsync();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
