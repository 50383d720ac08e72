using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>
/// An agent that restarts (a crash, an upgrade) still knows the processes registered with it: its registry is journaled in
/// its image directory, and read back at start for the processes that still run. The chaos lab kills agents mid-migration;
/// a forgotten workload would make the next migration of the service fail, and a forgotten restored copy could not be
/// killed by a rollback.
/// </summary>
public sealed class WorkloadJournalTests
{
    [Fact]
    public async Task Restart_RegisteredProcessStillRuns_KnownAgainAndAGoneOneForgotten()
    {
        var images = Directory.CreateTempSubdirectory("edgeportal-journal-").FullName;
        var settings = new Dictionary<string, string?> { ["EdgePortal:Agent:ImageDirectory"] = images };
        using var alive = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        using var gone = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        try
        {
            await using (var first = await AgentHost.StartAsync(settings))
            {
                using var client = first.Client();
                Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("criu/workloads/keeper", new CriuWorkloadRegistration(alive.Id, "tenanta"))).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("criu/workloads/leaver", new CriuWorkloadRegistration(gone.Id))).StatusCode);
            }
            Assert.True(File.Exists(Path.Combine(images, CriuWorkloads.JournalName)));
            gone.Kill();
            await gone.WaitForExitAsync();

            await using var second = await AgentHost.StartAsync(settings);
            using var again = second.Client();
            var keeper = (await again.GetFromJsonAsync<CriuWorkload>("criu/workloads/keeper?tenant=tenanta"))!;
            Assert.Equal((alive.Id, "tenanta", true), (keeper.Pid, keeper.Tenant, keeper.Running));
            Assert.Equal(HttpStatusCode.NotFound, (await again.GetAsync("criu/workloads/leaver")).StatusCode);

            // Forgetting it is journaled too.
            Assert.Equal(HttpStatusCode.NoContent, (await again.DeleteAsync("criu/workloads/keeper?tenant=tenanta")).StatusCode);
            await using var third = await AgentHost.StartAsync(settings);
            using var last = third.Client();
            Assert.Equal(HttpStatusCode.NotFound, (await last.GetAsync("criu/workloads/keeper?tenant=tenanta")).StatusCode);
        }
        finally
        {
            if (!alive.HasExited)
                alive.Kill();
            Directory.Delete(images, recursive: true);
        }
    }

    [Fact]
    public async Task Start_JournalUnreadable_StartsWithNoWorkloads()
    {
        var images = Directory.CreateTempSubdirectory("edgeportal-journal-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(images, CriuWorkloads.JournalName), "{ not json");
            await using var agent = await AgentHost.StartAsync(new Dictionary<string, string?> { ["EdgePortal:Agent:ImageDirectory"] = images });
            using var client = agent.Client();
            Assert.Empty((await client.GetFromJsonAsync<List<CriuWorkload>>("criu/workloads"))!);
        }
        finally
        {
            Directory.Delete(images, recursive: true);
        }
    }
}
