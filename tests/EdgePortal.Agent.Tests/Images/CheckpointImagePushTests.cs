using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using EdgePortal.Agent.Oci;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Agent.Tests.Images;

/// <summary>POST /checkpoints/{id}/image against a real registry (Debian's docker-registry), then the image pulled back.</summary>
public sealed class CheckpointImagePushTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private AgentHost _agent = null!;

    public async Task InitializeAsync() => _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
    {
        ["EdgePortal:Agent:Registries:lab:Host"] = registry.Host,
        ["EdgePortal:Agent:Registries:lab:PlainHttp"] = "true",
        ["EdgePortal:Agent:Registries:closed:Host"] = "127.0.0.1:1",
        ["EdgePortal:Agent:Registries:closed:PlainHttp"] = "true",
    });

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    [Fact]
    public async Task BuildImage_Archive_PushesAnOciImageWithOneUncompressedLayerAndTheCheckpointAnnotations()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-counter_default-counter-2026-11-28T10:00:00Z.tar", 512 * 1024);
        var archiveDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(archive)));
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync($"checkpoints/{Path.GetFileName(archive)}/image", new CheckpointImageRequest
        {
            Registry = "lab",
            Repository = "edgeportal/counter",
            Tag = "m-1",
            ContainerName = "counter",
            PodName = "counter-0",
            Namespace = "default",
            RootfsImage = "quay.io/example/counter:1.0",
            RuntimeName = "runc",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<CheckpointImageResult>())!;
        Assert.Equal($"{registry.Host}/edgeportal/counter:m-1", result.Reference);
        Assert.Equal(archiveDigest, result.LayerDigest);

        using var pull = new HttpClient { BaseAddress = registry.BaseUri };
        using var get = new HttpRequestMessage(HttpMethod.Get, "v2/edgeportal/counter/manifests/m-1");
        get.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(OciMediaTypes.Manifest));
        using var manifestResponse = await pull.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, manifestResponse.StatusCode);
        Assert.Equal(OciMediaTypes.Manifest, manifestResponse.Content.Headers.ContentType?.MediaType);
        var manifestBytes = await manifestResponse.Content.ReadAsByteArrayAsync();
        Assert.Equal(result.ManifestDigest, OciCheckpointImage.Digest(manifestBytes));

        using var manifest = JsonDocument.Parse(manifestBytes);
        var root = manifest.RootElement;
        Assert.Equal(2, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(OciMediaTypes.Manifest, root.GetProperty("mediaType").GetString());
        Assert.Equal(OciMediaTypes.Config, root.GetProperty("config").GetProperty("mediaType").GetString());
        var layer = Assert.Single(root.GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar", layer.GetProperty("mediaType").GetString());
        Assert.Equal(archiveDigest, layer.GetProperty("digest").GetString());
        Assert.Equal(new FileInfo(archive).Length, layer.GetProperty("size").GetInt64());
        var annotations = root.GetProperty("annotations");
        Assert.Equal("counter", annotations.GetProperty("io.kubernetes.cri-o.annotations.checkpoint.name").GetString());
        Assert.Equal("counter", annotations.GetProperty("org.criu.checkpoint.container.name").GetString());
        Assert.Equal("counter-0", annotations.GetProperty("org.criu.checkpoint.pod.name").GetString());
        Assert.Equal("default", annotations.GetProperty("org.criu.checkpoint.pod.namespace").GetString());
        Assert.Equal("quay.io/example/counter:1.0", annotations.GetProperty("org.criu.checkpoint.rootfsImageName").GetString());
        // Podman's, next to CRI-O's and containerd's: the runtime only when the request names it (Podman refuses another's).
        Assert.Equal("counter", annotations.GetProperty("io.podman.annotations.checkpoint.name").GetString());
        Assert.Equal("quay.io/example/counter:1.0", annotations.GetProperty("io.podman.annotations.checkpoint.rootfsImageName").GetString());
        Assert.Equal("runc", annotations.GetProperty("io.podman.annotations.checkpoint.runtime.name").GetString());
        Assert.Equal(OciCheckpointImage.Architecture(), annotations.GetProperty("io.podman.annotations.checkpoint.host.arch").GetString());

        // The layer blob is the archive byte for byte; the config names it as the only diff id.
        var blob = await pull.GetByteArrayAsync($"v2/edgeportal/counter/blobs/{archiveDigest}");
        Assert.Equal(await File.ReadAllBytesAsync(archive), blob);
        var configDigest = root.GetProperty("config").GetProperty("digest").GetString();
        using var config = JsonDocument.Parse(await pull.GetByteArrayAsync($"v2/edgeportal/counter/blobs/{configDigest}"));
        Assert.Equal("linux", config.RootElement.GetProperty("os").GetString());
        Assert.Equal(archiveDigest, Assert.Single(config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task BuildImage_SameArchiveTwice_ReusesTheLayerAndAnswersTheSameLayerDigest()
    {
        var archive = _agent.WriteCheckpoint("checkpoint-twice.tar", 64 * 1024, seed: 9);
        using var client = _agent.Client();
        var request = new CheckpointImageRequest
        {
            Registry = "lab", Repository = "edgeportal/twice", Tag = "a", ContainerName = "c", PodName = "p", Namespace = "default",
        };

        var first = await (await client.PostAsJsonAsync($"checkpoints/{Path.GetFileName(archive)}/image", request)).Content.ReadFromJsonAsync<CheckpointImageResult>();
        var second = await (await client.PostAsJsonAsync($"checkpoints/{Path.GetFileName(archive)}/image", request with { Tag = "b" })).Content.ReadFromJsonAsync<CheckpointImageResult>();

        Assert.Equal(first!.LayerDigest, second!.LayerDigest);
    }

    [Fact]
    public async Task BuildImage_UnknownArchive_Answers404NamingTheFolder()
    {
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync("checkpoints/missing.tar/image", new CheckpointImageRequest
        {
            Registry = "lab", Repository = "edgeportal/x", Tag = "t", ContainerName = "c",
        });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(_agent.CheckpointDirectory, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildImage_BadRequest_Answers400NamingEachField()
    {
        _agent.WriteCheckpoint("cp.tar", 1024);
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync("checkpoints/cp.tar/image", new CheckpointImageRequest
        {
            Registry = "lab", Peer = "http://127.0.0.1:1/", Repository = "Bad/Repo", Tag = "-x", ContainerName = "",
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.All(new[] { "repository", "tag", "containerName", "registry" }, field => Assert.Contains($"\"{field}\"", body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task BuildImage_RegistryUnreachable_Answers502WithTheReason()
    {
        _agent.WriteCheckpoint("cp2.tar", 1024);
        using var client = _agent.Client();

        var response = await client.PostAsJsonAsync("checkpoints/cp2.tar/image", new CheckpointImageRequest
        {
            Registry = "closed", Repository = "edgeportal/x", Tag = "t", ContainerName = "c",
        });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("127.0.0.1:1", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
