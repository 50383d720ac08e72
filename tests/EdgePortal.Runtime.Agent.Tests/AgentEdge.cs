using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing;
using EdgePortal.Testing.Lab;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>An Agent cluster of two lab hosts as the portal stores it, and the portal's migration path over in-memory stores.</summary>
internal static class AgentEdge
{
    public const string ClusterName = "lab";

    public static EdgeCluster Cluster { get; } = new(ClusterId.From(Guid.Parse("00000000-0000-0000-0000-0000000000a9")), ClusterName, ClusterKind.Agent, "lab");
    public static EdgeNode Source { get; } = Node(0xA1, "h1", 45.07);
    public static EdgeNode Destination { get; } = Node(0xA2, "h2", 45.46);

    /// <summary>A service on h1 with <paramref name="profile"/>; the users sit at h2 so that the planner prefers it.</summary>
    /// <param name="allowPostCopy">The service accepts post-copy (its tenant must as well: <see cref="Inventory"/>).</param>
    public static ServiceInstance Service(string name, WorkloadProfile profile, KpiTargets? targets = null, bool allowPostCopy = false) =>
        new(ServiceId.From(Guid.Parse("00000000-0000-0000-0000-0000000000b1")), TenantId.From(Guid.Parse("00000000-0000-0000-0000-0000000000b2")),
            name, Source.Id, profile, targets ?? new KpiTargets(5_000, 60_000, 20), Objective.MinDowntime, allowPostCopy: allowPostCopy);

    /// <param name="bandwidth">The h1–h2 link's bandwidth as the portal knows it (what a plan can reserve); 1 Gbit/s when null.</param>
    public static EdgeInventory Inventory(ServiceInstance service, Bandwidth? bandwidth = null)
    {
        var tenant = new Tenant(service.TenantId, "tenant", [Cluster.Id], allowPostCopy: service.AllowPostCopy);
        var link = new NetworkLink(LinkId.New(), Source.Id, Destination.Id, bandwidth ?? Bandwidth.FromGigabits(1), 1);
        var users = new UserGroup(UserGroupId.New(), service.Id, "users", Destination.Id, 5);
        return new EdgeInventory([tenant], [Cluster], [Source, Destination], [link], [service], [users]);
    }

    /// <summary>The options of the lab's Agent cluster over agents <paramref name="h1"/> and <paramref name="h2"/>: mutual TLS with the test CA.</summary>
    public static AgentClusterOptions ClusterOf(AgentHost h1, AgentHost h2)
    {
        var cluster = new AgentClusterOptions { Tls = TestPki.Shared.PortalTls };
        cluster.Nodes[h1.Name] = h1.BaseUri.AbsoluteUri;
        cluster.Nodes[h2.Name] = h2.BaseUri.AbsoluteUri;
        return cluster;
    }

    /// <summary>Agents h1 and h2 acting in the lab's namespaces, peers of each other (their page servers on the lab's host addresses).</summary>
    public static async Task<(AgentHost H1, AgentHost H2)> AgentsAsync(Lab lab, IReadOnlyDictionary<string, string?>? h1 = null, IReadOnlyDictionary<string, string?>? h2 = null)
    {
        var agents = await AgentHost.StartManyAsync(
            new AgentSpec("h1", With(h1, "EdgePortal:Agent:NetworkNamespace", lab.Namespace("h1")), lab.Address(1)),
            new AgentSpec("h2", With(h2, "EdgePortal:Agent:NetworkNamespace", lab.Namespace("h2")), lab.Address(2)));
        return (agents[0], agents[1]);
    }

    private static Dictionary<string, string?> With(IReadOnlyDictionary<string, string?>? settings, string key, string value)
    {
        var all = settings is null ? new Dictionary<string, string?>() : new Dictionary<string, string?>(settings);
        all[key] = value;
        return all;
    }

