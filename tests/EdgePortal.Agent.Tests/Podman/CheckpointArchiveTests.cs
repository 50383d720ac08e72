using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using EdgePortal.Agent.Podman;

namespace EdgePortal.Agent.Tests.Podman;

/// <summary>
/// A replay's copy of a container is restored with its connections closed through the CRIU configuration that the
/// <c>org.criu.config</c> annotation names: the agent writes that annotation into the exported archive's spec (spec.dump and
/// the spec in config.dump, which <c>podman container restore --import</c> creates the container from), and leaves every
/// other entry — CRIU's images — as it was. Archives laid out as Podman 4.3 exports them (an uncompressed tar).
/// </summary>
public sealed class CheckpointArchiveTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-archive-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly byte[] Pages = [.. Enumerable.Range(0, 3 * 4096 + 17).Select(i => (byte)(i * 31 % 251))];

    private async Task<string> ArchiveAsync(bool withSpec = true, string? annotations = """{ "io.podman.annotations.autoremove": "FALSE" }""")
    {
        var path = Path.Combine(_folder, "container-checkpoint.tar");
        await using var file = File.Create(path);
        await using var tar = new TarWriter(file, TarEntryFormat.Pax);
        async Task Add(string name, byte[] data)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            await tar.WriteEntryAsync(entry);
        }
        var spec = annotations is null ? """{ "ociVersion": "1.0.2-dev", "process": { "args": ["/msgservice"] } }"""
            : $$"""{ "ociVersion": "1.0.2-dev", "process": { "args": ["/msgservice"] }, "annotations": {{annotations}} }""";
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "checkpoint/"));
        await Add("checkpoint/pages-1.img", Pages);
        await Add("checkpoint/inventory.img", [1, 2, 3]);
        await Add("config.dump", Encoding.UTF8.GetBytes($$"""{ "id": "6c46ba86", "name": "msgservice.b2", "spec": {{spec}} }"""));
        if (withSpec)
            await Add("spec.dump", Encoding.UTF8.GetBytes(spec));
        await Add("network.status", Encoding.UTF8.GetBytes("{}"));
        return path;
    }

    private static async Task<Dictionary<string, byte[]>> EntriesAsync(string archive)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using var file = File.OpenRead(archive);
        await using var tar = new TarReader(file);
        while (await tar.GetNextEntryAsync() is { } entry)
        {
            using var data = new MemoryStream();
            if (entry.DataStream is not null)
                await entry.DataStream.CopyToAsync(data);
            entries[entry.Name] = data.ToArray();
        }
        return entries;
    }

    [Fact]
    public async Task AnnotateAsync_PodmanArchive_SpecAndConfigCarryTheAnnotationImagesUnchanged()
    {
        var archive = await ArchiveAsync();

        var name = await CheckpointArchive.AnnotateAsync(archive, PodmanDriver.CriuConfigAnnotation, "/var/lib/edgeportal/criu/x/criu-tcp-close.conf", CancellationToken.None);

        Assert.Equal("msgservice.b2", name);
        var annotations = await CheckpointArchive.AnnotationsAsync(archive, CancellationToken.None);
        Assert.Equal("/var/lib/edgeportal/criu/x/criu-tcp-close.conf", annotations[PodmanDriver.CriuConfigAnnotation]);
        Assert.Equal("FALSE", annotations["io.podman.annotations.autoremove"]);
        var entries = await EntriesAsync(archive);
        var config = JsonNode.Parse(entries["config.dump"])!;
        Assert.Equal("/var/lib/edgeportal/criu/x/criu-tcp-close.conf", (string?)config["spec"]!["annotations"]![PodmanDriver.CriuConfigAnnotation]);
        Assert.Equal("6c46ba86", (string?)config["id"]);
        Assert.Equal(Pages, entries["checkpoint/pages-1.img"]);
        Assert.Equal(new byte[] { 1, 2, 3 }, entries["checkpoint/inventory.img"]);
        Assert.Equal(new[] { "checkpoint/", "checkpoint/inventory.img", "checkpoint/pages-1.img", "config.dump", "network.status", "spec.dump" }, entries.Keys.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(archive + ".annotated"));
    }

    [Fact]
    public async Task AnnotateAsync_SpecWithoutAnnotations_AnnotationsCreated()
    {
        var archive = await ArchiveAsync(annotations: null);

        await CheckpointArchive.AnnotateAsync(archive, PodmanDriver.CriuConfigAnnotation, "/tmp/c.conf", CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { [PodmanDriver.CriuConfigAnnotation] = "/tmp/c.conf" }, await CheckpointArchive.AnnotationsAsync(archive, CancellationToken.None));
    }

    [Fact]
    public async Task AnnotateAsync_NoSpecDump_RefusedArchiveUntouched()
    {
        var archive = await ArchiveAsync(withSpec: false);
        var before = await File.ReadAllBytesAsync(archive);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => CheckpointArchive.AnnotateAsync(archive, PodmanDriver.CriuConfigAnnotation, "/tmp/c.conf", CancellationToken.None));

        Assert.Contains("holds no spec.dump", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(archive));
        Assert.False(File.Exists(archive + ".annotated"));
    }

    [Fact]
    public async Task AnnotateAsync_GzipArchive_RefusedSayingWhy()
    {
        var plain = await ArchiveAsync();
        var archive = Path.Combine(_folder, "compressed.tar");
        await using (var output = File.Create(archive))
        await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        await using (var input = File.OpenRead(plain))
            await input.CopyToAsync(gzip);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => CheckpointArchive.AnnotateAsync(archive, PodmanDriver.CriuConfigAnnotation, "/tmp/c.conf", CancellationToken.None));

        Assert.Contains("gzip-compressed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HonoursCriuConfig_RuncBinaryNamesTheAnnotationAcrossABlockBoundary_Honoured()
    {
        var runc = Path.Combine(_folder, "runc");
        var bytes = new byte[(1 << 20) + 4096];
        Encoding.ASCII.GetBytes(PodmanDriver.CriuConfigAnnotation).CopyTo(bytes, (1 << 20) - 5);
        File.WriteAllBytes(runc, bytes);

        var (honours, why) = PodmanDriver.HonoursCriuConfig("runc", runc, "runc version 1.1.5+ds1", "4.2.1");

        Assert.True(honours, why);
        Assert.Contains("reads the org.criu.config annotation", why, StringComparison.Ordinal);
    }

    [Fact]
    public void HonoursCriuConfig_RuncBinaryWithoutTheAnnotation_NotHonoured()
    {
        var runc = Path.Combine(_folder, "runc");
        File.WriteAllBytes(runc, new byte[70_000]);

        var (honours, why) = PodmanDriver.HonoursCriuConfig("runc", runc, "runc version 1.1.5+ds1", "4.2.1");

        Assert.False(honours);
        Assert.Contains("does not know the org.criu.config annotation", why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crun", "", "crun version 1.8.1", "4.2.1", false)]
    [InlineData("runc", "", "runc version 1.1.5+ds1", "3.10", false)]
    [InlineData("runc", "", "runc version 0.1.1", "4.2.1", false)]
    [InlineData("runc", "", "runc version 1.1.5+ds1", "4.2.1", true)]
    public void HonoursCriuConfig_BinaryNotReadable_RuntimeAndVersionsDecide(string runtime, string path, string version, string criu, bool expected)
    {
        var (honours, why) = PodmanDriver.HonoursCriuConfig(runtime, path, version, criu);

        Assert.True(honours == expected, why);
    }

    [Fact]
    public void HonoursCriuConfig_ThisMachinesRunc_Honoured()
    {
        // The Debian runc 1.1.5 that tools/podman/containers.conf selects (test.sh installs it).
        Assert.True(File.Exists("/usr/bin/runc"), "runc is needed: ./test.sh installs it (apt-get install runc).");

        var (honours, why) = PodmanDriver.HonoursCriuConfig("runc", "/usr/bin/runc", "runc version 1.1.5+ds1", "4.2.1");

        Assert.True(honours, why);
    }
}
