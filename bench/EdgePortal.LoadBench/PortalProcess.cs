using System.Diagnostics;
using System.Globalization;

namespace EdgePortal.LoadBench;

/// <summary>
/// The real portal as a separate process (<c>dotnet EdgePortal.Web.dll</c>, so the PID is the portal itself), its
/// output in a log file, and its resident memory and CPU time sampled from /proc. Killed by PID when disposed.
/// </summary>
internal sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _stdout;
    private readonly Task _stderr;

    private PortalProcess(Process process, StreamWriter log, Uri url, string logPath)
    {
        _process = process;
        Url = url;
        LogPath = logPath;
        Pid = process.Id;
        _log = log;
        _stdout = Pump(process.StandardOutput);
        _stderr = Pump(process.StandardError);
    }

    public int Pid { get; }
    /// <summary>Where this process listens (a replica's own address, not the front's).</summary>
    public Uri Url { get; }
    public string LogPath { get; }
    public bool HasExited => _process.HasExited;

    public static PortalProcess Start(string dll, Uri url, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> environment,
        string logPath)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            // The content root is the working directory: the build output, where appsettings.json (log levels) lives.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url.ToString().TrimEnd('/'));
        foreach (var (key, value) in settings)
            info.ArgumentList.Add($"--{key}={value}");
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        log.WriteLine($"# {string.Join(' ', environment.Select(e => $"{e.Key}={e.Value}"))} dotnet {string.Join(' ', info.ArgumentList)}");
        return new PortalProcess(process, log, url, logPath);
    }

    /// <summary>Waits until /readyz answers 200 (the database is open), or throws with the log's path.</summary>
    public async Task WaitReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The portal exited with code {_process.ExitCode} before it was ready.");
            try
            {
                using var response = await http.GetAsync("/readyz", cancellationToken);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException($"The portal was not ready within {timeout.TotalSeconds:0} s.");
    }

    /// <summary>One /proc reading: resident set (VmRSS), its high-water mark (VmHWM), both KiB, and CPU time (user + system).</summary>
    public ProcSample? Sample()
    {
        try
        {
            long rss = 0, hwm = 0, threads = 0;
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = Kib(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    hwm = Kib(line);
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    threads = Kib(line);
            }
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 of stat (utime, stime), counted from after the command name: indexes 11 and 12.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return new ProcSample(rss, hwm, ticks / (double)ClockTicksPerSecond, (int)threads,
                System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
        }
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
        await _log.DisposeAsync();
        _process.Dispose();
    }

    /// <summary>Kills the portal from a process-exit or Ctrl+C handler, where nothing can be awaited.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private const int ClockTicksPerSecond = 100;

    /// <summary>The number in a /proc status line ("VmRSS:\t  123 kB", "Threads:\t28").</summary>
    private static long Kib(string line)
        => long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private async Task Pump(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_log)
                _log.WriteLine(line);
        }
    }
}

/// <param name="RssKib">VmRSS.</param>
/// <param name="HwmKib">VmHWM: the peak resident set since the process started.</param>
/// <param name="CpuSeconds">User plus system CPU time so far.</param>
/// <param name="Threads">The portal's OS threads (thread-pool growth shows here).</param>
/// <param name="BenchCpuSeconds">The load generator's own CPU time so far (it shares the cores).</param>
internal sealed record ProcSample(long RssKib, long HwmKib, double CpuSeconds, int Threads, double BenchCpuSeconds);
