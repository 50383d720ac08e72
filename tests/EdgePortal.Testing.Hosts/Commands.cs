using System.Diagnostics;

namespace EdgePortal.Testing.Hosts;

/// <summary>Runs a short command to its end and returns its output, or throws with what it printed.</summary>
internal static class Commands
{
    public static bool IsRoot => Environment.UserName == "root";

    public static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s.");
        }
        var text = await output + await error;
        return process.ExitCode == 0 ? text : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{text}");
    }

    /// <summary>As the given system user when this process is root (PostgreSQL refuses to run as root), else as this user.</summary>
    public static Task<string> RunAsAsync(string user, string file, IReadOnlyList<string> arguments, TimeSpan timeout)
        => IsRoot ? RunAsync("runuser", ["-u", user, "--", file, .. arguments], timeout) : RunAsync(file, arguments, timeout);

    /// <summary>Kills a child process (its whole tree) at once; nothing when it has exited already.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }
    }

    /// <summary>Kills a child process, waits (10 s at most) for it to be gone, and deletes the folder it worked in.</summary>
    public static async ValueTask StopAsync(Process process, string folder)
    {
        Kill(process);
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try { await process.WaitForExitAsync(wait.Token); }
            catch (OperationCanceledException) { }
        }
        process.Dispose();
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
