using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes.Tests.MultiCluster;

/// <summary>One call the hand-over webhook received: its headers of interest, its raw body and the body read as the notice.</summary>
public sealed record HandOverCall(string? Signature, string? Authorization, string? Delivery, string? Event, byte[] Body)
{
    public HandOverNotice Notice => JsonSerializer.Deserialize<HandOverNotice>(Body, HandOverWebhook.Json)!;
}

/// <summary>
/// A real HTTP listener (Kestrel on 127.0.0.1) standing for a global load balancer's or DNS updater's hand-over webhook:
/// records every POST and answers with the next status of <see cref="Answers"/>, 200 once they are used up.
/// </summary>
public sealed class HandOverReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<HandOverCall> _calls = new();

    private HandOverReceiver(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>An answer that never comes: the call hangs until the caller gives up.</summary>
    public const int Hang = 0;

    /// <summary>The statuses of the next answers, in order (<see cref="Hang"/>: none).</summary>
    public ConcurrentQueue<int> Answers { get; } = new();

    public IReadOnlyList<HandOverCall> Calls => [.. _calls];

    public static async Task<HandOverReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new HandOverReceiver(app);
        app.MapPost("/hand-over", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            var h = c.Request.Headers;
            receiver._calls.Enqueue(new HandOverCall(h[HandOverWebhook.SignatureHeader].FirstOrDefault(), h.Authorization.FirstOrDefault(),
                h[HandOverWebhook.DeliveryHeader].FirstOrDefault(), h[HandOverWebhook.EventHeader].FirstOrDefault(), body.ToArray()));
            var status = receiver.Answers.TryDequeue(out var next) ? next : 200;
            if (status == Hang)
                await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return Results.StatusCode(status == Hang ? 504 : status);
        });
        await app.StartAsync();
        receiver.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hand-over");
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
