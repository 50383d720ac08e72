using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Agent.Criu;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Kubelet;

/// <summary>The agent could not ask its kubelet or its container runtime at all (no answer, no token, no crictl); the kubelet's own refusals are answers, not this.</summary>
public sealed class NodeCallException(string title, string message) : Exception(message)
{
    public string Title { get; } = title;
}

/// <summary>
/// The node's kubelet and container runtime, as the agent reaches them: the kubelet's checkpoint API over HTTPS with the
/// agent's service account token (the kubelet checks <c>nodes/checkpoint</c> create by SubjectAccessReview), its serving
/// certificate verified against <see cref="AgentKubeletOptions.CertificateAuthorityFile"/>; base images through <c>crictl pull</c>.
/// </summary>
public sealed class NodeKubelet : IDisposable
{
    /// <summary>How much longer than the CRI deadline the agent waits for the kubelet's answer: the kubelet answers its own DeadlineExceeded first.</summary>
    public static readonly TimeSpan AnswerMargin = TimeSpan.FromSeconds(15);

    private const int MaxMessageChars = 1000;

    private readonly IOptions<AgentOptions> _options;
    private readonly TimeProvider _time;
    private readonly Lazy<HttpClient> _http;

    public NodeKubelet(IOptions<AgentOptions> options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _http = new Lazy<HttpClient>(Build);
    }

    public bool Enabled => _options.Value.Kubelet.Enabled;

    private HttpClient Build()
    {
        var o = _options.Value.Kubelet;
        var url = new Uri(o.Url!);
        var serverName = string.IsNullOrWhiteSpace(o.ServerName) ? url.Host.Trim('[', ']') : o.ServerName;
        var handler = AgentTls.VerifyingHandler(new PemAuthorities(o.CertificateAuthorityFile!, _time), serverName);
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, BaseAddress = new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/") };
    }

    /// <summary>
    /// <c>POST /checkpoint/{ns}/{pod}/{container}?timeout=</c> on the kubelet; its answer whatever it is. The wait is the CRI
    /// deadline plus <see cref="AnswerMargin"/>, so the kubelet's own DeadlineExceeded always arrives before the agent gives up.
    /// </summary>
    /// <exception cref="NodeCallException">No token, or the kubelet did not answer (unreachable, TLS refused, too late).</exception>
    public async Task<KubeletCheckpointAnswer> CheckpointAsync(KubeletCheckpointCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var o = _options.Value;
        string token;
        try
        {
            token = (await File.ReadAllTextAsync(o.Kubelet.TokenFile, cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeCallException("No service account token",
                $"The agent cannot read its service account token {o.Kubelet.TokenFile} ({AgentOptions.Section}:Kubelet:TokenFile): {e.Message}. The DaemonSet mounts it (automountServiceAccountToken or a projected token).");
        }
        var path = string.Create(CultureInfo.InvariantCulture,
            $"checkpoint/{Uri.EscapeDataString(call.Namespace)}/{Uri.EscapeDataString(call.Pod)}/{Uri.EscapeDataString(call.Container)}?timeout={call.TimeoutSeconds}");
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var wait = TimeSpan.FromSeconds(call.TimeoutSeconds) + AnswerMargin;
        using var deadline = new CancellationTokenSource(wait, _time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = _time.GetTimestamp();
        string body;
        int status;
        try
        {
            using var response = await _http.Value.SendAsync(request, bounded.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new NodeCallException("Kubelet unreachable", $"The kubelet at {_http.Value.BaseAddress} ({AgentOptions.Section}:Kubelet:Url) did not answer: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NodeCallException("Kubelet did not answer", string.Create(CultureInfo.InvariantCulture,
                $"The kubelet did not answer the checkpoint of {call.Namespace}/{call.Pod}/{call.Container} within {wait.TotalSeconds:0} s (the CRI deadline of {call.TimeoutSeconds} s and {AnswerMargin.TotalSeconds:0} s more)."));
        }
        var seconds = _time.GetElapsedTime(started).TotalSeconds;
        if (status != 200)
            return new KubeletCheckpointAnswer(status, null, null, 0, Cut(body), seconds);
        var answered = Items(body);
        string? archive = null;
        long bytes = 0;
        if (answered is not null && Path.GetFileName(answered) is { Length: > 0 } file && !file.Contains("..", StringComparison.Ordinal)
            && Path.Combine(o.CheckpointDirectory, file) is var local && File.Exists(local))
        {
            archive = file;
            bytes = new FileInfo(local).Length;
        }
        return new KubeletCheckpointAnswer(200, answered, archive, bytes, answered is null ? Cut(body) : null, seconds);
    }

    /// <summary><c>crictl pull</c> of <paramref name="image"/> on this node's CRI socket, bounded by <see cref="AgentKubeletOptions.PullTimeout"/>.</summary>
    /// <exception cref="NodeCallException">crictl is missing, failed (its own words), or took too long.</exception>
    public async Task<ImagePullAnswer> PullAsync(string image, CancellationToken cancellationToken)
    {
        var o = _options.Value.Kubelet;
        List<string> arguments = [];
        if (!string.IsNullOrWhiteSpace(o.RuntimeEndpoint))
            arguments.AddRange(["--runtime-endpoint", o.RuntimeEndpoint, "--image-endpoint", o.RuntimeEndpoint]);
        arguments.AddRange(["pull", image]);
        using var deadline = new CancellationTokenSource(o.PullTimeout, _time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = _time.GetTimestamp();
        CommandResult result;
        try
        {
            result = await CommandRunner.RunAsync(o.CrictlPath, arguments, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NodeCallException("Pull took too long", string.Create(CultureInfo.InvariantCulture,
                $"crictl pull {image} did not finish within {o.PullTimeout.TotalSeconds:0} s ({AgentOptions.Section}:Kubelet:PullTimeout)."));
        }
        if (result.ExitCode == 127)
            throw new NodeCallException("crictl missing", $"{result.StandardError.Trim()} ({AgentOptions.Section}:Kubelet:CrictlPath): install crictl on the node or in the agent's image.");
        if (result.ExitCode != 0)
            throw new NodeCallException("Pull failed", $"crictl pull {image} failed (exit {result.ExitCode.ToString(CultureInfo.InvariantCulture)}): {Cut(result.Output)}");
        return new ImagePullAnswer(image, _time.GetElapsedTime(started).TotalSeconds, Cut(result.StandardOutput) ?? "");
    }

    private static string? Items(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("items", out var items)
                && items.ValueKind == JsonValueKind.Array && items.GetArrayLength() > 0 && items[0].ValueKind == JsonValueKind.String
                ? items[0].GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Cut(string? text)
    {
        var t = text?.Trim();
        return string.IsNullOrEmpty(t) ? null : t.Length > MaxMessageChars ? t[..MaxMessageChars] + "…" : t;
    }

    public void Dispose()
    {
        if (_http.IsValueCreated)
            _http.Value.Dispose();
    }
}
