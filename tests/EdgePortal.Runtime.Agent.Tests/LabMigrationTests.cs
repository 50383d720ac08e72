using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using Xunit.Abstractions;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// Issue 9 end to end through the portal's own path: the coordinator plans a Cold migration of the 10 MB state service, the
/// engine runs every step through the Agent runtime, which drives two real agents (in-process Kestrel on loopback, one per
/// lab host, each acting in its host's network namespace), which drive real CRIU 4.2.1 on the real processes of the lab.
/// A live client in the lab's client namespace must keep its one TCP connection and see the state intact. Needs root;
/// without it the test fails with that reason, it never passes silently.
/// </summary>
[Trait("Category", "CriuLab")]
[Collection(CriuLabCollection.Name)]
public sealed class LabMigrationTests(ITestOutputHelper output)
{
    private const int Port = 7000;
    private const long StateBytes = 10L * 1024 * 1024;
    private const int DirtyPagesPerSecond = 1000;
    private const string ServiceName = "stateservice";

    [Fact]
    public async Task Cold_TenMegabyteServiceThroughEngineAndAgents_StateIdenticalAndConnectionSurvives()
    {
        var capabilities = await LabRequirements.EnsureAsync();
        await using var lab = await LabService.StartAsync("10.233.0", null);
        var probe = await lab.Runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
        Assert.True(probe.Reachable, probe.Summary);
        var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, DirtyPagesPerSecond));
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();
        await portal.Capabilities.RefreshAsync(AgentEdge.Cluster); // probed before planning (a loaded machine outlasts PlanningWait)
        var total = Stopwatch.StartNew();

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = svc.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));
        total.Stop();

        var stored = portal.Migrations.Find(migration.Id)!;
        var steps = Steps(stored);
        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason}\n{steps}");
        Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
        Assert.Equal(AgentEdge.Destination.Id, portal.Inventory.FindService(svc.Id)!.NodeId);
        // The dump's downtime is CRIU's freezing and frozen time, not its start-up before the freeze.
        var checkpoint = stored.Steps.Single(s => s.Kind == StepKind.Checkpoint);
        Assert.True(checkpoint.FrozenMs is { } frozen && frozen > 0 && frozen < checkpoint.MeasuredMs, $"Checkpoint: frozen {checkpoint.FrozenMs} ms of {checkpoint.MeasuredMs} ms");
        var (answers, longest) = await lab.CheckClientAsync();
        // The service answers from h2 now: the restored tree runs there, registered under the service's name.
        using (var agent = lab.H2.Client())
        {
            var moved = await agent.GetFromJsonAsync<CriuWorkload>($"criu/workloads/{ServiceName}");
            Assert.True(moved is { Running: true, RestoredFrom: not null }, $"h2 does not hold the restored service: {moved}");
        }
        Assert.False(Directory.Exists(Path.Combine(lab.H1.ImageDirectory, "criu", AgentEdgeRuntime.ImagesId(ServiceName, migration.Id))), "CleanUp left the images on h1.");
        Assert.False(Directory.Exists(Path.Combine(lab.H2.ImageDirectory, "criu", AgentEdgeRuntime.ImagesId(ServiceName, migration.Id))), "CleanUp left the images on h2.");

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            CRIU {capabilities.Version} (dirty tracking {(capabilities.DirtyTracking ? "on" : "off")}, TCP repair {(capabilities.TcpRepair ? "yes" : "no")}); Cold migration through coordinator → engine → Agent runtime → 2 agents → CRIU of a {StateBytes / 1024 / 1024} MB service dirtying {DirtyPagesPerSecond} pages/s, lab h1 -> h2
            probe: {probe.Summary}
            downtime seen by the client (longest gap between answers, one request every 2 ms): {longest / 1000.0:0.0} ms; reconnects: 0; answers {answers.Count}; counters consecutive; every checksum matches the model, {answers.Count(a => a.Kind == 'V')} recomputed over the whole memory
            migration: {total.Elapsed.TotalMilliseconds:0} ms from Start to MigrationFinished; engine-measured downtime {stored.MeasuredDowntimeMs:0} ms, predicted {stored.Plan.PredictedDowntimeMs:0} ms
            {steps}
            """));
    }

    [Theory]
    [InlineData(nameof(AgentColdTransfer.Images))]
    [InlineData(nameof(AgentColdTransfer.PageServer))]
    public async Task Cold_RestoreFailsOnTheDestination_RolledBackOntoTheSourceConnectionAndStateIntact(string coldTransfer)
    {
        await LabRequirements.EnsureAsync();
        await using var lab = await LabService.StartAsync("10.234.0", "criu restore refused by the test", coldTransfer);
        var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, DirtyPagesPerSecond));
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();
        await portal.Capabilities.RefreshAsync(AgentEdge.Cluster); // probed before planning (a loaded machine outlasts PlanningWait)

        var result = portal.Coordinator.Start(new MigrationRequest { ServiceId = svc.Id, Strategy = MigrationStrategy.Cold, RequestedBy = "test", AcceptTargetMiss = true });
        var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));

        var stored = portal.Migrations.Find(migration.Id)!;
        var steps = Steps(stored);
        Assert.True(finished.State == MigrationState.RolledBack, $"{finished.State}: {stored.FailureReason}\n{steps}");
        Assert.True(stored.FailureReason?.Contains("criu restore failed (exit 1): criu restore refused by the test", StringComparison.Ordinal) == true,
            $"The migration should have failed at the restore: {stored.FailureReason}\n{steps}");
        // PageServer: the source's own images lack the pages; the rollback fetches them back from h2 before restoring.
        Assert.Equal(coldTransfer == nameof(AgentColdTransfer.PageServer), finished.Message?.Contains("fetched the pages", StringComparison.Ordinal) == true);
        Assert.Equal(AgentEdge.Source.Id, portal.Inventory.FindService(svc.Id)!.NodeId);
        var (answers, longest) = await lab.CheckClientAsync();
        using (var agent = lab.H1.Client())
        {
            var back = await agent.GetFromJsonAsync<CriuWorkload>($"criu/workloads/{ServiceName}");
            Assert.True(back is { Running: true, RestoredFrom: not null }, $"h1 does not run the service again: {back}");
        }
        Assert.False(Directory.Exists(Path.Combine(lab.H1.ImageDirectory, "criu", AgentEdgeRuntime.ImagesId(ServiceName, migration.Id))), "The rollback left the images on h1.");
        Assert.False(Directory.Exists(Path.Combine(lab.H2.ImageDirectory, "criu", AgentEdgeRuntime.ImagesId(ServiceName, migration.Id))), "The rollback left the images on h2.");

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            Rollback ({coldTransfer} path) after a failed restore on h2: the client's longest gap {longest / 1000.0:0.0} ms, reconnects 0, {answers.Count} answers, counters consecutive, checksums match
            failure: {stored.FailureReason}
            rollback: {finished.Message}
            {steps}
            """));
    }

    [Fact]
    public async Task Cold_ThereAndBackAgain_StateIntactAndConnectionSurvivesBothTimes()
    {
        await LabRequirements.EnsureAsync();
        await using var lab = await LabService.StartAsync("10.235.0", null);
        var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, DirtyPagesPerSecond));
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();

        // h1 → h2: the planner's choice (the users sit at h2); h2 → h1: the restored service, out of its own PID namespace.
        var there = await lab.MigrateAsync(portal, svc, null);
        await AssertHeldAsync(lab.H2, "h2");
        await AssertGoneAsync(lab.H1, "h1");
        var back = await lab.MigrateAsync(portal, svc, AgentEdge.Source.Id);
        await AssertHeldAsync(lab.H1, "h1");
        await AssertGoneAsync(lab.H2, "h2");
        using (var h2 = lab.H2.Client())
        {
            // The dump emptied the PID namespace h2 restored the service into: h2's agent let it go with the dump.
            using var response = await h2.DeleteAsync($"criu/restored/{AgentEdgeRuntime.ImagesId(ServiceName, there.Id)}");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"h2 still holds the namespace of the tree it migrated away: {(int)response.StatusCode}");
        }
        Assert.Equal(AgentEdge.Source.Id, portal.Inventory.FindService(svc.Id)!.NodeId);
        var (answers, longest) = await lab.CheckClientAsync();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            Cold there and back through the engine, Images path, {StateBytes / 1024 / 1024} MB service dirtying {DirtyPagesPerSecond} pages/s; one TCP connection, reconnects 0, {answers.Count} answers, counters consecutive, checksums match
            h1 → h2: client-seen downtime {there.GapUs / 1000.0:0.0} ms
            {there.Steps}
            h2 → h1 (the restored tree, dumped from inside its PID namespace): client-seen downtime {back.GapUs / 1000.0:0.0} ms
            {back.Steps}
            longest gap over the whole run: {longest / 1000.0:0.0} ms
            """));
    }

    [Fact]
    public async Task Cold_PageServerPath_StateIntactConnectionSurvivesAndDowntimeBesideImages()
    {
        await LabRequirements.EnsureAsync();
        await using var lab = await LabService.StartAsync("10.236.0", null, nameof(AgentColdTransfer.PageServer));
        var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, DirtyPagesPerSecond));
        await using var portal = new EnginePortal(AgentEdge.Inventory(svc), lab.Runtime);
        await portal.StartAsync();

        var pageServer = await lab.MigrateAsync(portal, svc, null);
        await AssertHeldAsync(lab.H2, "h2");
        Assert.Contains("PageServer path", pageServer.Steps, StringComparison.Ordinal);
        Assert.Contains("sent to the page server on h2", pageServer.Steps, StringComparison.Ordinal);
        // Back with the Images path: the same service, the same link, the other way of moving the dump.
        lab.Cluster.ColdTransfer = nameof(AgentColdTransfer.Images);
        var images = await lab.MigrateAsync(portal, svc, AgentEdge.Source.Id);
        await AssertHeldAsync(lab.H1, "h1");
        Assert.Contains("Images path", images.Steps, StringComparison.Ordinal);
        var (answers, _) = await lab.CheckClientAsync();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"""
            Cold migration of a {StateBytes / 1024 / 1024} MB service dirtying {DirtyPagesPerSecond} pages/s through the engine; one TCP connection, reconnects 0, {answers.Count} answers, counters consecutive, checksums match
            client-seen downtime: PageServer (h1 → h2) {pageServer.GapUs / 1000.0:0.0} ms, Images (h2 → h1) {images.GapUs / 1000.0:0.0} ms
            PageServer h1 → h2:
            {pageServer.Steps}
            Images h2 → h1:
            {images.Steps}
            """));
    }

    /// <summary>The agent holds the service as a restored tree that runs.</summary>
    private static async Task AssertHeldAsync(AgentHost agent, string host)
    {
        using var client = agent.Client();
        var held = await client.GetFromJsonAsync<CriuWorkload>($"criu/workloads/{ServiceName}");
        Assert.True(held is { Running: true, RestoredFrom: not null }, $"{host} does not hold the restored service: {held}");
    }

    /// <summary>The agent no longer knows the service (its dump ended it there).</summary>
    private static async Task AssertGoneAsync(AgentHost agent, string host)
    {
        using var client = agent.Client();
        using var response = await client.GetAsync($"criu/workloads/{ServiceName}");
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{host} still lists the service it migrated away: {await response.Content.ReadAsStringAsync()}");
    }

    private static string Steps(Migration migration) => AgentEdge.Steps(migration);

    /// <summary>
    /// The lab with the state service on h1 behind its own address (the operator's setup: address added, service started and
    /// registered with h1's agent under its name), a live probe client, an agent per host, and the runtime pointed at them.
    /// </summary>
    internal sealed class LabService : IAsyncDisposable
    {
        private Lab _lab = null!;
        private string _folder = null!;
        private Process? _service;
        private ProbeClient? _client;
        private AgentHost? _h1, _h2;

        public ProbeClient Client => _client!;
        public AgentHost H1 => _h1!;
        public AgentHost H2 => _h2!;
        public AgentEdgeRuntime Runtime { get; private set; } = null!;

        /// <summary>The cluster's options as the runtime reads them: a test may switch <see cref="AgentClusterOptions.ColdTransfer"/> between migrations.</summary>
        public AgentClusterOptions Cluster { get; private set; } = null!;

        /// <param name="failRestoreOnH2">When set, h2's agent runs a criu that refuses to restore with this message (and is the real criu otherwise).</param>
        /// <param name="coldTransfer">The cluster's ColdTransfer (null: the default).</param>
        public static async Task<LabService> StartAsync(string network, string? failRestoreOnH2, string? coldTransfer = null)
        {
            var s = new LabService { _folder = Directory.CreateTempSubdirectory("edgeportal-agent-lab-").FullName };
            try
            {
                s._lab = await Lab.UpAsync(2, network);
                var (serviceBinary, clientBinary) = await Workloads.BuildAsync(s._folder);
                var address = $"{s._lab.Network}.100";
                await s._lab.IpAsync("h1", "addr", "add", $"{address}/24", "dev", "eth0");
                s._service = Workloads.StartIn(s._lab.Namespace("h1"), serviceBinary, Port.ToString(CultureInfo.InvariantCulture),
                    StateBytes.ToString(CultureInfo.InvariantCulture), DirtyPagesPerSecond.ToString(CultureInfo.InvariantCulture));
                var ready = await s._service.StandardOutput.ReadLineAsync();
                Assert.True(ready == $"listening {Port}", $"The state service did not start: {ready} {await s._service.StandardError.ReadToEndAsync()}");

                var h2 = new Dictionary<string, string?>();
                if (failRestoreOnH2 is not null)
                {
                    h2["EdgePortal:Agent:CriuPath"] = await RefusingCriu.WriteAsync(s._folder, failRestoreOnH2);
                }
                (s._h1, s._h2) = await AgentEdge.AgentsAsync(s._lab, h2: h2);
                using (var agent = s._h1.Client())
                {
                    var registered = await agent.PutAsJsonAsync($"criu/workloads/{ServiceName}", new CriuWorkloadRegistration(s._service.Id));
                    Assert.True(registered.StatusCode == HttpStatusCode.OK, await registered.Content.ReadAsStringAsync());
                }

                s._client = new ProbeClient(Workloads.StartIn(s._lab.Namespace("client"), clientBinary, address, Port.ToString(CultureInfo.InvariantCulture), "2", "25"));
                await s._client.WaitForAnswersAsync(300, TimeSpan.FromSeconds(30));

                var cluster = AgentEdge.ClusterOf(s._h1, s._h2);
                cluster.ServiceAddresses[ServiceName] = $"{address}/24";
                if (coldTransfer is not null)
                    cluster.ColdTransfer = coldTransfer;
                s.Cluster = cluster;
                s.Runtime = AgentEdge.Runtime(cluster);
                return s;
            }
            catch
            {
                await s.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// One Cold migration through the coordinator and the engine (to <paramref name="destination"/>, or where the planner
        /// puts it), which must complete with every step done; then 300 more answers. Returns the longest gap the client saw
        /// from the start of the migration to those answers (µs) and the steps as the engine recorded them.
        /// </summary>
        public Task<(long GapUs, string Steps, MigrationId Id)> MigrateAsync(EnginePortal portal, ServiceInstance svc, NodeId? destination) =>
            AgentEdge.MigrateColdAsync(portal, svc, Client, destination);

        /// <summary>
        /// Once the migration has finished: 300 more answers on the same connection, every counter consecutive, every checksum
        /// the model's, a full recomputation after the longest gap. Returns the answers and the longest gap (µs).
        /// </summary>
        public async Task<(IReadOnlyList<Answer> Answers, long LongestGapUs)> CheckClientAsync(int reconnects = 0)
        {
            await Client.WaitForAnswersAsync(Client.Answers.Count + 300, TimeSpan.FromSeconds(30));
            return await Client.StopAndVerifyAsync(StateBytes, reconnects);
        }

        /// <summary>
        /// The host <paramref name="host"/> dies as far as the migration can tell: every process in its network namespace
        /// (the service, CRIU serving its pages) is killed. Returns how many.
        /// </summary>
        public async Task<int> KillHostAsync(string host)
        {
            var pids = (await Lab.RunAsync("ip", ["netns", "pids", $"{_lab.Prefix}-{host}"])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            foreach (var pid in pids)
                await Lab.RunAsync("kill", ["-9", pid.Trim()]);
            return pids.Length;
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
                await _client.DisposeAsync();
            if (_service is { HasExited: false })
                _service.Kill();
            _service?.Dispose();
            // lab.sh down kills everything left in the lab's namespaces, the restored trees' holders included.
            if (_lab is not null)
                await _lab.DisposeAsync();
            if (_h1 is not null)
                await _h1.DisposeAsync();
            if (_h2 is not null)
                await _h2.DisposeAsync();
            Directory.Delete(_folder, recursive: true);
        }
    }
}
