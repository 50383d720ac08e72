using System.Text.Json;
using EdgePortal.Core.Domain;

namespace EdgePortal.ScaleOut.Tests;

/// <summary>Schedules on replicas sharing Quartz's clustered job store: each firing happens on one replica only.</summary>
[Collection(ReplicaCollection.Name)]
public sealed class ScheduleReplicaTests(ReplicaFixture fixture)
{
    /// <summary>A label selector that matches no service: a firing records a run (NothingToDo) and starts nothing.</summary>
    private static object Schedule(string name, string kind, string misfire, string? cron = null, DateTimeOffset? runAt = null) => new
    {
        name,
        kind,
        cron,
        runAt,
        timeZone = "UTC",
        target = new { kind = "LabelSelector", labels = "edgeportal.test/nothing=here" },
        misfirePolicy = misfire,
        respectMaintenanceWindows = false,
    };

    private static Task<ScheduleRun[]> RunsAsync(PortalProcess portal, Guid schedule) => portal.GetAsync<ScheduleRun[]>($"api/v1/schedules/{schedule}/runs?limit=200");

    private static Guid IdOf(JsonElement view) => view.GetProperty("schedule").GetProperty("id").GetGuid();

    [Fact]
    public async Task CronSchedule_ThreeReplicas_FiresOnceAtEachTime()
    {
        // Every two seconds: more often than a production portal allows (EdgePortal:Limits:MinCronInterval), so lowered here.
        await using var replicas = await Replicas.StartAsync(fixture, 3, new Dictionary<string, string> { ["EdgePortal__Limits__MinCronInterval"] = "00:00:01" });
        var schedule = IdOf(await replicas[0].PostAsync("api/v1/schedules", Schedule("every two seconds", "Cron", "Skip", cron: "0/2 * * * * ?")));

        var runs = await Eventually.HoldsAsync(() => RunsAsync(replicas[2], schedule), r => r.Length >= 6, TimeSpan.FromSeconds(60), "six firings");
        await replicas[1].PostAsync($"api/v1/schedules/{schedule}/pause", new { });
        // Paused: the trigger is gone, and once no firing is in flight (a job's run is recorded before its firing ends) the history is final.
        await Eventually.HoldsAsync(() => Task.FromResult(replicas.ScheduleTriggers()), rows => rows.Count == 0, TimeSpan.FromSeconds(30), "no trigger and no firing in flight");
        runs = await RunsAsync(replicas[0], schedule);

        var times = runs.Select(r => r.ScheduledFor!.Value).ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.All(runs, r => Assert.Equal(ScheduleRunOutcome.NothingToDo, r.Outcome));
        Assert.All(times.Order().Zip(times.Order().Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(2), pair.Second - pair.First));
    }

    [Fact]
    public async Task OneShots_DueWhileEveryReplicaIsDown_AreHandledOnceByTheirMisfirePolicy()
    {
        var settings = new Dictionary<string, string> { ["EdgePortal__Automation__MisfireThreshold"] = "00:00:01" };
        await using var replicas = await Replicas.StartAsync(fixture, 2, settings);
        var due = DateTimeOffset.UtcNow.AddSeconds(10);
        var late = IdOf(await replicas[0].PostAsync("api/v1/schedules", Schedule("run once late", "OneShot", "RunOnceLate", runAt: due)));
        var skipped = IdOf(await replicas[1].PostAsync("api/v1/schedules", Schedule("skip", "OneShot", "Skip", runAt: due)));
        var killed = await replicas.KillAllAsync();
        Assert.True(killed < due, $"the replicas were down before the schedules were due (killed {killed:O}, due {due:O})");

        await Eventually.PassesAsync(due.AddSeconds(2));
        await replicas.StartMoreAsync(2);

        // Quartz drops a one-shot's trigger once it has fired or been skipped; then nothing more can happen to it.
        await Eventually.HoldsAsync(() => Task.FromResult(replicas.ScheduleTriggers()), rows => rows.Count == 0, TimeSpan.FromSeconds(60), "both one-shots to be done with");
        var lateRuns = await Eventually.HoldsAsync(() => RunsAsync(replicas[0], late), r => r.Length > 0, TimeSpan.FromSeconds(30), "the late run's record");
        var skippedRuns = await Eventually.HoldsAsync(() => RunsAsync(replicas[1], skipped), r => r.Length > 0, TimeSpan.FromSeconds(30), "the skip's record");

        var run = Assert.Single(lateRuns);
        Assert.Equal((true, ScheduleRunOutcome.NothingToDo), (run.Late, run.Outcome));
        Assert.Equal(due, run.ScheduledFor!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(ScheduleRunOutcome.SkippedMisfire, Assert.Single(skippedRuns).Outcome);
    }
}
