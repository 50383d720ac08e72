using System.Globalization;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// Podman on the lab's emulated hosts: one storage for the lab (<c>--root</c>, <c>--runroot</c> under the test's folder,
/// never the machine's), shared by its hosts as they share the machine's file system — a restored container's configuration
/// names the run root of the host it was checkpointed on, which must exist where it is restored, as it does on real hosts
/// with the default paths; a container belongs to the host whose network namespace it runs in (the agent checks). The
/// repository's tools/podman/containers.conf (runc, the ulimits this VM allows), and an image built offline: <c>podman
/// import</c> of a rootfs holding busybox-static and the statically linked state service, nothing pulled. Containers run in
/// the host's network namespace (<c>nsenter --net</c>, <c>--network host</c>), which lets them move with their address and
/// connections.
/// </summary>
public sealed class PodmanLab
{
    public const string Executable = "/usr/bin/podman";
    public const string Image = "localhost/edgeportal-lab:workloads";

    private readonly string _folder;

    private PodmanLab(string folder, string configFile)
    {
        _folder = folder;
        ConfigFile = configFile;
    }

    public string ConfigFile { get; }

    /// <summary>The lab's storage root.</summary>
    public string Root => Path.Combine(_folder, "podman", "root");

    /// <summary>The lab's run root.</summary>
    public string RunRoot => Path.Combine(_folder, "podman", "run");

    /// <summary>The lab's libpod state folder: the machine's (/run/libpod) belongs to the machine's storage.</summary>
    public string TmpDir => Path.Combine(_folder, "podman", "tmp");

    /// <summary>The agent settings that make an agent of the lab drive its Podman.</summary>
    public Dictionary<string, string?> AgentSettings() => new()
    {
        ["EdgePortal:Agent:Podman:Enabled"] = "true",
        ["EdgePortal:Agent:Podman:ConfigFile"] = ConfigFile,
        ["EdgePortal:Agent:Podman:Root"] = Root,
        ["EdgePortal:Agent:Podman:RunRoot"] = RunRoot,
        ["EdgePortal:Agent:Podman:TmpDir"] = TmpDir,
    };

    /// <summary>
    /// The agent settings of an agent that drives the lab's Podman through an API socket (as on a real host, where the socket
    /// is the rootful podman.socket mounted into the agent's container): <see cref="StartServiceAsync"/> serves it.
    /// </summary>
    public static Dictionary<string, string?> AgentSettingsForSocket(string socket) => new()
    {
        ["EdgePortal:Agent:Podman:Enabled"] = "true",
        ["EdgePortal:Agent:Podman:Url"] = $"unix://{socket}",
    };

    /// <summary>
    /// <c>podman system service</c> on the lab's storage, in a lab host's network namespace (where it runs the containers
    /// it creates and restores), serving <paramref name="socket"/>; returns once the socket exists. Kill it (by its id) at the end.
    /// </summary>
    public async Task<System.Diagnostics.Process> StartServiceAsync(string networkNamespace, string socket)
    {
        var info = new System.Diagnostics.ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--net=" + networkNamespace, "--", "env", $"CONTAINERS_CONF={ConfigFile}", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            Executable, "--root", Root, "--runroot", RunRoot, "--tmpdir", TmpDir, "system", "service", "--time=0", $"unix://{socket}"])
            info.ArgumentList.Add(a);
        var service = System.Diagnostics.Process.Start(info)!;
        for (var i = 0; i < 400 && !File.Exists(socket); i++)
        {
            if (service.HasExited)
                Assert.Fail($"podman system service exited ({service.ExitCode}): {await service.StandardError.ReadToEndAsync()}");
            await Task.Delay(25);
        }
        Assert.True(File.Exists(socket), $"podman system service did not create {socket} within 10 s");
        return service;
    }

