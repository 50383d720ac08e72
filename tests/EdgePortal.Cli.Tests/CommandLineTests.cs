using System.Text.Json;
using EdgePortal.Client;

namespace EdgePortal.Cli.Tests;

/// <summary>edgeportal against a real portal on Kestrel, with a SkyFleet operator key made through the API.</summary>
public sealed class CommandLineTests : IAsyncLifetime
{
    private readonly CliPortal _portal = new();

    public Task InitializeAsync() => _portal.InitializeAsync();

    public Task DisposeAsync() => _portal.DisposeAsync();

    [Fact]
    public async Task List_OutputJson_PrintsTheMigrationsAsJsonArray()
    {
        var started = await _portal.Client.StartMigrationAsync(new StartMigrationBody { ServiceId = await ServiceId("flight-control"), AcceptTargetMiss = true });

        var run = await _portal.RunAsync("list", "--output", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        var listed = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(started.Id, listed.GetProperty("id").GetGuid());
        Assert.Equal("flight-control", listed.GetProperty("serviceName").GetString());
    }

    [Fact]
    public async Task List_BuiltToolAsItsOwnProcess_ReadsTheEnvironmentAndPrintsJsonArray()
    {
        await _portal.Client.StartMigrationAsync(new StartMigrationBody { ServiceId = await ServiceId("geofence-cache"), AcceptTargetMiss = true });

        var run = await _portal.RunProcessAsync(_portal.Environment(), "list", "--output", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal("geofence-cache", Assert.Single(document.RootElement.EnumerateArray()).GetProperty("serviceName").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Migrate_WaitUntilCompleted_ExitsZeroWithTheCompletedMigration(bool poll)
    {
        string[] args = ["migrate", "flight-control", "--wait", "--accept-target-miss", "--output", "json"];
        var run = await _portal.RunAsync(poll ? [.. args, "--poll"] : args);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Equal("Completed", document.RootElement.GetProperty("state").GetString());
        var stored = await _portal.Client.GetMigrationAsync(document.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(MigrationState.Completed, stored.State);
        Assert.DoesNotContain("no live events", run.Error);
    }

    [Fact]
    public async Task Migrate_WaitWithoutTerminal_WritesOneProgressLinePerChangeToStandardError()
    {
        var run = await _portal.RunAsync("migrate", "collision-avoidance", "--wait", "--accept-target-miss");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("Completed 100%", StringComparison.Ordinal));
        Assert.DoesNotContain('\r', run.Error);
        Assert.Equal(lines.Length, lines.Distinct().Count());
        Assert.Contains(": Completed (", run.Output);
    }

    [Fact]
    public async Task Migrate_ProblemDetailFromTheApi_ExitsRefusedNamingTheField()
    {
        var run = await _portal.RunAsync("migrate", "flight-control", "--max-downtime", "-5");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("(400", run.Error);
        Assert.Contains("maxDowntimeMs:", run.Error);
        Assert.Empty(await _portal.Client.ListMigrationsAsync(null, null, null, null, null, null));
    }

    [Fact]
    public async Task Migrate_ProblemDetailWithOutputJson_PrintsTheProblemDocument()
    {
        var run = await _portal.RunAsync("migrate", "flight-control", "--max-downtime", "-5", "--output", "json");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        using var problem = JsonDocument.Parse(run.Output);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("maxDowntimeMs", out _), run.ToString());
    }

    [Fact]
    public async Task Migrate_UnknownServiceName_ExitsRefusedNamingIt()
    {
        var run = await _portal.RunAsync("migrate", "no-such-service");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("'no-such-service'", run.Error);
    }

    [Fact]
    public async Task Migrate_ServiceOfAnotherTenant_IsNotFoundForThisKey()
    {
        var run = await _portal.RunAsync("plan", "leaderboard");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("No service is named 'leaderboard'", run.Error);
    }

    [Fact]
    public async Task Plan_ServiceByName_PrintsTheDesignersAnswer()
    {
        var run = await _portal.RunAsync("plan", "flight-control", "--output", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.NotEmpty(document.RootElement.GetProperty("strategies").EnumerateArray());
        Assert.False(string.IsNullOrEmpty(document.RootElement.GetProperty("rationale").GetString()));
    }

    [Fact]
    public async Task WhatIf_Profile_PrintsTheStrategiesTable()
    {
        var run = await _portal.RunAsync("whatif", "--state-size", "10000000", "--bandwidth", "1e9", "--max-downtime", "2000",
            "--max-migration-time", "5000", "--dirty-rate", "0");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("STRATEGY", run.Output);
        Assert.Contains("IterativePreCopy", run.Output);
    }

    [Fact]
    public async Task Schedules_NoneYet_PrintsEmptyJsonArray()
    {
        var run = await _portal.RunAsync("schedules", "--output", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(run.Output).RootElement.ValueKind);
    }

    [Fact]
    public async Task List_FlagsOverrideTheEnvironment_UsesTheFlags()
    {
        var environment = new Dictionary<string, string?> { ["EDGEPORTAL_URL"] = "http://127.0.0.1:1/", ["EDGEPORTAL_KEY"] = "ep_wrong" };

        var fromEnvironment = await _portal.RunAsync(environment, "list");
        var fromFlags = await _portal.RunAsync(environment, "list", "--url", _portal.Address.ToString(), "--key", _portal.Key);

        Assert.Equal(ExitCodes.Unreachable, fromEnvironment.ExitCode);
        Assert.Contains("cannot reach the portal", fromEnvironment.Error);
        Assert.True(fromFlags.ExitCode == ExitCodes.Ok, fromFlags.ToString());
    }

    [Fact]
    public async Task List_RevokedOrUnknownKey_ExitsRefused()
    {
        var run = await _portal.RunAsync(new Dictionary<string, string?> { ["EDGEPORTAL_URL"] = _portal.Address.ToString(), ["EDGEPORTAL_KEY"] = "ep_unknown" }, "list");

        Assert.Equal(ExitCodes.Refused, run.ExitCode);
        Assert.Contains("(401", run.Error);
    }

    [Theory]
    [InlineData("lst")]
    [InlineData("list", "--output", "yaml")]
    [InlineData("cancel", "not-a-guid")]
    public async Task Run_BadCommandLine_ExitsUsage(params string[] args)
    {
        var run = await _portal.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("edgeportal: ", run.Error);
    }

    [Fact]
    public async Task Run_NoPortalConfigured_ExitsUsageNamingTheVariable()
    {
        var run = await _portal.RunAsync(new Dictionary<string, string?>(), "list");

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("EDGEPORTAL_URL", run.Error);
    }

    private async Task<Guid> ServiceId(string name)
        => (await _portal.Client.ListServicesAsync()).Single(s => s.Name == name).Id;
}

/// <summary>
/// A portal at real speed, where migrations take long enough to be watched: a 1 GB one is still going when the cancel
/// arrives, and a small one's progress bar is drawn more than once.
/// </summary>
public sealed class RealSpeedCommandTests : IAsyncLifetime
{
    private readonly CliPortal _portal = new(speedFactor: 1);

    public Task InitializeAsync() => _portal.InitializeAsync();

    public Task DisposeAsync() => _portal.DisposeAsync();

    [Fact]
    public async Task Cancel_WaitOnMigrationInFlight_ExitsZeroOnceItStopped()
    {
        var service = (await _portal.Client.ListServicesAsync()).Single(s => s.Name == "video-analytics").Id;
        var started = await _portal.Client.StartMigrationAsync(new StartMigrationBody { ServiceId = service, AcceptTargetMiss = true });

        var run = await _portal.RunAsync("cancel", started.Id.ToString()!, "--wait", "--output", "json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        Assert.Contains(document.RootElement.GetProperty("state").GetString(), new[] { "Cancelled", "RolledBack" });
        Assert.NotEqual(MigrationState.Completed, (await _portal.Client.GetMigrationAsync(started.Id)).State);
    }

    [Fact]
    public async Task Migrate_WaitTimeoutExpiresWhileItRuns_ExitsWaitTimedOutAndTheMigrationGoesOn()
    {
        var run = await _portal.RunAsync("migrate", "video-analytics", "--wait", "--accept-target-miss", "--timeout", "00:00:00.5");

        Assert.True(run.ExitCode == ExitCodes.WaitTimedOut, run.ToString());
        Assert.Contains("had not ended after", run.Error);
        var migration = Assert.Single(await _portal.Client.ListMigrationsAsync(null, null, null, null, null, null));
        Assert.Contains(migration.State, new[] { MigrationState.Queued, MigrationState.Running });
    }

    [Fact]
    public async Task Migrate_WaitOnTerminal_RedrawsOneProgressBarLineUntilFull()
    {
        var run = await _portal.RunAsync(_portal.Environment(), terminal: true, "migrate", "collision-avoidance", "--wait", "--accept-target-miss");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var frames = run.Error.Split('\r', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(frames.Length >= 2, run.ToString());
        Assert.All(frames, f => Assert.Matches(@"^\[[#-]{30}\] +\d+%", f));
        Assert.StartsWith($"[{new string('#', 30)}] 100%", frames[^1]);
        Assert.EndsWith("\n", run.Error);
        Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>
/// A portal whose simulated edge fails every step it runs: a migration started with <c>--wait</c> ends without completing,
/// and the tool says so with exit code 4, the one a CI job branches on.
/// </summary>
public sealed class FailingEdgeCommandTests : IAsyncLifetime
{
    private readonly CliPortal _portal = new(settings: new Dictionary<string, string?> { ["EdgePortal:Simulator:FailureProbability"] = "1" });

    public Task InitializeAsync() => _portal.InitializeAsync();

    public Task DisposeAsync() => _portal.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Migrate_WaitEndsFailedOrRolledBack_ExitsMigrationNotCompleted(bool poll)
    {
        string[] args = ["migrate", "flight-control", "--wait", "--accept-target-miss", "--output", "json"];
        var run = await _portal.RunAsync(poll ? [.. args, "--poll"] : args);

        Assert.True(run.ExitCode == ExitCodes.MigrationNotCompleted, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var stored = await _portal.Client.GetMigrationAsync(document.RootElement.GetProperty("id").GetGuid());
        Assert.Contains(stored.State, new[] { MigrationState.Failed, MigrationState.RolledBack });
        Assert.Equal(stored.State.ToString(), document.RootElement.GetProperty("state").GetString());
    }
}
