using System.Net.Http.Json;
using System.Threading.Channels;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Migrations;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// A real SignalR client over a real socket: the portal runs on Kestrel at 127.0.0.1 with the simulated
/// edge at a high speed factor, and the client follows migrations through /hubs/migrations.
/// </summary>
public sealed class MigrationHubTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private PortalFactory _factory = null!;
    private Uri _baseAddress = null!;
    private HttpClient _http = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(_folder.File("edge.db"), PortalFactory.FastEdge());
        _baseAddress = _factory.StartOnKestrel();
        _http = PortalFactory.Authorize(new HttpClient { BaseAddress = _baseAddress }, PortalFactory.BootstrapKey);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task SubscribeTenant_SimulatedMigration_DeliversEveryStepInOrderAndOnlyForThatTenant()
    {
        var services = await _http.GetFromJsonAsync<List<ServiceRow>>("/api/v1/services");
        var skyfleet = services!.First(s => s.Name == "flight-control");
        var arena = services!.First(s => s.Name == "leaderboard");
        Assert.Equal(DemoEdge.SkyFleet.Value, skyfleet.TenantId);

        await using var skyClient = await Connect();
        var skyEvents = Collect(skyClient);
        await skyClient.InvokeAsync("SubscribeTenant", DemoEdge.SkyFleet.Value);
        await using var arenaClient = await Connect();
        var arenaEvents = Collect(arenaClient);
        await arenaClient.InvokeAsync("SubscribeTenant", DemoEdge.ArenaPlay.Value);

        var started = await _http.PostAsJsonAsync("/api/v1/migrations", new { serviceId = skyfleet.Id });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        var migration = (await started.Content.ReadFromJsonAsync<MigrationRow>(DomainJson.Options))!;

        var received = new List<MigrationEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in skyEvents.ReadAllAsync(timeout.Token))
        {
            received.Add(e);
            if (e is MigrationFinished)
                break;
        }

        var mine = received.Where(e => e.MigrationId.Value == migration.Id).ToList();
        Assert.Equal(Enumerable.Range(1, mine.Count).Select(i => (long)i), mine.Select(e => e.Sequence));
        var finished = Assert.IsType<MigrationFinished>(mine[^1]);
        Assert.Equal(MigrationState.Completed, finished.State);
        var stepCount = migration.Steps.Count;
        Assert.Equal(Enumerable.Range(0, stepCount), mine.OfType<StepCompleted>().Select(e => e.Index));
        Assert.Equal(Enumerable.Range(0, stepCount), mine.OfType<StepStarted>().Select(e => e.Index));
        Assert.All(received, e => Assert.Equal(DemoEdge.SkyFleet, e.TenantId));

        // The other tenant's client: its own migration arrives, the first tenant's never did.
        var other = await _http.PostAsJsonAsync("/api/v1/migrations", new { serviceId = arena.Id, acceptTargetMiss = true });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, other.StatusCode);
        var first = await arenaEvents.ReadAsync(timeout.Token);
        Assert.Equal(DemoEdge.ArenaPlay, first.TenantId);
        Assert.IsType<MigrationQueued>(first);
    }

    [Fact]
    public async Task SubscribeMigration_UnknownId_FailsWithAHubError()
    {
        await using var client = await Connect();

        var error = await Assert.ThrowsAsync<HubException>(() => client.InvokeAsync("SubscribeMigration", Guid.NewGuid()));

        Assert.Contains("No migration has id", error.Message);
    }

    private async Task<HubConnection> Connect()
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(_baseAddress, "/hubs/migrations"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(PortalFactory.BootstrapKey))
            .AddJsonProtocol(o => DomainJson.Configure(o.PayloadSerializerOptions))
            .Build();
        await connection.StartAsync();
        return connection;
    }

    private static ChannelReader<MigrationEvent> Collect(HubConnection connection)
    {
        var channel = Channel.CreateUnbounded<MigrationEvent>();
        connection.On<MigrationEvent[]>("MigrationEvents", batch =>
        {
            foreach (var e in batch)
                channel.Writer.TryWrite(e);
        });
        return channel.Reader;
    }

    private sealed record ServiceRow(Guid Id, Guid TenantId, string Name);

    private sealed record MigrationRow(Guid Id, IReadOnlyList<MigrationStep> Steps);
}
