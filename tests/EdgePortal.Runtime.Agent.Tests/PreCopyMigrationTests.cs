using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// IterativePreCopy on the Agent runtime, step by step as the engine runs a plan, against two in-process agents. This
/// kernel has no soft-dirty tracking, so the agents' criu is <see cref="FakePreDumpCriu"/>: its probe says tracking is on,
/// its pre-dump validates the flags and writes plausible rounds; the final dump and the restore of a real process are
/// CRIU's own. A host whose real CRIU says tracking is off is refused in CRIU's terms.
/// </summary>
[Collection(CriuLabCollection.Name)]
public sealed class PreCopyMigrationTests
{
    private static readonly ServiceInstance Service = AgentEdge.Service("sleeper", new WorkloadProfile(10_000_000, 0), new KpiTargets(2_000, 60_000, 20));

    [Fact]
    public async Task Execute_IterativePreCopyWithDirtyTracking_PreDumpRoundsThenIncrementalDumpRestoredOnTheDestination()
    {
        var folder = Directory.CreateTempSubdirectory("edgeportal-fake-criu-").FullName;
        var criu = await FakePreDumpCriu.WriteAsync(folder);
        var settings = new Dictionary<string, string?> { ["EdgePortal:Agent:CriuPath"] = criu.Path };
        var agents = await AgentHost.StartManyAsync(new AgentSpec("h1", settings), new AgentSpec("h2", settings));
        await using var h1 = agents[0];
        await using var h2 = agents[1];
        using var sleeper = FakePreDumpCriu.StartSleeper();
        var migration = MigrationId.New();
        var id = AgentEdgeRuntime.ImagesId(Service.Name, migration);
        try
        {
            using (var agent = h1.Client())
                Assert.Equal(HttpStatusCode.OK, (await agent.PutAsJsonAsync("criu/workloads/sleeper", new CriuWorkloadRegistration(sleeper.Id))).StatusCode);
            var runtime = AgentEdge.Runtime(AgentEdge.ClusterOf(h1, h2));
            var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
            Assert.True(probe.Capabilities.DirtyTracking, probe.Summary);
            // PostCopy as well where the lab's fs.pipe-max-size lets CRIU run lazy pages on both hosts (lab.sh raises it).
            MigrationStrategy[] expected = probe.Capabilities.LazyPages
                ? [MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy, MigrationStrategy.PostCopy]
                : [MigrationStrategy.Cold, MigrationStrategy.PreCopy, MigrationStrategy.IterativePreCopy];
            Assert.Equal(expected, probe.Capabilities.Strategies);
            var plan = Plan();

            var messages = new List<string>();
            foreach (var (planned, index) in plan.Steps.Select((s, i) => (s, i)))
            {
                var step = new MigrationStep(index, planned.Kind, planned.Round, planned.IsDowntime, planned.PredictedMs, StepStatus.Running, null, null, null, null);
                var outcome = await runtime.ExecuteAsync(new StepContext(migration, Service, AgentEdge.Cluster, AgentEdge.Source, AgentEdge.Destination,
                    plan, step, Bandwidth.FromGigabits(1)), CancellationToken.None);
                var success = Assert.IsType<StepOutcome.Success>(outcome);
                messages.Add($"{step.Label}: {success.Message}");
            }

            Assert.Equal(
                [StepKind.Profile, StepKind.PreDump, StepKind.PreDump, StepKind.PreDump, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp],
                plan.Steps.Select(s => s.Kind).ToArray());
            var calls = criu.Calls.ToList();
            Assert.DoesNotContain(calls, c => c.StartsWith("FAILED", StringComparison.Ordinal));
            var preDumps = calls.Where(c => c.StartsWith("pre-dump ", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, preDumps.Count);
            Assert.EndsWith($"/{id}/pre-0 -o pre-dump.log -v4 --track-mem", preDumps[0], StringComparison.Ordinal);
            Assert.EndsWith($"/{id}/pre-1 -o pre-dump.log -v4 --track-mem --prev-images-dir ../pre-0", preDumps[1], StringComparison.Ordinal);
            Assert.EndsWith($"/{id}/pre-2 -o pre-dump.log -v4 --track-mem --prev-images-dir ../pre-1", preDumps[2], StringComparison.Ordinal);
            var dump = Assert.Single(calls, c => c.StartsWith("dump ", StringComparison.Ordinal));
            Assert.Contains($"/{id} -o dump.log", dump, StringComparison.Ordinal);
            Assert.EndsWith("--track-mem --prev-images-dir pre-2", dump, StringComparison.Ordinal);
            Assert.True(calls.IndexOf(preDumps[2]) < calls.IndexOf(dump));
            // The restore on the destination followed CRIU's parent links through every round.
            Assert.Contains("parent pre-2", calls);
            Assert.Contains("parent ../pre-1", calls);
            Assert.Contains("parent ../pre-0", calls);
            Assert.Contains(messages, m => m.StartsWith("Dump round 2: pre-dump round 2", StringComparison.Ordinal) && m.Contains("--prev-images-dir ../pre-1", StringComparison.Ordinal));
            Assert.Contains(messages, m => m.StartsWith("Transfer: pre-copy: the final dump's images (the last delta", StringComparison.Ordinal));
            Assert.True(sleeper.HasExited, "the final dump ends the source process");
            using var destination = h2.Client();
            var restored = (await destination.GetFromJsonAsync<CriuWorkload>("criu/workloads/sleeper"))!;
            Assert.True(restored.Running);
            Assert.Equal(id, restored.RestoredFrom);
        }
        finally
        {
            using (var destination = h2.Client())
                await destination.DeleteAsync($"criu/restored/{id}");
            if (!sleeper.HasExited)
                sleeper.Kill();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task IterativePreCopy_ThroughEngineWithDirtyTracking_CompletedWithRoundsChainedAndServiceMoved()
    {
        var folder = Directory.CreateTempSubdirectory("edgeportal-fake-criu-").FullName;
        var criu = await FakePreDumpCriu.WriteAsync(folder);
        var settings = new Dictionary<string, string?> { ["EdgePortal:Agent:CriuPath"] = criu.Path };
        var agents = await AgentHost.StartManyAsync(new AgentSpec("h1", settings), new AgentSpec("h2", settings));
        await using var h1 = agents[0];
        await using var h2 = agents[1];
        using var sleeper = FakePreDumpCriu.StartSleeper();
        string? id = null;
        try
        {
            using (var agent = h1.Client())
                Assert.Equal(HttpStatusCode.OK, (await agent.PutAsJsonAsync("criu/workloads/sleeper", new CriuWorkloadRegistration(sleeper.Id))).StatusCode);
            var runtime = AgentEdge.Runtime(AgentEdge.ClusterOf(h1, h2));
            Assert.True((await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None)).Capabilities.DirtyTracking);
            await using var portal = new EnginePortal(AgentEdge.Inventory(Service), runtime);
            await portal.StartAsync();

            var result = portal.Coordinator.Start(new MigrationRequest
            {
                ServiceId = Service.Id, Strategy = MigrationStrategy.IterativePreCopy, Iterations = 1, RequestedBy = "test", AcceptTargetMiss = true,
            });
            var migration = Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
            id = AgentEdgeRuntime.ImagesId(Service.Name, migration.Id);
            var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));

            var stored = portal.Migrations.Find(migration.Id)!;
            var steps = string.Join("\n", stored.Steps.Select(s => $"{s.Label}: {s.Status} {s.Message}"));
            Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason}\n{steps}");
            Assert.Equal([StepKind.Profile, StepKind.PreDump, StepKind.PreDump, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp],
                stored.Steps.Select(s => s.Kind).ToArray());
            Assert.All(stored.Steps, s => Assert.Equal(StepStatus.Succeeded, s.Status));
            var calls = criu.Calls;
            Assert.DoesNotContain(calls, c => c.StartsWith("FAILED", StringComparison.Ordinal));
            var preDumps = calls.Where(c => c.StartsWith("pre-dump ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, preDumps.Count);
            Assert.EndsWith($"/{id}/pre-0 -o pre-dump.log -v4 --track-mem", preDumps[0], StringComparison.Ordinal);
            Assert.EndsWith($"/{id}/pre-1 -o pre-dump.log -v4 --track-mem --prev-images-dir ../pre-0", preDumps[1], StringComparison.Ordinal);
            Assert.EndsWith("--track-mem --prev-images-dir pre-1", Assert.Single(calls, c => c.StartsWith("dump ", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Contains("parent ../pre-0", calls);
            Assert.Equal(AgentEdge.Destination.Id, portal.Inventory.FindService(Service.Id)!.NodeId);
            Assert.False(Directory.Exists(Path.Combine(h1.ImageDirectory, "criu", id)), "CleanUp left the images on h1.");
            Assert.False(Directory.Exists(Path.Combine(h2.ImageDirectory, "criu", id)), "CleanUp left the images on h2.");
        }
        finally
        {
            if (id is not null)
                using (var destination = h2.Client())
                    await destination.DeleteAsync($"criu/restored/{id}");
            if (!sleeper.HasExited)
                sleeper.Kill();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Execute_PreDumpOnAHostWithoutDirtyTracking_RefusedWithTheProbesReason()
    {
        // This host's own CRIU: mem_dirty_track is off on this kernel.
        var agents = await AgentHost.StartManyAsync(new AgentSpec("h1"), new AgentSpec("h2"));
        await using var h1 = agents[0];
        await using var h2 = agents[1];
        var runtime = AgentEdge.Runtime(AgentEdge.ClusterOf(h1, h2));
        var plan = Plan();
        var planned = plan.Steps.First(s => s.Kind == StepKind.PreDump);
        var step = new MigrationStep(1, planned.Kind, planned.Round, planned.IsDowntime, planned.PredictedMs, StepStatus.Running, null, null, null, null);

        var outcome = await runtime.ExecuteAsync(new StepContext(MigrationId.New(), Service, AgentEdge.Cluster, AgentEdge.Source, AgentEdge.Destination,
            plan, step, Bandwidth.FromGigabits(1)), CancellationToken.None);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.StartsWith("pre-copy needs dirty-page tracking, which h1 does not support (CRIU ", failure.Reason, StringComparison.Ordinal);
        Assert.EndsWith(": mem_dirty_track off)", failure.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(h1.ImageDirectory, "criu")), "nothing ran on the source");
    }

    private static MigrationPlan Plan()
    {
        var request = DesignRequest.For(Service, [new DestinationCandidate(AgentEdge.Destination.Id, Bandwidth.FromGigabits(1), 1, 0.1, "h2")]) with
        {
            StrategyOverride = MigrationStrategy.IterativePreCopy,
            ForcedIterations = 2,
        };
        var plan = new MigrationDesigner().Design(request).Plan;
        Assert.Equal(MigrationStrategy.IterativePreCopy, plan.Strategy);
        return plan;
    }

}
