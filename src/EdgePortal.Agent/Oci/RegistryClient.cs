using System.Net;
using System.Net.Http.Headers;
using EdgePortal.Agent.Transfer;

namespace EdgePortal.Agent.Oci;

/// <summary>The push half of the OCI distribution API: blobs by monolithic upload (POST then PUT with the digest), then the manifest.</summary>
public sealed class RegistryClient(HttpClient http)
{
    private const int MaxErrorChars = 512;

    public async Task<string> PushAsync(Uri registry, string repository, string tag, OciCheckpointImage image, TokenBucket? bucket,
        TransferProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(image);
        await PushBlobAsync(registry, repository, image.Layer, () => File.OpenRead(image.LayerPath), bucket, progress, cancellationToken).ConfigureAwait(false);
        await PushBlobAsync(registry, repository, image.Config, () => new MemoryStream(image.ConfigBytes), bucket, progress, cancellationToken).ConfigureAwait(false);

        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(registry, $"v2/{repository}/manifests/{tag}"))
        {
            Content = new ByteArrayContent(image.ManifestBytes),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(OciMediaTypes.Manifest);
        using var response = await http.SendAsync(put, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"PUT manifest {repository}:{tag}", cancellationToken).ConfigureAwait(false);
        progress?.Add(image.ManifestBytes.Length);
        return response.Headers.TryGetValues("Docker-Content-Digest", out var digests) ? digests.First() : image.Manifest.Digest;
    }

    /// <summary>
    /// Deletes the manifest <paramref name="digest"/> of <paramref name="repository"/> (the image's tags go with it; the
    /// registry's garbage collection frees the blobs). False when the registry does not have it (404).
    /// </summary>
    /// <exception cref="RegistryException">Refused, e.g. 405 when the registry does not allow deletes (storage.delete.enabled).</exception>
    public async Task<bool> DeleteAsync(Uri registry, string repository, string digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        using var delete = new HttpRequestMessage(HttpMethod.Delete, new Uri(registry, $"v2/{repository}/manifests/{digest}"));
        delete.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.Manifest));
        using var response = await http.SendAsync(delete, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        if (response.StatusCode == HttpStatusCode.MethodNotAllowed)
            throw new RegistryException($"the registry does not allow deletes (405): enable them (docker-registry: storage.delete.enabled: true), or {repository}@{digest} stays until deleted by hand");
        await EnsureAsync(response, $"DELETE manifest {repository}@{digest}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task PushBlobAsync(Uri registry, string repository, OciDescriptor blob, Func<Stream> open, TokenBucket? bucket,
        TransferProgress? progress, CancellationToken cancellationToken)
    {
        using (var head = new HttpRequestMessage(HttpMethod.Head, new Uri(registry, $"v2/{repository}/blobs/{blob.Digest}")))
        using (var exists = await http.SendAsync(head, cancellationToken).ConfigureAwait(false))
        {
            if (exists.StatusCode == HttpStatusCode.OK)
            {
                progress?.Add((int)Math.Min(int.MaxValue, blob.Size));
                return;
            }
        }

        Uri location;
        using (var start = new HttpRequestMessage(HttpMethod.Post, new Uri(registry, $"v2/{repository}/blobs/uploads/")))
        using (var started = await http.SendAsync(start, cancellationToken).ConfigureAwait(false))
        {
            await EnsureAsync(started, $"start upload to {repository}", cancellationToken).ConfigureAwait(false);
            location = started.Headers.Location ?? throw new InvalidOperationException($"The registry started an upload to {repository} without a Location.");
            if (!location.IsAbsoluteUri)
                location = new Uri(registry, location);
            // The blob goes to the configured registry only, whatever host its answer names.
            if (!string.Equals(location.Authority, registry.Authority, StringComparison.OrdinalIgnoreCase) || location.Scheme != registry.Scheme)
                throw new RegistryException($"the registry sent the upload of {repository} to another host ({location.Scheme}://{location.Authority}); only {registry.Authority} is configured");
        }
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var target = new Uri(location.AbsoluteUri + separator + "digest=" + Uri.EscapeDataString(blob.Digest));
        await using var source = open();
        using var put = new HttpRequestMessage(HttpMethod.Put, target)
        {
            Content = new StreamContent(new ThrottledStream(source, bucket, progress, leaveOpen: true)),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        put.Content.Headers.ContentLength = blob.Size;
        using var response = await http.SendAsync(put, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, $"upload {blob.Digest} to {repository}", cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        // The registry's own words, cut short: an error body is never relayed whole.
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var words = body.Trim();
        if (words.Length > MaxErrorChars)
            words = words[..MaxErrorChars] + "…";
        throw new RegistryException($"the registry refused to {what}: {(int)response.StatusCode} {response.StatusCode} {words}");
    }
}

public sealed class RegistryException(string message) : Exception(message);