    /// <summary>Builds the state service statically, the rootfs and its image, and imports it into the lab's storage.</summary>
    /// <param name="messageService">The image holds the message service too (<see cref="StartMessageServiceAsync"/>).</param>
    public static async Task<PodmanLab> StartAsync(string folder, bool messageService = false)
    {
        if (!File.Exists(Executable) || !File.Exists("/usr/sbin/runc") || !File.Exists("/bin/busybox"))
            Assert.Fail("Podman, runc and busybox-static are needed: ./test.sh installs them (apt-get install podman runc busybox-static).");
        var lab = new PodmanLab(folder, Path.Combine(RepositoryRoot.Path, "tools", "podman", "containers.conf"));
        var rootfs = Path.Combine(folder, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        Directory.CreateDirectory(Path.Combine(rootfs, "tmp"));
        File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "cat", "ls" })
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
        await Workloads.BuildStaticAsync(rootfs, messageService);
        var tar = Path.Combine(folder, "rootfs.tar");
        await Lab.RunAsync("tar", ["-C", rootfs, "-cf", tar, "."]);
        await lab.RunAsync("import", tar, Image);
        return lab;
    }

    /// <summary>Runs podman on the lab's storage.</summary>
    public Task<string> RunAsync(params string[] arguments) => RunInAsync(null, arguments);

    /// <summary>Runs podman on the lab's storage, in <paramref name="networkNamespace"/> (a lab host's) when set.</summary>
    public Task<string> RunInAsync(string? networkNamespace, params string[] arguments)
    {
        List<string> command = ["env", $"CONTAINERS_CONF={ConfigFile}", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            Executable, "--root", Root, "--runroot", RunRoot, "--tmpdir", TmpDir, .. arguments];
        if (networkNamespace is not null)
            command = ["nsenter", $"--net={networkNamespace}", "--", .. command];
        return Lab.RunAsync(command[0], [.. command[1..]]);
    }

    /// <summary>
    /// Starts the state service as a container of <paramref name="tenant"/> in a lab host's network namespace, labelled as
    /// the agent finds it; returns its id once it listens.
    /// </summary>
    public async Task<string> StartStateServiceAsync(string networkNamespace, string service, string tenant, int port, long bytes, int dirtyPagesPerSecond)
    {
        var id = (await RunInAsync(networkNamespace, "run", "-d", "--network", "host", "--name", $"{service}.{tenant}",
            "--label", $"io.edgeportal.tenant={tenant}", "--label", $"io.edgeportal.service={service}", Image,
            "/stateservice", port.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture),
            dirtyPagesPerSecond.ToString(CultureInfo.InvariantCulture))).Trim();
        for (var i = 0; i < 200; i++)
        {
            var logs = await RunAsync("logs", id);
            if (logs.Contains($"listening {port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal))
                return id;
            await Task.Delay(25);
        }
        Assert.Fail($"The state service container {id} did not listen on {port}: {await RunAsync("logs", id)}");
        return id;
    }

    /// <summary>
    /// Starts the message service (msgservice.c: <paramref name="arguments"/> as it takes them) as a container of
    /// <paramref name="tenant"/> in a lab host's network namespace, labelled as the agent finds it; returns its id once it
    /// consumes <paramref name="queue"/>.
    /// </summary>
    public async Task<string> StartMessageServiceAsync(string networkNamespace, string service, string tenant, string queue, params string[] arguments)
    {
        var id = (await RunInAsync(networkNamespace, ["run", "-d", "--network", "host", "--name", $"{service}.{tenant}",
            "--label", $"io.edgeportal.tenant={tenant}", "--label", $"io.edgeportal.service={service}", Image, "/msgservice", .. arguments])).Trim();
        for (var i = 0; i < 400; i++)
        {
            var logs = await RunAsync("logs", id);
            if (logs.Contains($"consuming {queue}", StringComparison.Ordinal))
                return id;
            if (logs.Contains("cannot connect", StringComparison.Ordinal))
                break;
            await Task.Delay(25);
        }
        Assert.Fail($"The message service container {id} does not consume {queue}: {await RunAsync("logs", id)}");
        return id;
    }

    /// <summary>Container <paramref name="idOrName"/>: running, its init's PID and its start time; null when there is none.</summary>
    public async Task<(bool Running, int Pid, string StartedAt)?> StateAsync(string idOrName)
    {
        try
        {
            var state = (await RunAsync("container", "inspect", "--format", "{{.State.Running}} {{.State.Pid}} {{.State.StartedAt}}", idOrName)).Trim().Split(' ', 3);
            return (state[0] == "true", int.Parse(state[1], CultureInfo.InvariantCulture), state[2]);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether process <paramref name="pid"/> runs in the network namespace <paramref name="networkNamespace"/> (a lab host's).</summary>
    public static async Task<bool> RunsInAsync(int pid, string networkNamespace)
    {
        var target = new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/net").LinkTarget;
        var inode = (await Lab.RunAsync("stat", ["-L", "-c", "%i", networkNamespace])).Trim();
        return target == $"net:[{inode}]";
    }

    /// <summary>Removes every container of the lab's storage and the storage (clean-up; errors are not the test's outcome).</summary>
    public async Task StopAsync()
    {
        try
        {
            // Never podman system reset: it would clear more than this storage.
            await RunAsync("rm", "--all", "--force", "--time", "1");
            await RunAsync("rmi", "--all", "--force");
        }
        catch (InvalidOperationException)
        {
            // Nothing left to remove, or Podman's own error: the folder goes anyway.
        }
        // The storage keeps its overlay folder mounted on itself: unmounted (deepest first) so that the folder can go. Lazily:
        // a container's conmon or runc still exiting can hold a mount busy for a moment, and a plain umount then fails.
        var root = Path.Combine(_folder, "podman") + "/";
        foreach (var mount in File.ReadLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(root, StringComparison.Ordinal))
            .OrderByDescending(m => m.Length))
        {
            try
            {
                await Lab.RunAsync("umount", ["--lazy", mount]);
            }
            catch (InvalidOperationException)
            {
                // Gone already with the one above it.
            }
        }
    }
}
