using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace EdgePortal.Web.Tests.Automation;

public sealed class SchedulesApiTests : PortalTest
{
    private static Guid Leaderboard => DemoEdge.Build().Services.Single(s => s.Name == "leaderboard").Id.Value;

    private static object CronBody(string? cron, string timeZone = "Europe/Rome") => new
    {
        name = "Nightly rebalance",
        kind = "Cron",
        cron,
        timeZone,
        target = new { kind = "Service", serviceId = Leaderboard },
        misfirePolicy = "Skip",
    };

    private static async Task<JsonElement> Errors(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("errors").Clone();
    }

    [Theory]
    [InlineData("every night")]
    [InlineData("0 0 25 * * ?")]
    [InlineData("0 61 * * * ?")]
    [InlineData(null)]
    public async Task Create_BadCron_Returns400NamingCron(string? cron)
    {
        var errors = await Errors(await Client.PostAsJsonAsync("/api/v1/schedules", CronBody(cron)));

        Assert.True(errors.TryGetProperty("cron", out var messages), errors.ToString());
        Assert.NotEmpty(messages[0].GetString()!);
    }

    [Fact]
    public async Task Create_UnknownTimeZone_Returns400NamingTimeZone()
    {
        var errors = await Errors(await Client.PostAsJsonAsync("/api/v1/schedules", CronBody("0 0 2 * * ?", "Europe/Atlantis")));

        Assert.True(errors.TryGetProperty("timeZone", out _), errors.ToString());
    }

