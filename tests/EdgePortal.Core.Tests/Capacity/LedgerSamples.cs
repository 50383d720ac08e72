using EdgePortal.Core.Capacity;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Planning;
using EdgePortal.Core.Tests.Planning;

namespace EdgePortal.Core.Tests.Capacity;

/// <summary>Migrations that hold bandwidth on <see cref="PlanningTopology"/>'s path from src to n1 (src–n2, n2–n1).</summary>
internal static class LedgerSamples
{
    public static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-07T10:00:00Z");

    /// <summary>
    /// A migration of the topology's service to n1 holding <paramref name="megabits"/> on its path for <paramref name="durationMs"/>
    /// (one transfer that sends all along), running from now unless <paramref name="start"/> is false.
    /// </summary>
    public static Migration Holding(PlanningTopology edge, double megabits, double durationMs, bool start = true)
        => Sending(edge, megabits, [new PlannedStep(StepKind.Transfer, 0, durationMs, true, durationMs)], start);

    /// <summary>A migration of the topology's service to n1 at <paramref name="megabits"/> whose plan has <paramref name="steps"/> (its time profile).</summary>
    public static Migration Sending(PlanningTopology edge, double megabits, IReadOnlyList<PlannedStep> steps, bool start = true)
    {
        var plan = new MigrationPlanner(edge.Topology).Plan(edge.Service, edge.Tenant).Plan! with
        {
            ReservedBandwidth = Bandwidth.FromMegabits(megabits),
            PredictedMigrationTimeMs = steps.Sum(s => s.PredictedMs),
            Steps = steps,
        };
        Assert.Equal(edge.N1.Id, plan.Destination);
        var migration = Migration.Create(edge.Service, edge.ClusterA.Id, plan, edge.Service.Targets, Objective.MinDowntime, MigrationTrigger.Api,
            "test", Now, LinkLedger.ReservationsOf(edge.Topology, plan));
        if (start)
            migration.Start(Now);
        return migration;
    }
}
