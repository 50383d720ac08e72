using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Scheduling;
using EdgePortal.Runtime.Simulated;

namespace EdgePortal.Web.Tests.Automation;

/// <summary>Retiring nodes of a small edge stored in LiteDB, with the real drainer, coordinator and mobility model.</summary>
public sealed class NodeRetirementTests
{
    /// <summary>
    /// <code>
    ///   a ─1 ms─ b ─1 ms─ c        d (isolated)
    ///   └──────3 ms───────┘
    /// </code>
    /// Service "svc" runs on b; its users "at a" attach at a, "at c" at c, "at d" at d.
    /// </summary>
    private static EdgeInventory SmallEdge()
    {
        var cluster = new EdgeCluster(ClusterId.New(), "retire-test", ClusterKind.Simulated, "Lab");
        var tenant = new Tenant(TenantId.New(), "Tenant", [cluster.Id]);
        EdgeNode Node(string name, double lon) => new(NodeId.New(), cluster.Id, name, "site " + name, new NodeCapacity(64_000, 256_000_000_000), new GeoLocation(45, lon));
        EdgeNode[] nodes = [Node("a", 7.60), Node("b", 7.61), Node("c", 7.62), Node("d", 7.63)];
        NetworkLink Link(int x, int y, double ms) => new(LinkId.New(), nodes[x].Id, nodes[y].Id, Bandwidth.FromGigabits(10), ms);
        var service = new ServiceInstance(ServiceId.New(), tenant.Id, "svc", nodes[1].Id, new WorkloadProfile(8_000_000, 50),
            new KpiTargets(5_000, 60_000, 20), Objective.MinDowntime);
        UserGroup Users(int at) => new(UserGroupId.New(), service.Id, "at " + nodes[at].Name, nodes[at].Id, 10);
        return new EdgeInventory([tenant], [cluster], nodes, [Link(0, 1, 1), Link(1, 2, 1), Link(0, 2, 3)], [service], [Users(0), Users(2), Users(3)]);
    }

    private static void Cordon(AutomationHarness h, string node) => h.Inventory.Save(h.Inventory.FindNode(h.Node(node))!.WithStatus(NodeStatus.Cordoned));

    [Fact]
    public async Task Retire_DrainedEmptyNode_LeavesTheEdgeAndItsUsersAttachAtTheNearestNode()
    {
        await using var h = new AutomationHarness(inventory: SmallEdge());
        await h.StartAsync();
        var a = h.Node("a");
        var drain = Assert.IsType<DrainStartResult.Started>(h.Drainer.Start(a, "tester"));
        await h.Drainer.WhenFinished(drain.Drain.Id).WaitAsync(TimeSpan.FromSeconds(30));

        var result = h.Get<NodeRetirement>().Retire(a);

        var retired = Assert.IsType<NodeRetirementResult.Retired>(result);
        Assert.Equal("Retired a; 1 user group(s) now attach at b.", retired.Summary);
        Assert.Equal(NodeStatus.Retired, h.Inventory.FindNode(a)!.Status);
        Assert.Equal(h.Node("b"), h.Group("at a").AttachedTo);
        Assert.Equal(h.Node("c"), h.Group("at c").AttachedTo);
        var topology = h.Inventory.Topology();
        Assert.False(topology.Contains(a));
        Assert.Equal(["b", "c", "d"], topology.Nodes.Select(n => n.Name));
        Assert.Single(topology.Links);
        // Nothing acts on it any more; history still finds it by id.
        Assert.IsType<DrainStartResult.NotFound>(h.Drainer.Start(a, "tester"));
        Assert.IsType<NodeRetirementResult.NotFound>(h.Get<NodeRetirement>().Retire(a));
        Assert.Equal("a", h.Inventory.Nodes().Single(n => n.Id == a).Name);
    }

    [Fact]
    public async Task Retire_NodeStillInUse_RefusedNamingEachBlockerAndNothingChanges()
    {
        await using var h = new AutomationHarness(inventory: SmallEdge());
        var b = h.Node("b");
        // Users at the isolated d leave no node for svc; these come to c, so a migration of svc can be queued (the engine is not started).
        h.Inventory.Save(h.Group("at d").AttachedAt(h.Node("c")));
        var queued = Assert.IsType<MigrationRequestResult.Accepted>(h.Get<MigrationCoordinator>().Start(new MigrationRequest
        {
            ServiceId = h.Service("svc").Id,
            RequestedBy = "tester",
            AcceptTargetMiss = true,
        })).Migration;
        var now = h.Clock.GetUtcNow();
        h.Get<IScheduleRepository>().Save(new Schedule(ScheduleId.New(), "nightly drain of b", ScheduleKind.Cron, null, "0 0 3 * * ?", "UTC",
            ScheduleTarget.ForNode(b), null, null, false, MisfirePolicy.RunOnceLate, now, now, "tester"));
        var running = new DrainOperation(DrainId.New(), b, "b", "tester", now, null, DrainState.Running, []);
        h.Get<IDrainRepository>().Save(running);

        var result = h.Get<NodeRetirement>().Retire(b);

        var refused = Assert.IsType<NodeRetirementResult.Refused>(result);
        Assert.Collection(refused.Blockers,
            x => Assert.StartsWith("b is Ready: drain it first", x, StringComparison.Ordinal),
            x => Assert.Equal("Service svc runs on b.", x),
            x => Assert.Equal($"Migration {queued.Id} of svc is {queued.State} from b.", x),
            x => Assert.Equal($"Drain {running.Id} of b is still running.", x),
            x => Assert.StartsWith("Schedule nightly drain of b (", x, StringComparison.Ordinal));
        Assert.StartsWith("b cannot be retired yet: b is Ready", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(NodeStatus.Ready, h.Inventory.FindNode(b)!.Status);
        Assert.True(h.Inventory.Topology().Contains(b));
    }

    [Fact]
    public async Task Retire_IsolatedNodeWithUsers_RefusedForLackOfASiteToTakeThem()
    {
        await using var h = new AutomationHarness(inventory: SmallEdge());
        Cordon(h, "d");

        var refused = Assert.IsType<NodeRetirementResult.Refused>(h.Get<NodeRetirement>().Retire(h.Node("d")));

        Assert.Equal(["1 user group(s) attach at d and no other node is reachable from it to take them."], refused.Blockers);
        Assert.Equal(h.Node("d"), h.Group("at d").AttachedTo);
    }

    [Fact]
    public async Task Apply_MoveToARetiredSite_GroupStaysWhereItIs()
    {
        await using var h = new AutomationHarness(inventory: SmallEdge());
        Cordon(h, "c");
        var group = h.Group("at a");
        Assert.IsType<NodeRetirementResult.Retired>(h.Get<NodeRetirement>().Retire(h.Node("c")));

        var moved = h.Mobility.Apply([new MobilityMove(1, group.Id, h.Node("c")), new MobilityMove(1, h.Group("at c").Id, h.Node("a"))], step: 1);

        // The move onto c is dropped; the group that c's retirement sent to b goes on to a as scripted.
        Assert.Equal(["at c"], moved.Select(g => g.Name));
        Assert.Equal(h.Node("a"), h.Group("at a").AttachedTo);
        Assert.Equal(h.Node("a"), h.Group("at c").AttachedTo);
    }
}
