using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.Podman;

/// <summary>
/// The host's Podman service through its API socket (<c>unix:///run/podman/podman.sock</c>, mounted into the agent's
/// container): libpod's REST API, the same calls <c>podman --remote</c> makes, without a Podman client in the agent's image.
/// A checkpoint exported through the API comes back as the response body (an uncompressed tar, CRIU's <c>stats-dump</c> in
/// it); an import is the request body, answered with the restored container's id and CRIU's restore statistics.
/// </summary>
internal sealed class PodmanApi : IDisposable
{
    private const string Prefix = "http://podman/v4.0.0/libpod/";
    private readonly HttpClient _http;

    public PodmanApi(string url)
    {
        var socket = new Uri(url).AbsolutePath;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(s, ownsSocket: true);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            },
        };
        // Checkpoints of large containers take long; every call is bounded by its caller's cancellation.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET, the answer's JSON; throws <see cref="PodmanException"/> with Podman's words on an error status or no answer.</summary>
    public async Task<JsonDocument> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, Prefix + path), cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, path, cancellationToken).ConfigureAwait(false);
        return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE; false when there was nothing (404).</summary>
    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) => FoundAsync(HttpMethod.Delete, path, cancellationToken);

    /// <summary>GET of an <c>exists</c> path: true on 204, false on 404.</summary>
    public Task<bool> ExistsAsync(string path, CancellationToken cancellationToken) => FoundAsync(HttpMethod.Get, path, cancellationToken);

    /// <summary>A call whose answer is only its status: false on 404, Podman's words on another error.</summary>
    private async Task<bool> FoundAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(method, Prefix + path), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureAsync(response, path, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Checkpoints with <c>export=true</c>, the archive written to <paramref name="archive"/>; CRIU's stats read from its <c>stats-dump</c>.</summary>
    public async Task<PodmanOutcome> CheckpointAsync(string id, string archive, bool leaveRunning, CancellationToken cancellationToken)
    {
        var path = $"containers/{Uri.EscapeDataString(id)}/checkpoint?export=true&tcpEstablished=true{(leaveRunning ? "&leaveRunning=true" : "")}";
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, Prefix + path), cancellationToken, streamed: true).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return new PodmanOutcome(false, $"the Podman service answered {(int)response.StatusCode} to POST {path}: {await WordsAsync(response, cancellationToken).ConfigureAwait(false)}", null, clock.Elapsed);
            await using (var file = File.Create(archive))
                await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (PodmanException e)
        {
            File.Delete(archive);
            return new PodmanOutcome(false, e.Message, null, clock.Elapsed);
        }
        var wall = clock.Elapsed;
        var dump = await DumpStatsAsync(archive, cancellationToken).ConfigureAwait(false);
        return new PodmanOutcome(true, "", new PodmanStats((long)wall.TotalMicroseconds, 0, dump, null), wall);
    }

    /// <summary>Restores with <c>import=true</c>, the archive as the body; the restored container's id and CRIU's stats from the answer.</summary>
    /// <param name="tcpEstablished">Restore the TCP connections established (Cold); false: the archive's CRIU configuration closes them.</param>
    /// <param name="name">The restored container's name; null: the archive's.</param>
    public async Task<(PodmanOutcome Outcome, string? Id)> RestoreAsync(string archive, CancellationToken cancellationToken, bool tcpEstablished = true, string? name = null)
    {
        var path = $"containers/edgeportal-import/restore?import=true{(tcpEstablished ? "&tcpEstablished=true" : "")}&printStats=true{(name is null ? "" : $"&name={Uri.EscapeDataString(name)}")}";
        var clock = Stopwatch.StartNew();
        try
        {
            await using var body = File.OpenRead(archive);
            using var request = new HttpRequestMessage(HttpMethod.Post, Prefix + path) { Content = new StreamContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var wall = clock.Elapsed;
            if (!response.IsSuccessStatusCode)
                return (new PodmanOutcome(false, $"the Podman service answered {(int)response.StatusCode} to POST {path}: {Words(text)}", null, wall), null);
            using var answer = JsonDocument.Parse(text);
            var root = answer.RootElement;
            var id = root.TryGetProperty("Id", out var i) ? i.GetString() : null;
            var runtime = root.TryGetProperty("runtime_restore_duration", out var rd) ? rd.GetInt64() : 0;
            var stats = root.TryGetProperty("criu_statistics", out var s) && s.ValueKind == JsonValueKind.Object ? PodmanDriver.RestoreStats(s) : null;
            return (new PodmanOutcome(true, "", new PodmanStats((long)wall.TotalMicroseconds, runtime, null, stats), wall), id);
        }
        catch (Exception e) when (e is PodmanException or JsonException)
        {
            return (new PodmanOutcome(false, e.Message, null, clock.Elapsed), null);
        }
    }

    /// <summary>CRIU's dump statistics from the archive's <c>stats-dump</c>; null when it has none.</summary>
    internal static async Task<CriuDumpStats?> DumpStatsAsync(string archive, CancellationToken cancellationToken)
    {
        try
        {
            await using var file = File.OpenRead(archive);
            await using var tar = new TarReader(file);
            while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                if (entry.Name.TrimStart('.', '/') != "stats-dump" || entry.DataStream is null)
                    continue;
                using var bytes = new MemoryStream();
                await entry.DataStream.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
                return CriuStatsReader.Parse(bytes.ToArray()).Dump;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            // A compressed or odd archive: no CRIU figures, the wall clock stands.
        }
        return null;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, bool streamed = false)
    {
        try
        {
            return await _http.SendAsync(request, streamed ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new PodmanException($"the host's Podman service does not answer on its socket: {e.Message} (is podman.socket running and mounted into the agent's container?)", e);
        }
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw new PodmanException($"the Podman service answered {(int)response.StatusCode} to {path}: {await WordsAsync(response, cancellationToken).ConfigureAwait(false)}");
    }

    private static async Task<string> WordsAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        Words(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Podman's error answer is {"cause": …, "message": …, "response": …}: its message, else the body.</summary>
    private static string Words(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("message", out var m))
                return m.GetString() ?? body;
        }
        catch (JsonException)
        {
            // Not JSON: as it came.
        }
        return body.Trim();
    }
}
