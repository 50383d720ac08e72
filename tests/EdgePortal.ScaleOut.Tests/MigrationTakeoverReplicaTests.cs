using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.ScaleOut.Tests;

/// <summary>
/// Migrations run once across replicas, and survive their replica: SIGKILL the one driving a migration, another takes it
/// over; cancel it through another replica, the one driving it rolls it back.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class MigrationTakeoverReplicaTests(ReplicaFixture fixture)
{
    /// <summary>ar-anchors of the demo edge (ids are derived from names, the same on every machine).</summary>
    private static readonly Guid ArAnchors = Guid.Parse("39e1d528-90de-5fca-9436-3a1b7168d38d");

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Migration_ItsReplicaKilled_AnotherReplicaTakesItOverWithinTheLeaseBoundAndFinishesItOnce()
    {
        // Real time, slowed down, so that the migration is still in flight when its replica dies.
        var settings = new Dictionary<string, string>
        {
            ["EdgePortal__Engine__LeaseDuration"] = Lease.ToString("c", CultureInfo.InvariantCulture),
            ["EdgePortal__Simulator__SpeedFactor"] = "1",
        };
        await using var replicas = await Replicas.StartAsync(fixture, 2, settings);
        var started = await replicas[0].PostAsync("api/v1/migrations", new { serviceId = ArAnchors, acceptTargetMiss = true });
        var id = started.GetProperty("id").GetGuid();
        string Row() => replicas.Rows($"SELECT state, coalesce(lease_owner, '-') FROM migrations WHERE id = '{id}'").Single();

        var running = await Eventually.HoldsAsync(() => Task.FromResult(Row()), r => r.StartsWith("Running | ", StringComparison.Ordinal) && !r.EndsWith(" | -", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the migration running under a lease");
        var holderPid = OwnerPid(running);
        var holder = replicas.Portals.Single(p => p.ProcessId == holderPid);
        var survivor = replicas.Portals.Single(p => p != holder);
        holder.Kill();
        var killed = DateTimeOffset.UtcNow;

        // Taken over: the survivor claims it (or finishes it) within the lease and one scan period, plus start-up slack.
        var takenOver = await Eventually.HoldsAsync(() => Task.FromResult(Row()),
            r => Finished(r) || (!r.EndsWith(" | -", StringComparison.Ordinal) && OwnerPid(r) == survivor.ProcessId),
            Lease + Lease / 3 + TimeSpan.FromSeconds(10), "the survivor taking the migration over");
        Assert.InRange(DateTimeOffset.UtcNow - killed, TimeSpan.Zero, Lease + Lease / 3 + TimeSpan.FromSeconds(10));

        var final = await Eventually.HoldsAsync(() => Task.FromResult(Row()),
            r => Finished(r) || r.StartsWith("Failed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(180), $"the migration finishing (taken over as {takenOver})");
        Assert.True(final.StartsWith("Completed", StringComparison.Ordinal) || final.StartsWith("RolledBack", StringComparison.Ordinal), final);
        // Once: the survivor recovered it once, and the service exists once, where the outcome says.
        Assert.Single(survivor.Log.Split('\n'), l => l.Contains($"Recovered migration {id}", StringComparison.Ordinal));
        Assert.Equal(1, replicas.Scalar("SELECT count(*) FROM services WHERE id = @id", ("id", ArAnchors)));
        var node = replicas.Scalar("SELECT CASE WHEN s.doc->>'nodeId' = m.doc->'plan'->>'destination' THEN 1 WHEN s.doc->>'nodeId' = m.source_node_id::text THEN 0 ELSE -1 END " +
            "FROM services s, migrations m WHERE s.id = @service AND m.id = @migration", ("service", ArAnchors), ("migration", id));
        Assert.Equal(final.StartsWith("Completed", StringComparison.Ordinal) ? 1 : 0, node);
    }

    [Fact]
    public async Task Cancel_AskedOfTheReplicaNotDrivingIt_TheDrivingReplicaRollsItBackAndItEndsCancelled()
    {
        var settings = new Dictionary<string, string> { ["EdgePortal__Simulator__SpeedFactor"] = "1" };
        await using var replicas = await Replicas.StartAsync(fixture, 2, settings);
        var started = await replicas[0].PostAsync("api/v1/migrations", new { serviceId = ArAnchors, acceptTargetMiss = true });
        var id = started.GetProperty("id").GetGuid();
        string Row() => replicas.Rows($"SELECT state, coalesce(lease_owner, '-') FROM migrations WHERE id = '{id}'").Single();
        var running = await Eventually.HoldsAsync(() => Task.FromResult(Row()), r => r.StartsWith("Running | ", StringComparison.Ordinal) && !r.EndsWith(" | -", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the migration running under a lease");
        var holder = replicas.Portals.Single(p => p.ProcessId == OwnerPid(running));
        var other = replicas.Portals.Single(p => p != holder);

        // 202 (PostAsync throws on anything else): before the relay, this replica answered 409 "nothing to cancel".
        await other.PostAsync($"api/v1/migrations/{id}/cancel", new { });

        var final = await Eventually.HoldsAsync(() => Task.FromResult(Row()), r => !r.StartsWith("Running", StringComparison.Ordinal) && !r.StartsWith("RollingBack", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the migration ending after the cancel");
        Assert.StartsWith("Cancelled | ", final, StringComparison.Ordinal);
        Assert.Contains($"Cancel of migration {id} forwarded by another replica: RollingBack", holder.Log, StringComparison.Ordinal);
        Assert.Equal(0, replicas.Scalar("SELECT CASE WHEN s.doc->>'nodeId' = m.source_node_id::text THEN 0 ELSE 1 END FROM services s, migrations m WHERE s.id = @service AND m.id = @migration",
            ("service", ArAnchors), ("migration", id)));
    }

    private static bool Finished(string row) => row.StartsWith("Completed", StringComparison.Ordinal) || row.StartsWith("RolledBack", StringComparison.Ordinal);

    private static int OwnerPid(string row) => int.Parse(row.Split(" | ")[1].Split('/')[1], CultureInfo.InvariantCulture);
}