    public static AgentEdgeRuntime Runtime(AgentClusterOptions cluster, HttpClient? http = null)
    {
        var options = new AgentEdgeOptions();
        options.Clusters[ClusterName] = cluster;
        return new AgentEdgeRuntime(new Monitor<AgentEdgeOptions>(options), TimeProvider.System, NullLogger<AgentEdgeRuntime>.Instance, http);
    }

    /// <summary>
    /// One Cold migration through the coordinator and the engine (to <paramref name="destination"/>, or where the planner puts
    /// it), which must complete with every step done; then 300 more answers. Returns the longest gap the client saw from the
    /// start of the migration to those answers (µs), the steps as the engine recorded them, and the migration's id.
    /// </summary>
    public static async Task<(long GapUs, string Steps, MigrationId Id)> MigrateColdAsync(EnginePortal portal, ServiceInstance svc, ProbeClient client, NodeId? destination)
    {
        var from = client.Answers.Count;
        // The cluster probed before planning: on a loaded machine the agents' probes can outlast the planner's wait for a
        // first probe (PlanningWait), and the plan would be refused as "not probed yet".
        await portal.Capabilities.RefreshAsync(Cluster);
        var result = portal.Coordinator.Start(new MigrationRequest
        {
            ServiceId = svc.Id, Strategy = MigrationStrategy.Cold, Destination = destination, RequestedBy = "test", AcceptTargetMiss = true,
        });
        Assert.True(result is MigrationRequestResult.Accepted, $"The migration was not accepted: {result}");
        var migration = ((MigrationRequestResult.Accepted)result).Migration;
        var finished = await portal.Events.WaitFor<MigrationFinished>(e => e.MigrationId == migration.Id, TimeSpan.FromSeconds(120));
        var stored = portal.Migrations.Find(migration.Id)!;
        var steps = Steps(stored);
        Assert.True(finished.State == MigrationState.Completed, $"{finished.State}: {stored.FailureReason}\n{steps}");
        Assert.Equal(stored.Plan.Destination, portal.Inventory.FindService(svc.Id)!.NodeId);
        await client.WaitForAnswersAsync(client.Answers.Count + 300, TimeSpan.FromSeconds(30));
        var answers = client.Answers;
        var gap = answers.Skip(Math.Max(0, from - 1)).Zip(answers.Skip(from), (x, y) => y.TimeUs - x.TimeUs).DefaultIfEmpty(0).Max();
        return (gap, steps, migration.Id);
    }

    /// <summary>The migration's steps as the engine recorded them, one line each.</summary>
    public static string Steps(Migration migration) => string.Join("\n", migration.Steps.Select(s => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"  {s.Label}: {s.Status}, {s.MeasuredMs:0} ms (predicted {s.PredictedMs:0}) — {s.Message}")));

    private static EdgeNode Node(int n, string name, double lat) =>
        new(NodeId.From(new Guid(n, 0, 0, new byte[8])), Cluster.Id, name, name, new NodeCapacity(4_000, 8_000_000_000), new GeoLocation(lat, 7.6));
}

/// <summary>
/// Agents that answer only GET /criu/capabilities, with <paramref name="capabilities"/> of the host the request went to (its
/// first DNS label: h1, h2); everything else 404.
/// </summary>
internal sealed class CapabilityStubAgents(Func<string, string> capabilities) : HttpMessageHandler
{
    /// <summary>The options of the lab cluster with its agents at these stubs (h1.agents.test, h2.agents.test).</summary>
    public static AgentClusterOptions Cluster()
    {
        var o = new AgentClusterOptions();
        o.Nodes["h1"] = "http://h1.agents.test:8471/";
        o.Nodes["h2"] = "http://h2.agents.test:8471/";
        return o;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri!.AbsolutePath != "/criu/capabilities")
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NotFound));
        var json = capabilities(request.RequestUri.Host.Split('.')[0]);
        return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") });
    }
}

internal sealed class Monitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
