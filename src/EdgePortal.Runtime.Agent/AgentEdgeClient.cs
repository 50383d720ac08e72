using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgePortal.Runtime.Agent;

/// <summary>What the agent's GET /criu/capabilities answers (CRIU's own probe of that host).</summary>
public sealed record AgentCapabilities(string Version, bool Usable, bool DirtyTracking, bool TcpRepair, IReadOnlyList<string>? Warnings, string? Report);

internal sealed record AgentWorkload(string Name, int Pid, bool Running, string? CommandLine, long? ResidentBytes, int? Threads, string? RestoredFrom);

internal sealed record DumpStats(uint FreezingTimeUs, uint FrozenTimeUs, uint MemdumpTimeUs, uint MemwriteTimeUs, ulong PagesScanned, ulong PagesWritten);

internal sealed record RestoreStats(uint ForkingTimeUs, uint RestoreTimeUs, ulong PagesRestored);

internal sealed record DumpAnswer(string Id, int Pid, long Bytes, int Files, double WallClockMs, DumpStats? Stats, string Log, int PidInNamespace, string? PageServer,
    int? PreDumpRound = null, string? PrevImagesDir = null);

internal sealed record PageServerAnswer(string Id, string Address, int Port, string Log);

internal sealed record SendAnswer(string Id, string Peer, long Bytes, double WallClockMs, double? LimitBitsPerSecond, string TransferId, ReceivedImages? Received);

internal sealed record ReceivedImages(string Id, long Bytes, int Files);

internal sealed record RestoreAnswer(string Id, int PidInNamespace, int Pid, int HolderPid, double WallClockMs, RestoreStats? Stats, string Log);

internal sealed record AddressAnswer(string Address, string Device, string Done, double WallClockMs);

/// <summary>An agent answered with an error, or could not be reached; the message is the agent's (and so CRIU's) own words.</summary>
internal sealed class AgentCallException(string message, bool unreachable = false, HttpStatusCode? status = null) : Exception(message)
{
    public bool Unreachable { get; } = unreachable;
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The calls the portal makes to one node's agent, with the shared token, each bounded by the cluster's request timeout.</summary>
internal sealed class AgentEdgeClient(HttpClient http, string node, Uri baseUri, string token, TimeSpan timeout)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Node { get; } = node;
    public Uri BaseUri { get; } = baseUri;

    public Task<AgentCapabilities> CapabilitiesAsync(CancellationToken ct) => SendAsync<AgentCapabilities>(HttpMethod.Get, "criu/capabilities", null, ct);

    public Task<AgentWorkload> WorkloadAsync(string name, CancellationToken ct) => SendAsync<AgentWorkload>(HttpMethod.Get, $"criu/workloads/{name}", null, ct);

    /// <param name="leaveRunning">Keep the process running (MS2M: the source serves on).</param>
    /// <param name="tcpClose">Dump its TCP connections as closed: the process keeps them, a restored copy reconnects.</param>
    /// <param name="pageServer">Send the pages to this page server (started on the destination) while dumping.</param>
    public Task<DumpAnswer> DumpAsync(string id, string workload, string? releaseAddress, string? device, CancellationToken ct, bool leaveRunning = false, bool tcpClose = false,
        PageServerAnswer? pageServer = null, int? afterPreDumpRound = null) =>
        SendAsync<DumpAnswer>(HttpMethod.Post, "criu/dumps", new
        {
            id, workload, releaseAddress, device, leaveRunning, tcpClose,
            pageServer = pageServer is null ? null : new { address = pageServer.Address, port = pageServer.Port },
            afterPreDumpRound,
        }, ct);

    /// <summary>Pre-dump round <paramref name="round"/> (CRIU pre-dump --track-mem) into images/{id}/pre-{round}; the process runs on.</summary>
    public Task<DumpAnswer> PreDumpAsync(string id, string workload, int round, CancellationToken ct) =>
        SendAsync<DumpAnswer>(HttpMethod.Post, "criu/dumps", new { id, workload, preDumpRound = round }, ct);

    /// <summary>Starts a page server on this node that receives the pages of the dump of images <paramref name="id"/>.</summary>
    public Task<PageServerAnswer> StartPageServerAsync(string id, CancellationToken ct) =>
        SendAsync<PageServerAnswer>(HttpMethod.Post, $"criu/images/{id}/page-server", new { }, ct);

    /// <param name="merge">The peer adds the files to the images it holds under <paramref name="id"/> instead of replacing them.</param>
    /// <param name="preDumpRound">Send only this pre-dump round's folder.</param>
    /// <param name="withoutPreDumps">Send all but the pre-dump rounds' folders (the peer holds them already).</param>
    public Task<SendAnswer> SendImagesAsync(string id, Uri peer, double? bandwidthBitsPerSecond, CancellationToken ct, bool merge = false,
        int? preDumpRound = null, bool withoutPreDumps = false) =>
        SendAsync<SendAnswer>(HttpMethod.Post, $"criu/images/{id}/send", new { peer = peer.AbsoluteUri, bandwidthBitsPerSecond, merge, preDumpRound, withoutPreDumps }, ct);

    public Task<RestoreAnswer> RestoreAsync(string id, string workload, CancellationToken ct, bool tcpClose = false) =>
        SendAsync<RestoreAnswer>(HttpMethod.Post, $"criu/images/{id}/restore", new { workload, tcpClose }, ct);

    public Task<AddressAnswer> AddressAsync(string action, string address, string? device, bool announce, CancellationToken ct, bool guard = false) =>
        SendAsync<AddressAnswer>(HttpMethod.Post, $"net/addresses/{action}", new { address, device, announce, guard }, ct);

    /// <summary>DELETE; true when something was deleted, false when there was nothing (404).</summary>
    public async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await CallAsync(HttpMethod.Delete, path, null, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureAsync(response, path, ct).ConfigureAwait(false);
        return true;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var response = await CallAsync(method, path, body, ct).ConfigureAwait(false);
        await EnsureAsync(response, path, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, ct).ConfigureAwait(false)
            ?? throw new AgentCallException($"the agent of {Node} answered {path} with an empty body");
    }

    private async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body, options: Json);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            return await http.SendAsync(request, bounded.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AgentCallException($"the agent of {Node} ({BaseUri}) is unreachable: {e.Message}", unreachable: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new AgentCallException($"the agent of {Node} did not answer {method} /{path} within {timeout.TotalSeconds:0} s", unreachable: true);
        }
    }

    private async Task EnsureAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var detail = text;
        try
        {
            using var problem = JsonDocument.Parse(text);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                var title = problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
                var d = problem.RootElement.TryGetProperty("detail", out var dd) ? dd.GetString() : null;
                var errors = problem.RootElement.TryGetProperty("errors", out var e) ? e.ToString() : null;
                var body = d ?? errors;
                // The agent's CRIU problems repeat their title at the start of the detail (CRIU's own words): say it once.
                detail = body is { Length: > 0 } && title is { Length: > 0 } && !body.StartsWith(title, StringComparison.Ordinal) ? $"{title}: {body}" : body ?? title ?? text;
            }
        }
        catch (JsonException)
        {
            // Not a problem document: the body as it came.
        }
        var hint = response.StatusCode == HttpStatusCode.Unauthorized ? " — the cluster's Token is not the agents' EdgePortal:Agent:Token" : "";
        throw new AgentCallException($"the agent of {Node} answered {(int)response.StatusCode} to /{path}: {detail}{hint}", status: response.StatusCode);
    }
}
