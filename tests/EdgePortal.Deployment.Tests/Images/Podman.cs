using EdgePortal.Agent.Criu;

namespace EdgePortal.Deployment.Tests.Images;

/// <summary>
/// Podman as these tests drive it: the machine's rootful Podman with the repository's tools/podman/containers.conf
/// (CONTAINERS_CONF, set once for this test process and the commands it starts), never the machine's own configuration.
/// </summary>
internal static class Podman
{
    public const string Executable = "/usr/bin/podman";

    private static readonly Lazy<string> ConfigFile = new(() =>
    {
        var file = RepositoryRoot.File("tools", "podman", "containers.conf");
        Environment.SetEnvironmentVariable("CONTAINERS_CONF", file);
        return file;
    });

    /// <summary>Fails the calling test with the reason when this machine cannot run the image tests.</summary>
    public static void EnsureUsable()
    {
        if (!Environment.IsPrivilegedProcess)
            Assert.Fail("SKIPPED (reported as a failure on purpose): the image tests build and run containers with rootful Podman and need root. Run ./test.sh as root, as CI does.");
        foreach (var tool in new[] { Executable, "/usr/bin/buildah", "/usr/bin/mmdebstrap" })
            Assert.True(File.Exists(tool), $"{tool} is missing: ./test.sh installs podman, buildah and mmdebstrap (as root).");
        _ = ConfigFile.Value;
    }

    /// <summary>Runs <c>podman</c> with <paramref name="arguments"/>; the command is killed after <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        _ = ConfigFile.Value;
        using var cancellation = new CancellationTokenSource(timeout);
        return await CommandRunner.RunAsync(Executable, arguments, cancellation.Token);
    }

    /// <summary>Runs <c>podman</c> and fails the test, with what Podman said, unless it exits 0; returns its standard output.</summary>
    public static async Task<string> RunCheckedAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var list = arguments.ToList();
        var result = await RunAsync(list, timeout);
        Assert.True(result.ExitCode == 0, $"podman {string.Join(' ', list)} exited {result.ExitCode}:\n{Tail(result.Output, 60)}");
        return result.StandardOutput;
    }

    /// <summary>Runs a command inside a running container; fails the test unless it exits 0.</summary>
    public static Task<string> ExecAsync(string container, params string[] command)
        => RunCheckedAsync(["exec", container, .. command], TimeSpan.FromMinutes(1));

    /// <summary>Removes a container whatever its state (clean-up; errors are not the test's outcome).</summary>
    public static Task RemoveAsync(string container) => RunAsync(["rm", "--force", "--ignore", "--time", "5", container], TimeSpan.FromMinutes(1));

    /// <summary>
    /// Polls <paramref name="path"/> until it answers 2xx and returns the body; fails at once, with the container's log,
    /// when <paramref name="container"/> stops, or when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<string> WaitForAnswerAsync(HttpClient client, string path, string container, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(path);
                if (response.IsSuccessStatusCode)
                    return await response.Content.ReadAsStringAsync();
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            var running = await RunAsync(["inspect", "--format", "{{.State.Running}}", container], TimeSpan.FromSeconds(30));
            if (running.StandardOutput.Trim() != "true")
            {
                last = $"the container stopped ({last})";
                break;
            }
            await Task.Delay(50);
        }
        var logs = await RunAsync(["logs", container], TimeSpan.FromSeconds(30));
        Assert.Fail($"{container} did not answer {path} within {timeout.TotalSeconds} s (last: {last}):\n{Tail(logs.Output, 40)}");
        return "";
    }

    /// <summary>The last <paramref name="lines"/> lines of a command's output, where build and run failures say why.</summary>
    public static string Tail(string output, int lines) => string.Join('\n', output.Split('\n').TakeLast(lines));

    /// <summary>A container name no other test run on this machine uses at the same time.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
}
