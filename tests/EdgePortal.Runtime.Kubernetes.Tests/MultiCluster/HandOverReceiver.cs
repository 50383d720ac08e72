using System.Collections.Concurrent;
using System.Text.Json;
using EdgePortal.Testing.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

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
    private readonly ConcurrentQueue<HandOverCall> _calls;

    private HandOverReceiver(WebApplication app, ConcurrentQueue<HandOverCall> calls, ConcurrentQueue<int> answers, Uri url)
    {
        _app = app;
        _calls = calls;
        Answers = answers;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>An answer that never comes: the call hangs until the caller gives up.</summary>
    public const int Hang = 0;

    /// <summary>The statuses of the next answers, in order (<see cref="Hang"/>: none).</summary>
    public ConcurrentQueue<int> Answers { get; }

    public IReadOnlyList<HandOverCall> Calls => [.. _calls];

    public static async Task<HandOverReceiver> StartAsync()
    {
        var calls = new ConcurrentQueue<HandOverCall>();
        var answers = new ConcurrentQueue<int>();
        var (app, address) = await LoopbackServer.StartAsync(server => server.MapPost("/hand-over", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            var h = c.Request.Headers;
            calls.Enqueue(new HandOverCall(h[HandOverWebhook.SignatureHeader].FirstOrDefault(), h.Authorization.FirstOrDefault(),
                h[HandOverWebhook.DeliveryHeader].FirstOrDefault(), h[HandOverWebhook.EventHeader].FirstOrDefault(), body.ToArray()));
            var status = answers.TryDequeue(out var next) ? next : 200;
            if (status == Hang)
                await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            return Results.StatusCode(status == Hang ? 504 : status);
        }));
        return new HandOverReceiver(app, calls, answers, new Uri(address, "/hand-over"));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
