using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>What the portal asks a node's agent: turn a checkpoint archive into an image and push it (the agent's POST /checkpoints/{id}/image).</summary>
public sealed record AgentImageRequest
{
    [JsonPropertyName("registry")] public required string Registry { get; init; }
    [JsonPropertyName("registryPlainHttp")] public bool RegistryPlainHttp { get; init; }
    [JsonPropertyName("repository")] public required string Repository { get; init; }
    [JsonPropertyName("tag")] public required string Tag { get; init; }
    [JsonPropertyName("containerName")] public required string ContainerName { get; init; }
    [JsonPropertyName("podName")] public required string PodName { get; init; }
    [JsonPropertyName("namespace")] public required string Namespace { get; init; }
    [JsonPropertyName("rootfsImage")] public string? RootfsImage { get; init; }
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
}

/// <summary>What the agent answers once the image is pushed.</summary>
public sealed record AgentImageResult
{
    [JsonPropertyName("reference")] public string Reference { get; init; } = "";
    [JsonPropertyName("manifestDigest")] public string ManifestDigest { get; init; } = "";
    [JsonPropertyName("layerDigest")] public string LayerDigest { get; init; } = "";
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
}

/// <summary>Talks to the EdgePortal agent on a node, with the shared token.</summary>
public sealed class AgentClient(HttpClient http)
{
    public async Task<(AgentImageResult? Result, string? Error)> BuildImageAsync(Uri agent, string token, string checkpointId,
        AgentImageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(agent, $"checkpoints/{Uri.EscapeDataString(checkpointId)}/image"))
        {
            Content = JsonContent.Create(request),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return (null, $"the agent at {agent} did not answer: {e.Message} — is the edgeportal-agent DaemonSet running on that node?");
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
                return (await response.Content.ReadFromJsonAsync<AgentImageResult>(cancellationToken).ConfigureAwait(false), null);
            var body = CheckpointErrors.Message(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return (null, (int)response.StatusCode switch
            {
                401 => $"the agent at {agent} refused the portal's token (401): EdgePortal:Kubernetes:Clusters:<name>:AgentToken must equal the agents' EdgePortal:Agent:Token",
                _ => $"the agent at {agent} answered {(int)response.StatusCode}: {body}",
            });
        }
    }
}
