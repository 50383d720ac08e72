using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using EdgePortal.Testing.Lab;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>One request a node's kubelet received: its raw target and bearer token.</summary>
public sealed record KubeletRequest(string Method, string Target, string? Token);

/// <summary>
/// One node's kubelet API on HTTPS (a certificate of <see cref="TestPki.Shared"/> named <c>kubelet-&lt;node&gt;</c>), as the
/// node's agent reaches it: the auth filter of pkg/kubelet/server/server.go first — no or an unknown bearer token is 401
/// "Unauthorized" (webhook token authentication), a token whose SubjectAccessReview denies <c>nodes/checkpoint</c> create
/// is 403 "Forbidden (user=…, verb=create, resource=nodes, subresource=checkpoint)" — then the checkpoint handler of
/// <see cref="FakeKubelet"/>. With the ContainerCheckpoint feature gate off the route does not exist: "404 page not found".
/// </summary>
public sealed partial class FakeKubeletServer : IAsyncDisposable
{
    /// <summary>The agent's service account token, which the fake's TokenReview knows.</summary>
    public const string AgentToken = "edgeportal-agent-sa-token-0123456789";

    /// <summary>Who <see cref="AgentToken"/> is.</summary>
    public const string AgentUser = "system:serviceaccount:edgeportal:edgeportal-agent";

    private readonly WebApplication _app;
    private readonly FakeKubelet _kubelet;
    private readonly ConcurrentQueue<KubeletRequest> _requests = new();
    private readonly ConcurrentQueue<Fault> _faults = new();

    private FakeKubeletServer(WebApplication app, string node, FakeKubelet kubelet)
    {
        _app = app;
        Node = node;
        _kubelet = kubelet;
    }

    public string Node { get; }
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The name its serving certificate carries (the agent's EdgePortal:Agent:Kubelet:ServerName).</summary>
    public string ServerName => $"kubelet-{Node}";

    /// <summary>The SubjectAccessReview's answer for the agent: create on nodes/checkpoint.</summary>
    public bool AgentMayCheckpoint { get; set; } = true;

    /// <summary>The ContainerCheckpoint feature gate (beta, on by default since 1.30).</summary>
    public bool ContainerCheckpointGate { get; set; } = true;

    public IReadOnlyList<KubeletRequest> Requests => [.. _requests];

    private readonly TaskCompletionSource<KubeletRequest> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the first request this kubelet received.</summary>
    public Task<KubeletRequest> FirstRequest => _first.Task;

    /// <summary>The next checkpoint request gets <paramref name="fault"/> (an answer, a hang) after the auth filter let it through.</summary>
    public void Next(Fault fault) => _faults.Enqueue(fault);

    public static async Task<FakeKubeletServer> StartAsync(string node, FakeKubelet kubelet, string address = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var identity = TestPki.Shared.Issue($"kubelet-{node}").Load();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), 0, l => l.UseHttps(identity)));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKubeletServer(app, node, kubelet);
        app.Run(server.ServeAsync);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(bound.Replace("[::]", address, StringComparison.Ordinal).Replace("0.0.0.0", address, StringComparison.Ordinal) + "/");
        return server;
    }

    private async Task ServeAsync(HttpContext c)
    {
        var target = c.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var auth = c.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : null;
        var request = new KubeletRequest(c.Request.Method, target, token);
        _requests.Enqueue(request);
        _first.TrySetResult(request);
        var m = CheckpointRoute().Match(c.Request.Path.Value ?? "");
        if (c.Request.Method != "POST" || !m.Success || !ContainerCheckpointGate)
        {
            await Text(c, 404, "404 page not found");
            return;
        }
        if (token != AgentToken)
        {
            await Text(c, 401, "Unauthorized");
            return;
        }
        if (!AgentMayCheckpoint)
        {
            await Text(c, 403, $"Forbidden (user={AgentUser}, verb=create, resource=nodes, subresource=checkpoint)");
            return;
        }
        if (await FaultAnswers.AnsweredAsync(c, _faults.TryDequeue(out var fault) ? fault : null))
            return;
        var (code, body) = _kubelet.Checkpoint(Node, m.Groups["ns"].Value, m.Groups["pod"].Value, m.Groups["container"].Value, c.Request.Query["timeout"]);
        c.Response.StatusCode = code;
        c.Response.ContentType = code == 200 ? "application/json" : "text/plain; charset=utf-8";
        await c.Response.WriteAsync(body);
    }

    /// <summary>As go-restful's WriteErrorString and Go's http.Error write it: plain text.</summary>
    private static async Task Text(HttpContext c, int code, string text)
    {
        c.Response.StatusCode = code;
        c.Response.ContentType = "text/plain; charset=utf-8";
        await c.Response.WriteAsync(text + "\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [GeneratedRegex(@"^/checkpoint/(?<ns>[^/]+)/(?<pod>[^/]+)/(?<container>[^/]+)$")]
    private static partial Regex CheckpointRoute();
}