    [Fact]
    public async Task Create_MissingTargetAndBadMisfirePolicy_Returns400NamingEachField()
    {
        var errors = await Errors(await Client.PostAsJsonAsync("/api/v1/schedules", new { name = "x", kind = "Cron", cron = "0 0 2 * * ?", misfirePolicy = "Sometimes" }));

        Assert.True(errors.TryGetProperty("target.kind", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("misfirePolicy", out _), errors.ToString());
    }

    [Fact]
    public async Task Create_ValidCron_Returns201WithNextFiveFireTimes()
    {
        var response = await Client.PostAsJsonAsync("/api/v1/schedules", CronBody("0 0 2 * * ?"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(5, json.RootElement.GetProperty("nextFireTimes").GetArrayLength());
        Assert.Equal("Skip", json.RootElement.GetProperty("schedule").GetProperty("misfire").GetString());
    }

    [Theory]
    [InlineData("GET", "/api/v1/schedules/{0}")]
    [InlineData("POST", "/api/v1/schedules/{0}/pause")]
    [InlineData("POST", "/api/v1/schedules/{0}/run-now")]
    [InlineData("GET", "/api/v1/schedules/{0}/runs")]
    [InlineData("DELETE", "/api/v1/schedules/{0}")]
    [InlineData("POST", "/api/v1/nodes/{0}/drain")]
    [InlineData("POST", "/api/v1/nodes/{0}/uncordon")]
    [InlineData("GET", "/api/v1/clusters/{0}/windows")]
    public async Task Endpoint_UnknownId_Returns404(string method, string template)
    {
        var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), string.Format(template, Guid.NewGuid())));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task CreateWindow_BadStartAndDay_Returns400NamingThem()
    {
        var cluster = DemoEdge.Build().Clusters[0].Id.Value;
        var errors = await Errors(await Client.PostAsJsonAsync($"/api/v1/clusters/{cluster}/windows",
            new { name = "Night", days = new[] { "Funday" }, start = "25:00", durationMinutes = 60, timeZone = "Europe/Rome" }));

        Assert.True(errors.TryGetProperty("days", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("start", out _), errors.ToString());
    }

    [Fact]
    public async Task RunNow_ServiceSchedule_RecordsARunWithTheMigration()
    {
        var created = await Client.PostAsJsonAsync("/api/v1/schedules", CronBody("0 0 2 1 1 ?"));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule").GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.Accepted, (await Client.PostAsync($"/api/v1/schedules/{id}/run-now", null)).StatusCode);

        var run = await WaitForRunAsync(Client, id);
        Assert.True(run.GetProperty("manual").GetBoolean());
        Assert.Equal("Started", run.GetProperty("outcome").GetString());
        Assert.Single(run.GetProperty("migrations").EnumerateArray());
    }

    /// <summary>
    /// A one-shot due in a moment fires once; the portal restarts on the same file; the schedule is still there and
    /// registered again, the one-shot is not fired a second time, and a cron schedule gets its trigger back.
    /// </summary>
    [Fact]
    public async Task Schedules_SurviveRestart_ReRegisteredWithoutDuplicateFiring()
    {
        var path = Folder.File("restart.db");
        Guid oneShot, cron;
        await using (var first = new PortalFactory(path))
        {
            using var client = first.CreateClient();
            var shot = await client.PostAsJsonAsync("/api/v1/schedules", new
            {
                name = "Move leaderboard once",
                kind = "OneShot",
                runAt = DateTimeOffset.UtcNow.AddSeconds(2),
                timeZone = "UTC",
                target = new { kind = "Service", serviceId = Leaderboard },
            });
            Assert.Equal(HttpStatusCode.Created, shot.StatusCode);
            oneShot = (await shot.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule").GetProperty("id").GetGuid();
            var daily = await client.PostAsJsonAsync("/api/v1/schedules", CronBody("0 0 3 * * ?"));
            cron = (await daily.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule").GetProperty("id").GetGuid();

            var run = await WaitForRunAsync(client, oneShot);
            Assert.False(run.GetProperty("manual").GetBoolean());
            Assert.Equal("Started", run.GetProperty("outcome").GetString());
        }

        await using var second = new PortalFactory(path);
        using var again = second.CreateClient();
        var schedules = await again.GetFromJsonAsync<JsonElement>("/api/v1/schedules");
        Assert.Equal(2, schedules.GetArrayLength());
        var scheduler = await second.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        Assert.True(await scheduler.Exists(ScheduleRegistry.JobKeyOf(ScheduleId.From(oneShot))));
        Assert.False(await scheduler.Exists(ScheduleRegistry.TriggerKeyOf(ScheduleId.From(oneShot))));
        var cronTrigger = await scheduler.GetTrigger(ScheduleRegistry.TriggerKeyOf(ScheduleId.From(cron)));
        Assert.NotNull(cronTrigger?.NextFireTimeUtc);
        var runs = await again.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{oneShot}/runs");
        Assert.Equal(1, runs.GetArrayLength());
        Assert.Empty((await again.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{oneShot}")).GetProperty("nextFireTimes").EnumerateArray());
    }

    /// <summary>
    /// Quartz misses a firing while the portal runs (here: the trigger is held past its time and the misfire threshold,
    /// as a busy scheduler or a paused host would): a Skip schedule records the skipped firing, with the time it missed.
    /// </summary>
    [Fact]
    public async Task Misfire_SkipScheduleMissedWhileRunning_RecordsSkippedRunForTheMissedTime()
    {
        await using var factory = new PortalFactory(Folder.File("misfire.db"), new Dictionary<string, string?>
        {
            ["EdgePortal:Automation:MisfireThreshold"] = "00:00:00.200",
            // A cron every second is refused by default (EdgePortal:Limits:MinCronInterval, one minute); this test needs one.
            ["EdgePortal:Limits:MinCronInterval"] = "00:00:01",
        });
        using var client = factory.CreateClient();
        var created = await client.PostAsJsonAsync("/api/v1/schedules", new
        {
            name = "Every second",
            kind = "Cron",
            cron = "* * * ? * *",
            timeZone = "UTC",
            target = new { kind = "LabelSelector", labels = "tier=none-such" },
            misfirePolicy = "Skip",
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = ScheduleId.From((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schedule").GetProperty("id").GetGuid());
        var scheduler = await factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        var key = ScheduleRegistry.TriggerKeyOf(id);

        await scheduler.PauseTrigger(key);
        var due = (await scheduler.GetTrigger(key))!.NextFireTimeUtc!.Value;
        // Held until that firing is later than the threshold allows (the clock is the condition).
        while (DateTimeOffset.UtcNow <= due + TimeSpan.FromMilliseconds(400))
            await Task.Delay(due + TimeSpan.FromMilliseconds(450) - DateTimeOffset.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
        await scheduler.ResumeTrigger(key);

        var run = await WaitForRunAsync(client, id.Value, r => r.GetProperty("outcome").GetString() == "SkippedMisfire");
        Assert.Equal(due, run.GetProperty("scheduledFor").GetDateTimeOffset());
        Assert.True(run.GetProperty("late").GetBoolean());
        Assert.Contains("while EdgePortal was running", run.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Polls the run history until a run (the first, or one that matches) appears (the condition, not a fixed wait).</summary>
    private static async Task<JsonElement> WaitForRunAsync(HttpClient client, Guid schedule, Func<JsonElement, bool>? match = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var runs = await client.GetFromJsonAsync<JsonElement>($"/api/v1/schedules/{schedule}/runs");
            foreach (var run in runs.EnumerateArray())
                if (match?.Invoke(run) ?? true)
                    return run;
            await Task.Delay(50);
        }
        throw new TimeoutException($"Schedule {schedule} recorded no{(match is null ? "" : " matching")} run within 30 s.");
    }

    [Fact]
    public async Task Uncordon_CordonedNode_TakesServicesAgain()
    {
        var inventory = Factory.Services.GetRequiredService<IInventoryRepository>();
        var node = inventory.Nodes().First(n => n.Name == "centro-vanchiglia");
        inventory.Save(node.WithStatus(NodeStatus.Cordoned));

        var response = await Client.PostAsync($"/api/v1/nodes/{node.Id}/uncordon", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(NodeStatus.Ready, inventory.FindNode(node.Id)!.Status);
    }
}
