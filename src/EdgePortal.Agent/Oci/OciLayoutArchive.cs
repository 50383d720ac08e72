using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EdgePortal.Agent.Oci;

/// <summary>
/// An image as an OCI image layout in one tar (what <c>skopeo copy oci-archive:</c>, <c>ctr image import</c> and
/// <c>podman load</c> read): <c>oci-layout</c>, <c>index.json</c>, and the blobs under <c>blobs/sha256/</c>. Written as a
/// stream, so a peer agent receives it while it is produced.
/// </summary>
public static class OciLayoutArchive
{
    public static async Task WriteAsync(Stream destination, OciCheckpointImage image, string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await AddAsync(tar, "oci-layout", Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}"), cancellationToken).ConfigureAwait(false);
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciMediaTypes.Index,
            manifests = new[]
            {
                new
                {
                    mediaType = image.Manifest.MediaType,
                    digest = image.Manifest.Digest,
                    size = image.Manifest.Size,
                    annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = reference },
                },
            },
        });
        await AddAsync(tar, "index.json", index, cancellationToken).ConfigureAwait(false);
        await AddAsync(tar, BlobPath(image.Manifest.Digest), image.ManifestBytes, cancellationToken).ConfigureAwait(false);
        await AddAsync(tar, BlobPath(image.Config.Digest), image.ConfigBytes, cancellationToken).ConfigureAwait(false);
        await using var layer = File.OpenRead(image.LayerPath);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, BlobPath(image.Layer.Digest)) { DataStream = layer };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks a received layout: every blob's content hashes to its name, and the index names a manifest that is there.
    /// Returns the number of blobs checked, or throws <see cref="InvalidDataException"/> naming what is wrong.
    /// </summary>
    public static async Task<int> VerifyAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        await using var tar = new TarReader(file);
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        string? indexed = null;
        var layout = false;
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                continue;
            if (entry.Name == "oci-layout")
                layout = true;
            else if (entry.Name == "index.json")
            {
                using var json = await JsonDocument.ParseAsync(entry.DataStream, cancellationToken: cancellationToken).ConfigureAwait(false);
                indexed = json.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString();
            }
            else if (entry.Name.StartsWith("blobs/sha256/", StringComparison.Ordinal))
            {
                var expected = entry.Name["blobs/sha256/".Length..];
                var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(entry.DataStream, cancellationToken).ConfigureAwait(false));
                if (!string.Equals(expected, actual, StringComparison.Ordinal))
                    throw new InvalidDataException($"blob {entry.Name} does not match its digest (content hashes to sha256:{actual})");
                blobs.Add("sha256:" + expected);
            }
        }
        if (!layout)
            throw new InvalidDataException("the archive has no oci-layout file: it is not an OCI image layout");
        if (indexed is null || !blobs.Contains(indexed))
            throw new InvalidDataException($"index.json names manifest {indexed ?? "(none)"}, which the archive does not contain");
        return blobs.Count;
    }

    private static string BlobPath(string digest) => "blobs/sha256/" + digest["sha256:".Length..];

    private static async Task AddAsync(TarWriter tar, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        using var data = new MemoryStream(bytes);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = data };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }
}
