using System.Diagnostics;
using System.Globalization;
using EdgePortal.Agent.Contracts;
using EdgePortal.Testing.Lab;

namespace EdgePortal.Agent.Tests.Podman;

/// <summary>
/// A real engine restores our image (issue 16 item 8): Podman 4.3 with runc and CRIU 4.2 checkpoints a counting container
/// (<c>podman container checkpoint --export</c>, the kind of archive the kubelet writes), the agent turns the archive into
/// its OCI checkpoint image and pushes it to the real docker-registry, and Podman restores a new container from that image
/// pulled from the registry: the counter goes on from where it was, it does not start again.
/// </summary>
public sealed class PodmanRestoresCheckpointImageTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-podman-image-").FullName;
    private AgentHost _agent = null!;

    public async Task InitializeAsync()
    {
        await LabRequirements.EnsureAsync();
        _agent = await AgentHost.StartAsync(new Dictionary<string, string?>
        {
            ["EdgePortal:Agent:Registries:lab:Host"] = registry.Host,
            ["EdgePortal:Agent:Registries:lab:PlainHttp"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
            await _agent.DisposeAsync();
        await PodmanAsync(false, "rm", "--all", "--force");
        await PodmanAsync(false, "system", "reset", "--force");
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Restore_FromTheAgentsImagePulledFromTheRegistry_TheCounterGoesOn()
    {
        var rootfs = Path.Combine(_folder, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        Directory.CreateDirectory(Path.Combine(rootfs, "tmp"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "cat" })
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        System.Formats.Tar.TarFile.CreateFromDirectory(rootfs, Path.Combine(_folder, "rootfs.tar"), includeBaseDirectory: false);
        await PodmanAsync(true, "import", Path.Combine(_folder, "rootfs.tar"), "localhost/edgeportal-counter:1");
        await PodmanAsync(true, "run", "-d", "--name", "counter", "localhost/edgeportal-counter:1",
            "/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done");
        var before = await CountAsync("counter", atLeast: 10);

        // The archive lands where the kubelet would write it: the agent's checkpoint directory.
        var id = "checkpoint-counter_edge-counter-2026-12-07T19:50:00Z.tar";
        await PodmanAsync(true, "container", "checkpoint", "counter", $"--export={Path.Combine(_agent.CheckpointDirectory, id)}", "--compress=none");
        using var client = _agent.Client();
        var api = new AgentApiClient(client, "agent", _agent.BaseUri, TimeSpan.FromMinutes(1));
        var pushed = await api.BuildCheckpointImageAsync(id, new CheckpointImageRequest
        {
            Registry = "lab",
            Repository = "edgeportal/counter",
            Tag = "podman-1",
            ContainerName = "counter",
            PodName = "counter",
            Namespace = "edge",
            RootfsImage = "localhost/edgeportal-counter:1",
            RuntimeName = "runc",
        }, CancellationToken.None);

        // Pulled by digest from the registry, as a node would, then restored under another name.
        var image = $"{registry.Host}/edgeportal/counter@{pushed.ManifestDigest}";
        await PodmanAsync(true, "pull", "--tls-verify=false", image);
        await PodmanAsync(true, "container", "restore", "--name", "restored", image);

        var after = await CountAsync("restored", atLeast: before);
        Assert.True(after >= before, $"the restored counter read {after}, below {before} at the checkpoint: it started again");
    }

    /// <summary>The container's count once it is at least <paramref name="atLeast"/> (the loop writes every 50 ms).</summary>
    private async Task<int> CountAsync(string container, int atLeast)
    {
        var deadline = Stopwatch.StartNew();
        var last = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            var text = await PodmanAsync(false, "exec", container, "cat", "/tmp/count");
            if (int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out last) && last >= atLeast)
                return last;
            if (last is > 0 && last < atLeast && container == "restored")
                return last;
            // Polling a process outside the test for its state, not waiting on time.
            await Task.Delay(50);
        }
        return last;
    }

    private async Task<string> PodmanAsync(bool check, params string[] arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/podman")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--root", Path.Combine(_folder, "root"), "--runroot", Path.Combine(_folder, "run"), "--tmpdir", Path.Combine(_folder, "tmp") }.Concat(arguments))
            info.ArgumentList.Add(a);
        info.Environment["CONTAINERS_CONF"] = EdgePortal.Testing.RepositoryRoot.File("tools", "podman", "containers.conf");
        info.Environment["PATH"] = "/usr/local/sbin:" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check)
            Assert.True(process.ExitCode == 0, $"podman {string.Join(' ', arguments)} failed ({process.ExitCode}): {error}");
        return await output;
    }
}
