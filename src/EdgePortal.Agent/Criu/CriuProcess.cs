using System.Diagnostics;
using System.Text;

namespace EdgePortal.Agent.Criu;

/// <summary>The outcome of one external command: its exit code and what it printed, as it printed it.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan WallClock)
{
    public string Output => string.IsNullOrEmpty(StandardError) ? StandardOutput : StandardOutput + StandardError;
}

/// <summary>Runs an external command to completion with its output captured; the caller's cancellation kills it.</summary>
internal static class CommandRunner
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(127, "", $"{file}: {e.Message}", stopwatch.Elapsed);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        // WaitForExitAsync returns after the output streams reached EOF.
        return new CommandResult(process.ExitCode, stdout.ToString(), stderr.ToString(), stopwatch.Elapsed);
    }
}
