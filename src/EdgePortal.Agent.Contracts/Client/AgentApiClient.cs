using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// The one client of an agent's HTTP API, for the portal's runtimes and for agents streaming to their peers. The caller
/// authenticates with the client certificate of its <see cref="HttpClient"/> (mutual TLS, <see cref="Tls.AgentTls"/>). Every call
/// is bounded by <paramref name="timeout"/> (on <paramref name="time"/>'s clock, so a deadline
/// can be tested without waiting for it) and fails with one <see cref="AgentCallException"/>, whose message is the agent's
/// own words. The <see cref="HttpClient"/> is the caller's, with no timeout of its own.
/// </summary>
/// <param name="node">The agent's node, for messages.</param>
/// <param name="baseUri">The agent's base URL.</param>
/// <param name="timeout">The bound of each call (<see cref="Timeout.InfiniteTimeSpan"/>: the caller's cancellation only).</param>
public sealed class AgentApiClient(HttpClient http, string node, Uri baseUri, TimeSpan timeout, TimeProvider? time = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Node { get; } = node;

    /// <summary>The agent's base URL, ending in a slash.</summary>
    public Uri BaseUri { get; } = baseUri.AbsoluteUri.EndsWith('/') ? baseUri : new Uri(baseUri.AbsoluteUri + "/");

    public Task<CriuCapabilities> CapabilitiesAsync(CancellationToken ct) =>
        SendAsync<CriuCapabilities>(HttpMethod.Get, AgentRoutes.Path(AgentRoutes.CriuCapabilities), null, ct);

    public Task<IReadOnlyList<CriuWorkload>> WorkloadsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<CriuWorkload>>(HttpMethod.Get, AgentRoutes.Path(AgentRoutes.Workloads), null, ct);

    /// <summary>Workload <paramref name="name"/> of <paramref name="tenant"/> (a registered process or a Podman container).</summary>
    public Task<CriuWorkload> WorkloadAsync(string name, CancellationToken ct, string? tenant = null) =>
        SendAsync<CriuWorkload>(HttpMethod.Get, AgentRoutes.Path(AgentRoutes.Workload, name) + TenantQuery(tenant), null, ct);

    /// <summary>Registers process <paramref name="pid"/> of the agent's host as workload <paramref name="name"/> of <paramref name="tenant"/>.</summary>
    public Task<CriuWorkload> RegisterWorkloadAsync(string name, int pid, CancellationToken ct, string? tenant = null) =>
        SendAsync<CriuWorkload>(HttpMethod.Put, AgentRoutes.Path(AgentRoutes.Workload, name), JsonBody(new CriuWorkloadRegistration(pid, tenant)), ct);

    /// <summary>Forgets workload <paramref name="name"/> (of <paramref name="tenant"/>); false when there was none.</summary>
    public Task<bool> DeleteWorkloadAsync(string name, CancellationToken ct, string? tenant = null) =>
        DeleteAsync(AgentRoutes.Path(AgentRoutes.Workload, name) + TenantQuery(tenant), ct);

    private static string TenantQuery(string? tenant) => tenant is { Length: > 0 } ? "?tenant=" + Uri.EscapeDataString(tenant) : "";

    /// <param name="releaseAddress">The service address to take off the source after the dump, or null.</param>
    /// <param name="device">The device of <paramref name="releaseAddress"/>; null: the agent's service device.</param>
    /// <param name="leaveRunning">Keep the process running (MS2M: the source serves on).</param>
    /// <param name="tcpClose">Dump its TCP connections as closed: the process keeps them, a restored copy reconnects.</param>
    /// <param name="pageServer">Send the pages to this page server (started on the destination) while dumping.</param>
    /// <param name="afterPreDumpRound">The final dump after this pre-dump round: only the pages dirtied since.</param>
    /// <param name="lazyPages">Post-copy's dump (--lazy-pages): the answer names the page server that serves the memory.</param>
    public Task<CriuDumpAnswer> DumpAsync(string id, string workload, string? releaseAddress, string? device, CancellationToken ct, bool leaveRunning = false,
        bool tcpClose = false, CriuPageServerAnswer? pageServer = null, int? afterPreDumpRound = null, string? tenant = null, bool lazyPages = false) =>
        SendAsync<CriuDumpAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.Dumps), JsonBody(new CriuDumpCall
        {
            Id = id,
            Workload = workload,
            Tenant = tenant,
            ReleaseAddress = releaseAddress,
            Device = device,
            LeaveRunning = leaveRunning,
            TcpClose = tcpClose,
            PageServer = pageServer?.ToCall(),
            AfterPreDumpRound = afterPreDumpRound,
            LazyPages = lazyPages,
        }), ct);

    /// <summary>Pre-dump round <paramref name="round"/> (CRIU pre-dump --track-mem) into images/{id}/pre-{round}; the process runs on.</summary>
    public Task<CriuDumpAnswer> PreDumpAsync(string id, string workload, int round, CancellationToken ct, string? tenant = null) =>
        SendAsync<CriuDumpAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.Dumps), JsonBody(new CriuDumpCall { Id = id, Workload = workload, Tenant = tenant, PreDumpRound = round }), ct);

    /// <summary>Starts a page server on the agent's host that receives the pages of the dump of images <paramref name="id"/>.</summary>
    public Task<CriuPageServerAnswer> StartPageServerAsync(string id, CancellationToken ct) =>
        SendAsync<CriuPageServerAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.PageServer, id), null, ct);

    /// <param name="peer">The destination agent's name in the sending agent's configuration (<c>EdgePortal:Agent:Peers</c>): the portal's node name.</param>
    /// <param name="bandwidthBitsPerSecond">The stream's rate limit; null: the agent's default.</param>
    /// <param name="merge">The peer adds the files to the images it holds under <paramref name="id"/> instead of replacing them.</param>
    /// <param name="preDumpRound">Send only this pre-dump round's folder.</param>
    /// <param name="withoutPreDumps">Send all but the pre-dump rounds' folders (the peer holds them already).</param>
    public Task<CriuSendAnswer> SendImagesAsync(string id, string peer, double? bandwidthBitsPerSecond, CancellationToken ct, bool merge = false,
        int? preDumpRound = null, bool withoutPreDumps = false)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return SendAsync<CriuSendAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.SendImages, id), JsonBody(new CriuSendCall
        {
            Peer = peer,
            BandwidthBitsPerSecond = bandwidthBitsPerSecond,
            Merge = merge,
            PreDumpRound = preDumpRound,
            WithoutPreDumps = withoutPreDumps,
        }), ct);
    }

    /// <summary>
    /// PUT /criu/images/{id}: an agent streams images (a tar, <paramref name="tar"/>) to this peer, which replaces what it holds
    /// under <paramref name="id"/>, or adds to it (<paramref name="merge"/>).
    /// </summary>
    public Task<CriuReceived> UploadImagesAsync(string id, HttpContent tar, bool merge, CancellationToken ct) =>
        SendAsync<CriuReceived>(HttpMethod.Put, AgentRoutes.Path(AgentRoutes.Images, id) + (merge ? "?merge=true" : ""), tar, ct);

    /// <param name="tcpClose">The images were dumped with tcpClose: restore the TCP connections closed.</param>
    /// <param name="lazyPageServer">Post-copy: restore without the memory, fetched from this lazy page server (the source's dump answered it).</param>
    /// <param name="bandwidthBitsPerSecond">Post-copy: the pages' rate limit; null: the agent's default.</param>
    public Task<CriuRestoreAnswer> RestoreAsync(string id, string workload, CancellationToken ct, bool tcpClose = false, string? tenant = null,
        CriuPageServerCall? lazyPageServer = null, double? bandwidthBitsPerSecond = null) =>
        SendAsync<CriuRestoreAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.Restore, id), JsonBody(new CriuRestoreCall
        {
            Workload = workload,
            Tenant = tenant,
            TcpClose = tcpClose,
            LazyPageServer = lazyPageServer,
            BandwidthBitsPerSecond = bandwidthBitsPerSecond,
        }), ct);

    /// <summary>Post-copy's destination: waits until the last page of the lazily restored images <paramref name="id"/> arrived.</summary>
    public Task<CriuPageInAnswer> PageInAsync(string id, CancellationToken ct) =>
        SendAsync<CriuPageInAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.PageIn, id), null, ct);

    /// <summary>Post-copy's source: waits until the lazy dump of images <paramref name="id"/> sent its last page and ended.</summary>
    public Task<CriuDumpAnswer> LazyDumpAsync(string id, CancellationToken ct) =>
        SendAsync<CriuDumpAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.LazyDump, id), null, ct);

    /// <summary>Deletes the images <paramref name="id"/> (and stops a page server waiting for them); false when there were none.</summary>
    public Task<bool> DeleteImagesAsync(string id, CancellationToken ct) => DeleteAsync(AgentRoutes.Path(AgentRoutes.Images, id), ct);

    /// <summary>Kills the tree restored from images <paramref name="id"/>; false when there was none.</summary>
    public Task<bool> DeleteRestoredAsync(string id, CancellationToken ct) => DeleteAsync(AgentRoutes.Path(AgentRoutes.Restored, id), ct);

    /// <param name="device">The device; null: the agent's service device.</param>
    /// <param name="announce">After adding, announce the address (unsolicited ARP).</param>
    /// <param name="guard">Add it guarded: TCP to it dropped until a restore on the agent succeeds or the address is removed.</param>
    public Task<AddressAnswer> AddressAsync(AddressAction action, string address, string? device, bool announce, CancellationToken ct, bool guard = false) =>
        SendAsync<AddressAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.Addresses, action.ToString().ToLowerInvariant()),
            JsonBody(new AddressCall { Address = address, Device = device, Announce = announce, Guard = guard }), ct);

    /// <summary>Turns the kubelet's checkpoint archive <paramref name="checkpointId"/> into an image and pushes (or streams) it.</summary>
    public Task<CheckpointImageResult> BuildCheckpointImageAsync(string checkpointId, CheckpointImageRequest request, CancellationToken ct) =>
        SendAsync<CheckpointImageResult>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.CheckpointImage, checkpointId), JsonBody(request), ct);

    /// <summary>The node's kubelet checkpoints a container; the answer carries the kubelet's status, whatever it is.</summary>
    public Task<KubeletCheckpointAnswer> KubeletCheckpointAsync(KubeletCheckpointCall call, CancellationToken ct) =>
        SendAsync<KubeletCheckpointAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.KubeletCheckpoints), JsonBody(call), ct);

    /// <summary>Deletes the kubelet's checkpoint archive <paramref name="checkpointId"/> (its file name); false when there was none.</summary>
    public Task<bool> DeleteCheckpointAsync(string checkpointId, CancellationToken ct) => DeleteAsync(AgentRoutes.Path(AgentRoutes.Checkpoint, checkpointId), ct);

    /// <summary>The node's container runtime pulls <paramref name="image"/> (by digest).</summary>
    public Task<ImagePullAnswer> PullImageAsync(string image, CancellationToken ct) =>
        SendAsync<ImagePullAnswer>(HttpMethod.Post, AgentRoutes.Path(AgentRoutes.ImagePulls), JsonBody(new ImagePullCall { Image = image }), ct);

    /// <summary>Deletes a pushed image (by manifest digest) from a registry of the agent's configuration; false when it was not there.</summary>
    public async Task<bool> DeleteRegistryImageAsync(RegistryImageDeletion deletion, CancellationToken ct)
    {
        var path = AgentRoutes.Path(AgentRoutes.RegistryImageDeletions);
        return await CallAsync(HttpMethod.Post, path, JsonBody(deletion), ct, async (response, bounded) =>
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                return false;
            await EnsureAsync(response, path, bounded).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>PUT /images/{name}: an agent streams an OCI image layout (a tar, <paramref name="layout"/>) to this peer.</summary>
    public Task<ReceivedImage> UploadImageAsync(string name, HttpContent layout, CancellationToken ct) =>
        SendAsync<ReceivedImage>(HttpMethod.Put, AgentRoutes.Path(AgentRoutes.ReceivedImage, name), layout, ct);

    public Task<IReadOnlyList<TransferStatus>> TransfersAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<TransferStatus>>(HttpMethod.Get, AgentRoutes.Path(AgentRoutes.Transfers), null, ct);

    public Task<TransferStatus> TransferAsync(string id, CancellationToken ct) =>
        SendAsync<TransferStatus>(HttpMethod.Get, AgentRoutes.Path(AgentRoutes.Transfer, id), null, ct);

    private static JsonContent JsonBody<T>(T body) => JsonContent.Create(body, options: Json);

    /// <summary>DELETE; true when something was deleted, false when there was nothing (404).</summary>
    private async Task<bool> DeleteAsync(string path, CancellationToken ct) =>
        await CallAsync(HttpMethod.Delete, path, null, ct, async (response, bounded) =>
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                return false;
            await EnsureAsync(response, path, bounded).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, CancellationToken ct) =>
        CallAsync(method, path, body, ct, async (response, bounded) =>
        {
            await EnsureAsync(response, path, bounded).ConfigureAwait(false);
            var answer = await response.Content.ReadFromJsonAsync<T>(Json, bounded).ConfigureAwait(false)
                ?? throw new AgentCallException($"the agent of {Node} answered /{path} with an empty body", unreachable: false, status: response.StatusCode);
            CriuSpanEvents.Add(answer);
            return answer;
        });

    /// <summary>One call, the answer read by <paramref name="read"/>, all of it within the call's bound.</summary>
    private async Task<T> CallAsync<T>(HttpMethod method, string path, HttpContent? body, CancellationToken ct,
        Func<HttpResponseMessage, CancellationToken, Task<T>> read)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, path));
        request.Content = body;
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            using var response = await http.SendAsync(request, bounded.Token).ConfigureAwait(false);
            return await read(response, bounded.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new AgentCallException($"the agent of {Node} ({BaseUri}) is unreachable: {e.Message}", unreachable: true, innerException: e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new AgentCallException(string.Create(CultureInfo.InvariantCulture,
                $"the agent of {Node} did not answer {method} /{path} within {timeout.TotalSeconds:0} s"), unreachable: true, innerException: e);
        }
        catch (JsonException e)
        {
            throw new AgentCallException($"the agent of {Node} answered /{path} with a body that is not the expected JSON: {e.Message}", unreachable: false, innerException: e);
        }
    }

    /// <summary>Fails with the agent's own words: the problem's title and detail (or its validation errors), else the body.</summary>
    private async Task EnsureAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var words = ProblemWords(text);
        var hint = response.StatusCode == HttpStatusCode.Forbidden
            ? " — the agent refused this client certificate (403): only a name in the agent's EdgePortal:Agent:Tls:PortalClientNames may call it, a peer agent only its receive endpoints"
            : "";
        throw new AgentCallException(string.Create(CultureInfo.InvariantCulture, $"the agent of {Node} answered {(int)response.StatusCode} to /{path}: {words}{hint}"),
            unreachable: false, status: response.StatusCode, agentWords: words);
    }

    /// <summary>An RFC 7807 problem's title and detail (its validation errors when it has no detail), said once; other bodies as they came.</summary>
    public static string ProblemWords(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind != JsonValueKind.Object)
                return body;
            var title = problem.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var detail = problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var errors = problem.RootElement.TryGetProperty("errors", out var e) ? e.ToString() : null;
            var said = detail ?? errors;
            // The agent's CRIU problems repeat their title at the start of the detail (CRIU's own words): say it once.
            return said is { Length: > 0 } && title is { Length: > 0 } && !said.StartsWith(title, StringComparison.Ordinal) ? $"{title}: {said}" : said ?? title ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
