using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Agent.Tests.Transfer;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>
/// The agent's CRIU HTTP API without a lab: images folders streamed agent to agent through the token bucket, the shared
/// token on every CRIU endpoint, refusals that say what to do, and a failed dump answered in CRIU's own words. The whole
/// dump → send → restore path on real lab processes is tested from the portal side (EdgePortal.Runtime.Agent.Tests).
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class CriuEndpointsTests : TwoAgents
{
    [Fact]
    public async Task SendImages_ToPeerWithLimit_ArriveByteForByteAtTheLimit()
    {
        // 2 MB at 16 Mbit/s: about 1 s.
        const double limit = 16_000_000;
        var images = Path.Combine(Source.ImageDirectory, "criu", "m-1");
        Directory.CreateDirectory(images);
        var pages = new byte[2_000_000];
        new Random(9).NextBytes(pages);
        await File.WriteAllBytesAsync(Path.Combine(images, "pages-1.img"), pages);
        await File.WriteAllTextAsync(Path.Combine(images, "inventory.img"), "inventory");
        using var client = Source.Client();

        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("criu/images/m-1/send", new CriuSendCall { Peer = Destination.Name, BandwidthBitsPerSecond = limit });
        clock.Stop();

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<CriuSendAnswer>())!;
        var received = Path.Combine(Destination.ImageDirectory, "criu", "m-1");
        Assert.Equal(pages, await File.ReadAllBytesAsync(Path.Combine(received, "pages-1.img")));
        Assert.Equal("inventory", await File.ReadAllTextAsync(Path.Combine(received, "inventory.img")));
        Assert.False(Directory.Exists(received + ".partial"));
        var expected = answer.Bytes * 8 / limit;
        // Never faster than the limit allows; not slower than bits taken for bytes would make it (a busy machine can stretch
        // the request: the bucket's arithmetic is TokenBucketTests' business, on a fake clock).
        Assert.InRange(clock.Elapsed.TotalSeconds, expected * 0.85, expected / 0.4 + 0.5);
        Assert.Equal(limit, answer.LimitBitsPerSecond);

        using var destination = Destination.Client();
        Assert.Equal(HttpStatusCode.NoContent, (await destination.DeleteAsync("criu/images/m-1")).StatusCode);
        Assert.False(Directory.Exists(received));
    }

    [Fact]
    public async Task Dump_UnknownWorkload_404SaysHowToRegister()
    {
        using var client = Source.Client();
        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "m-2", Workload = "nobody" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("PUT /criu/workloads/nobody", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dump_ProcessThatIsGone_422InCriusOwnWords()
    {
        using var client = Source.Client();
        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "m-3", Pid = 4_000_000 });
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("criu dump failed", problem.RootElement.GetProperty("title").GetString());
        Assert.StartsWith("criu dump failed (exit ", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dump_PageServerNotAnAddress_400NamesPageServer()
    {
        using var client = Source.Client();
        var response = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "m-4", Pid = 4_000_000, PageServer = new CriuPageServerCall { Address = "h2", Port = 0 } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("pageServer", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteImages_NoneAndNoPageServer_404()
    {
        using var client = Source.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("criu/images/m-5")).StatusCode);
    }

    [Fact]
    public async Task PageServer_NotFedWithinItsTimeout_IsStoppedAndItsImagesDeleted()
    {
        await LabRequirements.EnsureAsync();
        await using var agent = await AgentHost.StartAsync(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:PageServerAddress"] = "127.0.0.1",
            ["EdgePortal:Agent:PageServerTimeout"] = "00:00:01",
        });
        using var client = agent.Client();
        var images = Path.Combine(agent.ImageDirectory, "criu", "ps-1");

        var response = await client.PostAsync("criu/images/ps-1/page-server", null);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<CriuPageServerAnswer>())!;
        Assert.True(answer.Port > 0 && Directory.Exists(images), $"port {answer.Port}, images there: {Directory.Exists(images)}");
        // Nobody dumps into it (the portal that asked is gone): a second later it no longer listens and its folder is gone.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.Exists(images) || await ListensAsync(answer.Port))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The page server on port {answer.Port} still runs (images there: {Directory.Exists(images)}) 20 s after it started with a 1 s timeout.");
            await Task.Delay(50);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("criu/images/ps-1")).StatusCode);
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Workloads_RegisteredByPid_ShowTheirProcFacts()
    {
        using var client = Source.Client();
        var response = await client.PutAsJsonAsync("criu/workloads/me", new CriuWorkloadRegistration(Environment.ProcessId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var workload = (await client.GetFromJsonAsync<CriuWorkload>("criu/workloads/me"))!;
        Assert.True(workload.Running);
        Assert.True(workload.ResidentBytes > 1_000_000, $"VmRSS {workload.ResidentBytes}");
        Assert.Equal((HttpStatusCode)400, (await client.PutAsJsonAsync("criu/workloads/ghost", new CriuWorkloadRegistration(4_000_000))).StatusCode);
    }

    [Fact]
    public async Task Workloads_TwoTenantsSameName_EachFindsOnlyItsOwn()
    {
        using var client = Source.Client();
        using var other = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("criu/workloads/api", new CriuWorkloadRegistration(Environment.ProcessId, "tenanta"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("criu/workloads/api", new CriuWorkloadRegistration(other.Id, "tenantb"))).StatusCode);

            var a = (await client.GetFromJsonAsync<CriuWorkload>("criu/workloads/api?tenant=tenanta"))!;
            var b = (await client.GetFromJsonAsync<CriuWorkload>("criu/workloads/api?tenant=tenantb"))!;
            Assert.Equal((Environment.ProcessId, "tenanta"), (a.Pid, a.Tenant));
            Assert.Equal((other.Id, "tenantb"), (b.Pid, b.Tenant));
            // A third tenant finds neither; asked without a tenant, the agent will not pick one of the two.
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("criu/workloads/api?tenant=tenantc")).StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, (await client.GetAsync("criu/workloads/api")).StatusCode);
            var dump = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "m-t", Workload = "api", Tenant = "tenantc" });
            Assert.Equal(HttpStatusCode.NotFound, dump.StatusCode);

            // Forgetting tenant A's leaves tenant B's.
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("criu/workloads/api?tenant=tenanta")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("criu/workloads/api?tenant=tenanta")).StatusCode);
            Assert.Equal(other.Id, (await client.GetFromJsonAsync<CriuWorkload>("criu/workloads/api?tenant=tenantb"))!.Pid);
        }
        finally
        {
            other.Kill();
            await client.DeleteAsync("criu/workloads/api?tenant=tenanta");
            await client.DeleteAsync("criu/workloads/api?tenant=tenantb");
        }
    }

    [Theory]
    [InlineData("Tenant-A")]
    [InlineData("../etc")]
    [InlineData("a@b")]
    public async Task Workloads_BadTenant_400NamingTheField(string tenant)
    {
        using var client = Source.Client();
        var register = await client.PutAsJsonAsync("criu/workloads/api", new CriuWorkloadRegistration(Environment.ProcessId, tenant));
        var dump = await client.PostAsJsonAsync("criu/dumps", new CriuDumpCall { Id = "m-bad", Workload = "api", Tenant = tenant });
        var get = await client.GetAsync($"criu/workloads/api?tenant={Uri.EscapeDataString(tenant)}");
        foreach (var response in new[] { register, dump, get })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("\"tenant\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
