using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;

namespace EdgePortal.Web.Tests.Automation;

/// <summary>
/// The KPI monitor on the simulated edge with a scripted mobility trace: the 220 players of "leaderboard"
/// (target 4 ms, running at Porta Nuova) walk to Nichelino (6.2 ms away, 55 % over) and back.
/// </summary>
public sealed class KpiAutomationTests
{
    private static MobilityMove[] Oscillating(UserGroupId group, NodeId home, NodeId away, int from, int count)
        => [.. Enumerable.Range(from, count).Select(step => new MobilityMove(step, group, step % 2 == 0 ? home : away))];

    private static IReadOnlyList<AutomationDecision> DecisionsFor(AutomationHarness h, string service)
        => h.Decisions.List(h.Service(service).Id);

    [Fact]
    public async Task Evaluate_LatencyOscillatesAroundTargetThenSustained_MigratesOnceAndNotAgainDuringCoolDown()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        var players = h.Group("Players Centro");
        var portaNuova = h.Node("centro-porta-nuova");
        var nichelino = h.Node("sud-nichelino");

        // Steps 0..10: the players go back and forth every evaluation — never N violations in a row.
        var trace = Oscillating(players.Id, portaNuova, nichelino, 0, 11);
        for (var step = 0; step <= 10; step++)
        {
            h.Mobility.Apply(trace, step);
            h.Kpi.Evaluate();
        }
        Assert.Empty(DecisionsFor(h, "leaderboard"));

        // Then they stay in Nichelino: the third evaluation in a row acts.
        h.Mobility.Apply([new MobilityMove(11, players.Id, nichelino)], 11);
        h.Kpi.Evaluate();
        h.Kpi.Evaluate();
        Assert.Empty(DecisionsFor(h, "leaderboard"));
        h.Kpi.Evaluate();

        var decision = Assert.Single(DecisionsFor(h, "leaderboard"));
        Assert.Equal(AutomationAction.Migrated, decision.Action);
        Assert.Equal(3, decision.ConsecutiveViolations);
        Assert.Equal(4, decision.Target);
        Assert.True(decision.Value > 4.4, $"latency {decision.Value}");
        Assert.NotNull(decision.WhyThisNode);
        Assert.NotNull(decision.Plan);
        var migration = await h.WaitFinishedAsync(decision.MigrationId!.Value);
        Assert.Equal(MigrationState.Completed, migration.State);
        Assert.Equal(MigrationTrigger.KpiMonitor, migration.Trigger);
        Assert.NotEqual(portaNuova, h.Service("leaderboard").NodeId);

        // The players go home again at once: a sustained violation, but within the cool-down nothing moves.
        h.Mobility.Apply([new MobilityMove(12, players.Id, portaNuova)], 12);
        for (var i = 0; i < 6; i++)
            h.Kpi.Evaluate();
        Assert.Single(DecisionsFor(h, "leaderboard"));

        // Once the cool-down has passed, N more violating evaluations move it back.
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        for (var i = 0; i < 3; i++)
            h.Kpi.Evaluate();
        Assert.Equal(2, DecisionsFor(h, "leaderboard").Count(d => d.Action == AutomationAction.Migrated));
    }

    [Fact]
    public async Task Evaluate_TwoServicesSustainedInOneEvaluation_StartsBothAsOneBatch()
    {
        await using var h = new AutomationHarness();
        await h.StartAsync();
        // The demo's AR players are away from their anchors from the start; the leaderboard's players leave now.
        h.Mobility.Apply([new MobilityMove(0, h.Group("Players Centro").Id, h.Node("sud-nichelino"))], 0);

        for (var i = 0; i < 3; i++)
            h.Kpi.Evaluate();

        var leaderboard = Assert.Single(DecisionsFor(h, "leaderboard"));
        var anchors = Assert.Single(DecisionsFor(h, "ar-anchors"));
        Assert.Equal(AutomationAction.Migrated, leaderboard.Action);
        Assert.Equal(AutomationAction.Migrated, anchors.Action);
        // One evaluation decided both: the same moment, and both migrations accepted from it.
        Assert.Equal(leaderboard.At, anchors.At);
        Assert.Equal(MigrationState.Completed, (await h.WaitFinishedAsync(leaderboard.MigrationId!.Value)).State);
        Assert.Equal(MigrationState.Completed, (await h.WaitFinishedAsync(anchors.MigrationId!.Value)).State);
    }

    [Fact]
    public async Task Evaluate_SustainedOutsideWindowNotUrgent_DefersOnceAndStartsNothing()
    {
        await using var h = new AutomationHarness(new Dictionary<string, string?> { ["EdgePortal:Automation:UrgentSeverity"] = "1.0" });
        await h.StartAsync();
        ClosedWindowFor(h, "leaderboard");
        h.Mobility.Apply([new MobilityMove(0, h.Group("Players Centro").Id, h.Node("sud-nichelino"))], 0);

        for (var i = 0; i < 6; i++)
            h.Kpi.Evaluate();

        var decision = Assert.Single(DecisionsFor(h, "leaderboard"));
        Assert.Equal(AutomationAction.DeferredOutsideWindow, decision.Action);
        Assert.False(decision.Urgent);
        Assert.Contains("outside its maintenance windows", decision.Reason);
        Assert.Empty(h.Migrations.List(new MigrationQuery(Service: h.Service("leaderboard").Id)));
    }

    [Fact]
    public async Task Evaluate_SustainedOutsideWindowButUrgent_MigratesAnyway()
    {
        await using var h = new AutomationHarness(new Dictionary<string, string?> { ["EdgePortal:Automation:UrgentSeverity"] = "0.5" });
        await h.StartAsync();
        ClosedWindowFor(h, "leaderboard");
        h.Mobility.Apply([new MobilityMove(0, h.Group("Players Centro").Id, h.Node("sud-nichelino"))], 0);

        for (var i = 0; i < 3; i++)
            h.Kpi.Evaluate();

        var decision = Assert.Single(DecisionsFor(h, "leaderboard"));
        Assert.Equal(AutomationAction.Migrated, decision.Action);
        Assert.True(decision.Urgent);
        Assert.Contains("urgent", decision.Reason);
        Assert.Equal(MigrationState.Completed, (await h.WaitFinishedAsync(decision.MigrationId!.Value)).State);
    }

    /// <summary>A window on the service's cluster that is certainly closed now: it opens the day after tomorrow.</summary>
    private static void ClosedWindowFor(AutomationHarness h, string service)
    {
        var cluster = h.Inventory.FindNode(h.Service(service).NodeId)!.ClusterId;
        var later = h.Clock.GetUtcNow().AddDays(2);
        h.Windows.Save(new MaintenanceWindow(MaintenanceWindowId.New(), cluster, "Night", [later.DayOfWeek], new TimeOnly(0, 0), TimeSpan.FromHours(1), "UTC"));
    }
}
