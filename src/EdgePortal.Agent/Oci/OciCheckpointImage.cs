using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Oci;

/// <summary>The media types and annotation keys of the OCI image spec, CRI-O and containerd that a checkpoint image uses.</summary>
public static class OciMediaTypes
{
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Config = "application/vnd.oci.image.config.v1+json";
    /// <summary>An uncompressed tar layer: the checkpoint archive as the kubelet wrote it.</summary>
    public const string LayerTar = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>What CRI-O looks for to recognise a checkpoint image, with the name of the checkpointed container.</summary>
    public const string CriOCheckpointName = "io.kubernetes.cri-o.annotations.checkpoint.name";
    public const string CriuContainerName = "org.criu.checkpoint.container.name";
    public const string CriuPodName = "org.criu.checkpoint.pod.name";
    public const string CriuPodNamespace = "org.criu.checkpoint.pod.namespace";
    public const string CriuRootfsImageName = "org.criu.checkpoint.rootfsImageName";
    public const string CriuEngineName = "org.criu.checkpoint.engine.name";
    public const string CriuHostArch = "org.criu.checkpoint.host.arch";
    /// <summary>What Podman reads from a checkpoint image (libpod/define/annotations.go): the container's name, its base image, the host.</summary>
    public const string PodmanCheckpointName = "io.podman.annotations.checkpoint.name";
    public const string PodmanRootfsImageName = "io.podman.annotations.checkpoint.rootfsImageName";
    public const string PodmanHostArch = "io.podman.annotations.checkpoint.host.arch";
    /// <summary>The OCI runtime that dumped the container: Podman restores only with the same one ("requires runtime: …").</summary>
    public const string PodmanRuntimeName = "io.podman.annotations.checkpoint.runtime.name";
    public const string Created = "org.opencontainers.image.created";
    public const string Title = "org.opencontainers.image.title";
}

/// <summary>What the checkpoint came from, for the image's annotations.</summary>
/// <param name="RuntimeName">The OCI runtime that dumped it (runc, crun), when known: Podman restores only with the same one.</param>
public sealed record CheckpointMetadata(string ContainerName, string PodName, string Namespace, string? RootfsImage, string? RuntimeName = null);

public sealed record OciDescriptor(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("annotations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Annotations = null);

/// <summary>
/// A checkpoint archive as an OCI image (image-spec v1.1): one uncompressed layer that is the archive itself (its diff id
/// equals its digest), a minimal config naming that layer, and a manifest carrying the checkpoint annotations CRI-O
/// (<c>io.kubernetes.cri-o.annotations.checkpoint.name</c>), containerd (<c>org.criu.checkpoint.*</c>) and Podman
/// (<c>io.podman.annotations.checkpoint.*</c>) read on restore.
/// The layer is never held in memory: it is hashed from the file and streamed from it.
/// </summary>
public sealed class OciCheckpointImage
{
    private OciCheckpointImage(string layerPath, OciDescriptor layer, byte[] config, byte[] manifest)
    {
        LayerPath = layerPath;
        Layer = layer;
        ConfigBytes = config;
        Config = new OciDescriptor(OciMediaTypes.Config, Digest(config), config.Length);
        ManifestBytes = manifest;
        Manifest = new OciDescriptor(OciMediaTypes.Manifest, Digest(manifest), manifest.Length);
    }

    public string LayerPath { get; }
    public OciDescriptor Layer { get; }
    public OciDescriptor Config { get; }
    public byte[] ConfigBytes { get; }
    public OciDescriptor Manifest { get; }
    public byte[] ManifestBytes { get; }

    /// <summary>Every byte of the image: layer, config and manifest.</summary>
    public long TotalBytes => Layer.Size + Config.Size + Manifest.Size;

    public static async Task<OciCheckpointImage> FromArchiveAsync(string archivePath, CheckpointMetadata metadata, DateTimeOffset created,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string layerDigest;
        long size;
        await using (var file = File.OpenRead(archivePath))
        {
            size = file.Length;
            layerDigest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
        }
        var layer = new OciDescriptor(OciMediaTypes.LayerTar, layerDigest, size,
            new Dictionary<string, string> { [OciMediaTypes.Title] = Path.GetFileName(archivePath) });
        var createdText = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var arch = Architecture();
        var config = JsonSerializer.SerializeToUtf8Bytes(new ImageConfig(createdText, arch, "linux", new RootFs("layers", [layerDigest])));
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [OciMediaTypes.CriOCheckpointName] = metadata.ContainerName,
            [OciMediaTypes.CriuContainerName] = metadata.ContainerName,
            [OciMediaTypes.CriuPodName] = metadata.PodName,
            [OciMediaTypes.CriuPodNamespace] = metadata.Namespace,
            [OciMediaTypes.CriuEngineName] = "edgeportal-agent",
            [OciMediaTypes.CriuHostArch] = arch,
            [OciMediaTypes.PodmanCheckpointName] = metadata.ContainerName,
            [OciMediaTypes.PodmanHostArch] = arch,
            [OciMediaTypes.Created] = createdText,
        };
        if (!string.IsNullOrWhiteSpace(metadata.RootfsImage))
        {
            annotations[OciMediaTypes.CriuRootfsImageName] = metadata.RootfsImage;
            annotations[OciMediaTypes.PodmanRootfsImageName] = metadata.RootfsImage;
        }
        // Only when known: Podman takes an image with a runtime annotation for a checkpoint and refuses another runtime's.
        if (!string.IsNullOrWhiteSpace(metadata.RuntimeName))
            annotations[OciMediaTypes.PodmanRuntimeName] = metadata.RuntimeName;
        var configDescriptor = new OciDescriptor(OciMediaTypes.Config, Digest(config), config.Length);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new ImageManifest(2, OciMediaTypes.Manifest, configDescriptor, [layer], annotations));
        return new OciCheckpointImage(archivePath, layer, config, manifest);
    }

    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The OCI name of this machine's architecture (GOARCH).</summary>
    public static string Architecture() => RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        var other => other.ToString().ToLowerInvariant(),
    };

    private sealed record RootFs([property: JsonPropertyName("type")] string Type, [property: JsonPropertyName("diff_ids")] IReadOnlyList<string> DiffIds);

    private sealed record ImageConfig(
        [property: JsonPropertyName("created")] string Created,
        [property: JsonPropertyName("architecture")] string Architecture,
        [property: JsonPropertyName("os")] string Os,
        [property: JsonPropertyName("rootfs")] RootFs RootFs);

    private sealed record ImageManifest(
        [property: JsonPropertyName("schemaVersion")] int SchemaVersion,
        [property: JsonPropertyName("mediaType")] string MediaType,
        [property: JsonPropertyName("config")] OciDescriptor Config,
        [property: JsonPropertyName("layers")] IReadOnlyList<OciDescriptor> Layers,
        [property: JsonPropertyName("annotations")] IReadOnlyDictionary<string, string> Annotations);
}
