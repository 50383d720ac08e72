using System.Globalization;
using System.Net.Http.Json;
using EdgePortal.Agent;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using Xunit.Abstractions;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// Issue 17 through the portal's own path: the state service runs as a Podman container (runc, CRIU 4.2.1) on lab host h1,
/// labelled with its tenant; the engine moves it Cold to h2 and back through the Agent runtime and two real agents that drive
/// their host's Podman both ways an agent can: h1's the CLI (podman container checkpoint --export / restore --import, in the
/// host's network namespace), h2's the Podman service through its API socket (as the agent's container does on a real host). A live
/// client keeps its one TCP connection and sees the state intact. Tenant B's container of the same service name runs on h1
/// beside it, untouched by both migrations (issue 14 item 8). Needs root; without it the test fails with that reason.
/// </summary>
[Trait("Category", "CriuLab")]
[Collection(CriuLabCollection.Name)]
public sealed class PodmanLabMigrationTests(ITestOutputHelper output)
{
    private const int Port = 7000;
    private const int OtherTenantPort = 7001;
    private const long StateBytes = 10L * 1024 * 1024;
    private const int DirtyPagesPerSecond = 1000;
    private const string ServiceName = "stateservice";

    [Fact]
    public async Task Cold_ContainerThereAndBack_StateIntactConnectionKeptOtherTenantsContainerUntouched()
    {
        await LabRequirements.EnsureAsync();
        var folder = Directory.CreateTempSubdirectory("edgeportal-podman-lab-").FullName;
        Lab? lab = null;
        PodmanLab? podman = null;
        ProbeClient? client = null;
        AgentHost? h1 = null, h2 = null;
        System.Diagnostics.Process? service = null;
        try
        {
            lab = await Lab.UpAsync(2, "10.237.0");
            podman = await PodmanLab.StartAsync(folder);
            var (_, clientBinary) = await Workloads.BuildAsync(folder);
            var address = $"{lab.Network}.100";
            await lab.IpAsync("h1", "addr", "add", $"{address}/24", "dev", "eth0");

            var svc = AgentEdge.Service(ServiceName, new WorkloadProfile(StateBytes, DirtyPagesPerSecond));
            var tenant = AgentEdgeRuntime.Tenant(svc);
            var otherTenant = Guid.Parse("00000000-0000-0000-0000-0000000000c2").ToString("N");
            await podman.StartStateServiceAsync(lab.Namespace("h1"), ServiceName, tenant, Port, StateBytes, DirtyPagesPerSecond);
            var other = await podman.StartStateServiceAsync(lab.Namespace("h1"), ServiceName, otherTenant, OtherTenantPort, StateBytes, DirtyPagesPerSecond);
            var otherBefore = await podman.StateAsync(other);

            var socket = Path.Combine(folder, "podman-h2.sock");
            service = await podman.StartServiceAsync(lab.Namespace("h2"), socket);
            (h1, h2) = await AgentEdge.AgentsAsync(lab, podman.AgentSettings(), PodmanLab.AgentSettingsForSocket(socket));
            client = new ProbeClient(Workloads.StartIn(lab.Namespace("client"), clientBinary, address, Port.ToString(CultureInfo.InvariantCulture), "2", "25"));
            await client.WaitForAnswersAsync(300, TimeSpan.FromSeconds(30));

            var cluster = AgentEdge.ClusterOf(h1, h2);
            cluster.ServiceAddresses[ServiceName] = $"{address}/24";
            var runtime = AgentEdge.Runtime(cluster);
            var probe = await runtime.ProbeAsync(AgentEdge.Cluster, CancellationToken.None);
            Assert.True(probe.Reachable, probe.Summary);
            Assert.Contains("OCI runtime runc", probe.Summary, StringComparison.Ordinal);
            Assert.Contains("no post-copy", probe.Summary, StringComparison.Ordinal);
            Assert.Contains("(API socket)", probe.Summary, StringComparison.Ordinal);

            await using var portal = new EnginePortal(AgentEdge.Inventory(svc), runtime);
            await portal.StartAsync();
            var there = await AgentEdge.MigrateColdAsync(portal, svc, client, null);
            Assert.Equal(AgentEdge.Destination.Id, portal.Inventory.FindService(svc.Id)!.NodeId);
            Assert.Contains("Podman container", there.Steps, StringComparison.Ordinal);
            Assert.Contains("podman container checkpoint --export", there.Steps, StringComparison.Ordinal);
            Assert.Contains("podman container restore --import", there.Steps, StringComparison.Ordinal);
            var moved = await podman.StateAsync($"{ServiceName}.{tenant}");
            Assert.True(moved is { Running: true } && await PodmanLab.RunsInAsync(moved.Value.Pid, lab.Namespace("h2")), $"h2 does not run the restored container: {moved}");
            using (var agent = h2.Client())
            {
                var workload = await agent.GetFromJsonAsync<CriuWorkload>($"criu/workloads/{ServiceName}?tenant={tenant}");
                Assert.True(workload is { Running: true, Container: not null } && workload.Tenant == tenant, $"h2's agent does not find the container: {workload}");
            }

            var back = await AgentEdge.MigrateColdAsync(portal, svc, client, AgentEdge.Source.Id);
            Assert.Equal(AgentEdge.Source.Id, portal.Inventory.FindService(svc.Id)!.NodeId);
            var home = await podman.StateAsync($"{ServiceName}.{tenant}");
            Assert.True(home is { Running: true } && await PodmanLab.RunsInAsync(home.Value.Pid, lab.Namespace("h1")), $"h1 does not run the container again: {home}");

            await client.WaitForAnswersAsync(client.Answers.Count + 300, TimeSpan.FromSeconds(30));
            var (answers, longest) = await client.StopAndVerifyAsync(StateBytes);
            Assert.Empty(client.Reconnects);
            // Tenant B's container of the same name: the same process, started once, never checkpointed.
            Assert.Equal(otherBefore, await podman.StateAsync(other));

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"""
                Cold migration of a {StateBytes / 1024 / 1024} MB state service in a Podman container (runc, CRIU), h1 → h2 → h1 through the engine; one TCP connection, reconnects 0, {answers.Count} answers, counters consecutive, checksums match; tenant B's {ServiceName} on h1 untouched
                probe: {probe.Summary}
                h1 → h2: client-seen downtime {there.GapUs / 1000.0:0.0} ms
                {there.Steps}
                h2 → h1: client-seen downtime {back.GapUs / 1000.0:0.0} ms
                {back.Steps}
                longest gap over the whole run: {longest / 1000.0:0.0} ms
                """));
        }
        finally
        {
            if (client is not null)
                await client.DisposeAsync();
            if (service is { HasExited: false })
                service.Kill(entireProcessTree: true);
            service?.Dispose();
            if (podman is not null)
                await podman.StopAsync();
            if (lab is not null)
                await lab.DisposeAsync();
            if (h1 is not null)
                await h1.DisposeAsync();
            if (h2 is not null)
                await h2.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
