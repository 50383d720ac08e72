using System.Net;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Web.Tests.Security;

/// <summary>
/// Open hub connections lose access when their principal does (issue 14 item 3): a real SignalR client over a real socket
/// to the portal on Kestrel, whose session checks run on a fake clock. And browsers of other origins cannot connect (item 6).
/// </summary>
public sealed class HubSessionTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly TempFolder _folder = new();
    private PortalFactory _factory = null!;
    private Uri _baseAddress = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(_folder.File("hub.db"), new Dictionary<string, string?> { ["EdgePortal:Security:SignInAttemptsPerMinute"] = "10000" }, _clock);
        _baseAddress = _factory.StartOnKestrel();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        _folder.Dispose();
    }

    private HubSessions Sessions => _factory.Services.GetRequiredService<HubSessions>();

    /// <summary>A connected client (with the key, or the cookie) and a task that completes when the server closes it.</summary>
    private async Task<(HubConnection Hub, Task Closed)> ConnectAsync(string? key = null, string? cookie = null)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(_baseAddress, "/hubs/migrations"), o =>
            {
                if (key is not null)
                    o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                if (cookie is not null)
                    o.Headers["Cookie"] = cookie;
            })
            .Build();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await hub.StartAsync();
        await hub.InvokeAsync("SubscribeTenant", DemoEdge.SkyFleet.Value);
        return (hub, closed.Task);
    }

    [Fact]
    public async Task Hub_KeyRevokedOnAnotherReplica_ClosedAtTheNextCheck()
    {
        var created = _factory.Services.GetRequiredService<ApiKeyService>().Create("hub-key", PortalRoles.Viewer, DemoEdge.SkyFleet.Value, null, "test");
        var (hub, closed) = await ConnectAsync(created.Key);
        await using (hub)
        {
            // Written straight into the shared store, as another replica would: nothing tells this one.
            var keys = _factory.Services.GetRequiredService<IApiKeyRepository>();
            keys.Save(keys.Find(created.Record.Id)! with { RevokedAt = _clock.GetUtcNow() });
            Assert.Equal(1, Sessions.Count);

            _clock.Advance(TimeSpan.FromSeconds(60));

            await closed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HubConnectionState.Disconnected, hub.State);
        }
    }

    [Fact]
    public async Task Hub_UserDeletedThroughTheApi_ClosedAtOnce()
    {
        var admin = _factory.Services.GetRequiredService<UserAdministration>();
        var scope = new TenantScope(null, "test-admin") { Role = PortalRoles.ProviderAdmin };
        var user = Assert.IsType<UseCaseResult<PortalUser>.Done>(admin.CreateUser(scope, "hub-viewer", "a-long-password-1", PortalRoles.Viewer, DemoEdge.SkyFleet.Value)).Value;
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = _baseAddress };
        var token = await PortalLogin.AntiforgeryToken(browser);
        Assert.Equal("/", (await PortalLogin.Post(browser, "hub-viewer", "a-long-password-1", token)).Headers.Location?.OriginalString);
        var cookie = $"EdgePortal.Auth={cookies.GetCookies(_baseAddress)["EdgePortal.Auth"]!.Value}";
        var (hub, closed) = await ConnectAsync(cookie: cookie);
        await using (hub)
        {
            using var api = PortalFactory.Authorize(new HttpClient { BaseAddress = _baseAddress }, PortalFactory.BootstrapKey);
            Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync($"/api/v1/users/{user.Id}")).StatusCode);

            // No clock moved: the deletion on this replica closes it at once.
            await closed.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, Sessions.Count);
        }
    }

    [Fact]
    public async Task Hub_InvocationAfterRevocation_IsRefused()
    {
        var created = _factory.Services.GetRequiredService<ApiKeyService>().Create("hub-key-2", PortalRoles.Viewer, DemoEdge.SkyFleet.Value, null, "test");
        var (hub, closed) = await ConnectAsync(created.Key);
        await using (hub)
        {
            var keys = _factory.Services.GetRequiredService<IApiKeyRepository>();
            keys.Save(keys.Find(created.Record.Id)! with { RevokedAt = _clock.GetUtcNow() });

            // Before any periodic check: the next invocation is checked on its own.
            await Assert.ThrowsAnyAsync<Exception>(() => hub.InvokeAsync("SubscribeTenant", DemoEdge.SkyFleet.Value));
            await closed.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Theory]
    [InlineData("https://evil.example", HttpStatusCode.Forbidden)]
    [InlineData("null", HttpStatusCode.Forbidden)]
    [InlineData(null, HttpStatusCode.OK)]
    [InlineData("self", HttpStatusCode.OK)]
    [InlineData("https-self", HttpStatusCode.OK)]
    [InlineData("http://127.0.0.2:1", HttpStatusCode.Forbidden)]
    public async Task Negotiate_Origin_OnlyThePortalsOwnOrNone(string? origin, HttpStatusCode expected)
    {
        using var client = PortalFactory.Authorize(new HttpClient { BaseAddress = _baseAddress }, PortalFactory.BootstrapKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/migrations/negotiate?negotiateVersion=1");
        if (origin is not null)
            request.Headers.Add("Origin", origin switch
            {
                "self" => _baseAddress.GetLeftPart(UriPartial.Authority),
                // The portal's own page over TLS a proxy terminated without saying so.
                "https-self" => $"https://{_baseAddress.Authority}",
                _ => origin,
            });

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task BlazorCircuit_ForeignOrigin_IsRefused()
    {
        using var client = new HttpClient { BaseAddress = _baseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", "https://evil.example");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
