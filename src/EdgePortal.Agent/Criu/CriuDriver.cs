using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Criu;

/// <summary>A dump of the process tree rooted at <paramref name="Pid"/> into <paramref name="ImagesDirectory"/>.</summary>
/// <param name="NetworkNamespace">The process's network namespace (a path such as /run/netns/X); CRIU runs inside it (nsenter --net).</param>
/// <param name="LeaveRunning">Keep the process running after the dump (a checkpoint, not a migration).</param>
/// <param name="ReleaseAddress">
/// An address (CIDR) to remove from <paramref name="ReleaseDevice"/> after a dump that ends the process and before CRIU's
/// network lock is lifted: a client's retransmission reaching the source between the two would find the address but no
/// socket, and the kernel would reset the connection the migration is carrying.
/// </param>
/// <param name="TcpClose">
/// Dump established TCP connections as closed (<c>--tcp-close</c> instead of <c>--tcp-established</c>): the running process
/// keeps them untouched, and a copy restored from these images (which must be restored with <c>--tcp-close</c> as well)
/// finds them closed and reconnects, instead of fighting the original over them (MS2M: the source keeps its broker link).
/// </param>
/// <param name="PageServer">
/// Send the pages to this <c>criu page-server</c> (on the destination) while dumping, instead of writing them here; the
/// other images are written to <paramref name="ImagesDirectory"/> as usual.
/// </param>
/// <param name="PreDump">
/// A pre-dump round (<c>criu pre-dump --track-mem</c>): the memory only, written while the process runs on; it needs
/// soft-dirty tracking so that the next round (or the final dump) writes only the pages dirtied since.
/// </param>
/// <param name="PreviousImages">
/// The images of the previous pre-dump round, relative to <paramref name="ImagesDirectory"/> (CRIU's
/// <c>--prev-images-dir</c>, also passed with <c>--track-mem</c>): CRIU links them as <c>parent</c> and writes only the pages
/// dirtied since; the restore follows the link, so the layout must travel as it is.
/// </param>
public sealed record CriuDumpRequest(int Pid, string ImagesDirectory, string? NetworkNamespace = null, bool LeaveRunning = false,
    string? ReleaseAddress = null, string ReleaseDevice = "eth0", bool TcpClose = false, CriuPageServerEndpoint? PageServer = null,
    bool PreDump = false, string? PreviousImages = null);

/// <summary>Where a <c>criu page-server</c> listens: an address of its host and the port CRIU bound.</summary>
public sealed record CriuPageServerEndpoint(string Address, int Port)
{
    public override string ToString() => $"{Address}:{Port.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A restore of the images in <paramref name="ImagesDirectory"/>, in the given network namespace and a fresh PID namespace.</summary>
/// <param name="TcpClose">The images were dumped with <c>--tcp-close</c>: restore their TCP connections closed.</param>
/// <param name="LazyPages">
/// Restore without the memory (<c>--lazy-pages</c>): a <c>criu lazy-pages</c> daemon waiting on the images directory's
/// socket fills it in as the process faults (post-copy).
/// </param>
public sealed record CriuRestoreRequest(string ImagesDirectory, string? NetworkNamespace = null, bool TcpClose = false, bool LazyPages = false);

/// <summary>How a CRIU operation ended; failures carry CRIU's own error lines and the log to read.</summary>
public abstract record CriuOutcome
{
    private CriuOutcome(TimeSpan wallClock, string logPath)
    {
        WallClock = wallClock;
        LogPath = logPath;
    }

    /// <summary>The operation as the agent saw it: from starting criu to criu's exit (restore: to the restored tree running).</summary>
    public TimeSpan WallClock { get; }

    /// <summary>CRIU's -v4 log.</summary>
    public string LogPath { get; }

    public sealed record Dumped(CriuDumpStats? Stats, TimeSpan Wall, string Log) : CriuOutcome(Wall, Log);

    public sealed record Restored(RestoredTree Tree, CriuRestoreStats? Stats, TimeSpan Wall, string Log) : CriuOutcome(Wall, Log);

    public sealed record Failed(string Reason, TimeSpan Wall, string Log) : CriuOutcome(Wall, Log);
}

/// <summary>
/// Drives the real <c>criu</c> binary. Dumps with <c>--tcp-established --network-lock nftables</c> (the default iptables lock
/// needs <c>iptables-restore</c>, missing here), never <c>--shell-job</c> (workloads run with setsid and no terminal), with a
/// <c>-v4</c> log in the images directory; restores detached into a fresh PID namespace (<c>unshare -p -f --mount-proc</c>)
/// so the dumped PIDs are always free. Timings come from CRIU's own stats images beside the wall clock.
/// </summary>
public sealed partial class CriuDriver(string criuPath = CriuDriver.DefaultPath)
{
    public const string DefaultPath = "/usr/local/sbin/criu";
    public const string DumpLog = "dump.log";
    public const string PreDumpLog = "pre-dump.log";
    public const string RestoreLog = "restore.log";
    public const string PageServerLog = "page-server.log";
    private const string RestoreExitMarker = "edgeportal-criu-restore-exit ";
    private const string DumpExitMarker = "edgeportal-criu-dump-exit ";

    public string CriuPath { get; } = criuPath;

    public async Task<CriuCapabilities> ProbeAsync(CancellationToken cancellationToken)
    {
        var version = await CommandRunner.RunAsync(CriuPath, ["--version"], cancellationToken).ConfigureAwait(false);
        if (version.ExitCode != 0)
            return new CriuCapabilities("", false, false, false, [], $"{CriuPath} --version failed ({version.ExitCode}): {version.Output.Trim()}");
        var number = VersionLine().Match(version.Output) is { Success: true } m ? m.Groups[1].Value : version.Output.Trim();
        var basic = await CommandRunner.RunAsync(CriuPath, ["check"], cancellationToken).ConfigureAwait(false);
        var all = await CommandRunner.RunAsync(CriuPath, ["check", "--all"], cancellationToken).ConfigureAwait(false);
        var dirty = await CommandRunner.RunAsync(CriuPath, ["check", "--feature", "mem_dirty_track"], cancellationToken).ConfigureAwait(false);
        var tcp = await CommandRunner.RunAsync(CriuPath, ["check", "--feature", "tcp_half_closed"], cancellationToken).ConfigureAwait(false);
        var usable = basic.ExitCode == 0 && basic.Output.Contains("Looks good", StringComparison.Ordinal);
        var dirtyOff = all.Output.Contains("Dirty tracking is OFF", StringComparison.Ordinal) || dirty.ExitCode != 0;
        var tcpRepair = usable && !basic.Output.Contains("TCP", StringComparison.Ordinal) && tcp.ExitCode == 0;
        var warnings = all.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("Warn", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal)).ToList();
        var uffd = await CommandRunner.RunAsync(CriuPath, ["check", "--feature", "uffd-noncoop"], cancellationToken).ConfigureAwait(false);
        var pipeMax = ReadPipeMaxSize();
        var (lazy, lazyDetail) = LazyPages(usable, uffd.ExitCode == 0, pipeMax, HasCapSysResource());
        var report = $"criu check: {basic.Output.Trim()}\ncriu check --all: {all.Output.Trim()}\nmem_dirty_track: {dirty.Output.Trim()}\ntcp_half_closed: {tcp.Output.Trim()}"
            + $"\nuffd-noncoop: {uffd.Output.Trim()}\nfs.pipe-max-size: {pipeMax?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unreadable"}";
        return new CriuCapabilities(number, usable, !dirtyOff, tcpRepair, warnings, report, lazy, uffd.ExitCode == 0, pipeMax, lazyDetail);
    }

    /// <summary>The <c>fs.pipe-max-size</c> CRIU's lazy page server needs when root lacks CAP_SYS_RESOURCE (256 MiB; the default 1 MiB fails).</summary>
    public const long LazyPagesPipeMaxSize = 268_435_456;

    /// <summary>
    /// Whether post-copy can run: CRIU usable, userfaultfd (<c>uffd-noncoop</c>), and page pipes that can grow (CAP_SYS_RESOURCE,
    /// or <c>fs.pipe-max-size</c> ≥ <see cref="LazyPagesPipeMaxSize"/>), with the reason in words.
    /// </summary>
    public static (bool LazyPages, string Detail) LazyPages(bool usable, bool uffd, long? pipeMaxSize, bool capSysResource)
    {
        if (!usable)
            return (false, "criu check fails");
        if (!uffd)
            return (false, "no userfaultfd (criu check --feature uffd-noncoop fails)");
        if (capSysResource)
            return (true, "userfaultfd; CAP_SYS_RESOURCE lets CRIU grow its page pipes");
        if (pipeMaxSize is not { } size)
            return (false, "userfaultfd, but fs.pipe-max-size is unreadable");
        var sizeText = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return size >= LazyPagesPipeMaxSize
            ? (true, $"userfaultfd; fs.pipe-max-size {sizeText}")
            : (false, $"userfaultfd, but fs.pipe-max-size is {sizeText} and root lacks CAP_SYS_RESOURCE: the first page request would fail; "
                + $"sysctl -w fs.pipe-max-size={LazyPagesPipeMaxSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static long? ReadPipeMaxSize()
    {
        try
        {
            return long.TryParse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Bit 24 (CAP_SYS_RESOURCE) of the agent's effective capabilities in /proc/self/status.</summary>
    private static bool HasCapSysResource()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapEff:", StringComparison.Ordinal)
                    && ulong.TryParse(line["CapEff:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var caps))
                    return (caps & (1UL << 24)) != 0;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return false;
    }

    /// <summary>
    /// Dumps the tree rooted at <see cref="CriuDumpRequest.Pid"/> (a PID as the agent sees it). A process in a PID namespace of
    /// its own (a tree this agent restored: its namespace's init is the shell that became <c>sleep infinity</c>) is dumped
    /// from inside that PID and mount namespace (<c>nsenter --target pid --pid --mount</c>) by the PID it has there: CRIU
    /// dumps a tree of its own PID namespace, and the restore gives it that PID again in a fresh namespace.
    /// <para>
    /// With a page server the pages go to the destination while the process is frozen. CRIU corks its page-server socket
    /// (TCP_CORK) and never uncorks it before it waits for the server's final answer, so the last partial segment waits out
    /// the kernel's 200 ms cork timer inside the downtime (measured: dump 330 ms instead of 125 ms for 10 MB). The dump gets
    /// the connection as a Unix socket instead (<c>--ps-socket</c>, where corking does not apply) from socat, which relays it
    /// to the page server over TCP with TCP_NODELAY.
    /// </para>
    /// </summary>
    public async Task<CriuOutcome> DumpAsync(CriuDumpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await LockTablesDeletedAsync().ConfigureAwait(false);
        Directory.CreateDirectory(request.ImagesDirectory);
        var log = Path.Combine(request.ImagesDirectory, request.PreDump ? PreDumpLog : DumpLog);
        var (pid, nested) = PidInItsNamespace(request.Pid);
        List<string> criu = request.PreDump
            ? [CriuPath, "pre-dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", request.ImagesDirectory, "-o", PreDumpLog, "-v4", "--track-mem"]
            :
            [
                CriuPath, "dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", request.ImagesDirectory,
                "-o", DumpLog, "-v4", request.TcpClose ? "--tcp-close" : "--tcp-established", "--network-lock", "nftables",
            ];
        if (request.PreviousImages is { } previous)
        {
            if (!request.PreDump)
                criu.Add("--track-mem");
            criu.AddRange(["--prev-images-dir", previous]);
        }
        if (request.LeaveRunning && !request.PreDump)
            criu.Add("--leave-running");
        if (nested)
            criu = ["nsenter", $"--target={request.Pid.ToString(CultureInfo.InvariantCulture)}", "--pid", "--mount", "--", .. criu];
        if (request.PageServer is { } server)
        {
            criu.AddRange(["--page-server", "--ps-socket", "3"]);
            if (criu.FirstOrDefault(a => !SocatSafe().IsMatch(a)) is { } unsafeArgument)
                return new CriuOutcome.Failed($"cannot dump to a page server: '{unsafeArgument}' cannot be passed through socat (letters, digits and _ . / = + - only)", TimeSpan.Zero, log);
            // socat signals its child when the connection ends, which is before CRIU has finished (it still kills the tree,
            // unlocks and writes its stats): the shell and CRIU ignore SIGTERM, and the shell reports CRIU's exit code on the
            // stdout they share with socat, which this agent reads to its end, so the dump is waited for whole.
            criu = ["socat", $"TCP:{server.Address}:{server.Port.ToString(CultureInfo.InvariantCulture)},nodelay",
                $"SYSTEM:trap '' TERM; {string.Join(' ', criu)}; echo {DumpExitMarker}$?,fdin=3,fdout=3"];
        }
        var (file, arguments) = InNamespace(request.NetworkNamespace, criu);
        var result = await CommandRunner.RunAsync(file, arguments, cancellationToken).ConfigureAwait(false);
        if (request.PageServer is not null)
        {
            var exit = result.StandardOutput.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(DumpExitMarker, StringComparison.Ordinal)) is { } marker
                && int.TryParse(marker[DumpExitMarker.Length..], CultureInfo.InvariantCulture, out var code) ? code : (int?)null;
            var output = string.Join('\n', result.Output.Split('\n').Where(l => !l.StartsWith(DumpExitMarker, StringComparison.Ordinal)));
            // socat's own failure (the page server unreachable) comes without CRIU ever running.
            if (exit is null)
                return new CriuOutcome.Failed($"criu dump to the page server {request.PageServer} did not run to its end (socat exit {result.ExitCode}): {(output.Trim().Length > 0 ? output.Trim() : "no output")}{(result.ExitCode == 127 ? " (the page-server path needs socat: Debian package socat)" : "")} (log: {log})", result.WallClock, log);
            result = result with { ExitCode = exit.Value, StandardOutput = output, StandardError = "" };
        }
        if (result.ExitCode != 0)
            return new CriuOutcome.Failed(Describe(request.PreDump ? "pre-dump" : request.PageServer is null ? "dump" : $"dump to the page server {request.PageServer}", result, log), result.WallClock, log);
        if (request.PreDump)
            return new CriuOutcome.Dumped(CriuStatsReader.ReadDump(Path.Combine(request.ImagesDirectory, "stats-dump")), result.WallClock, log);
        // A dump that ends the process leaves CRIU's nftables lock table (inet CRIU-<pid>) in the source namespace.
        if (!request.LeaveRunning)
        {
            if (request.ReleaseAddress is { Length: > 0 } address)
            {
                var (f, a) = InNamespace(request.NetworkNamespace, ["ip", "addr", "del", address, "dev", request.ReleaseDevice]);
                var released = await CommandRunner.RunAsync(f, a, cancellationToken).ConfigureAwait(false);
                if (released.ExitCode != 0 && !released.Output.Contains("Cannot assign requested address", StringComparison.Ordinal))
                    return new CriuOutcome.Failed($"the dump succeeded but ip addr del {address} dev {request.ReleaseDevice} failed ({released.ExitCode}): {released.Output.Trim()}; CRIU's network lock stays in place", result.WallClock, log);
            }
            // Off the downtime path (issue 18 item 5: two nft calls, 20-60 ms on a loaded host, before the images could move):
            // once the address is gone, clients' packets find nothing to reach on this host with or without the lock table.
            // The next dump or restore of this agent waits for the deletion.
            lock (_lockTablesGate)
                _lockTables = DeleteLockTablesAfterAsync(_lockTables, request.NetworkNamespace);
        }
        return new CriuOutcome.Dumped(CriuStatsReader.ReadDump(Path.Combine(request.ImagesDirectory, "stats-dump")), result.WallClock, log);
    }

    /// <summary>
    /// The PID a process has in its own PID namespace (the last field of <c>NSpid</c> in /proc/pid/status), and whether that
    /// namespace is nested below the agent's; the PID itself and false when /proc does not say.
    /// </summary>
    public static (int Pid, bool Nested) PidInItsNamespace(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (!line.StartsWith("NSpid:", StringComparison.Ordinal))
                    continue;
                var pids = line["NSpid:".Length..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return pids.Length > 1 && int.TryParse(pids[^1], CultureInfo.InvariantCulture, out var inner) ? (inner, true) : (pid, false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone: CRIU will say so.
        }
        return (pid, false);
    }

    /// <summary>
    /// Starts <c>criu page-server</c> in the host's network namespace, listening on <paramref name="address"/> at a port the
    /// kernel picks, writing what it receives into <paramref name="imagesDirectory"/>; returns once it listens. It serves
    /// one dump and exits; <see cref="CriuPageServer.Finished"/> says how that went.
    /// </summary>
    public async Task<CriuPageServer> StartPageServerAsync(string imagesDirectory, string? networkNamespace, string address, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(imagesDirectory);
        var log = Path.Combine(imagesDirectory, PageServerLog);
        // -o - : CRIU logs to its stdout, read here for the port it bound ("Using N port") and copied into the log file.
        var (file, arguments) = InNamespace(networkNamespace, [CriuPath, "page-server", "-D", imagesDirectory, "--address", address, "-o", "-", "-v4"]);
        return await StartServingAsync(file, arguments, address, log, "criu page-server", CriuPageServer.UsingPortLine, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a CRIU process at one end of a page stream (<see cref="CriuPageServer"/>) and returns once a line of its log
    /// says it is ready (<paramref name="ready"/>), within <paramref name="limit"/> when one is given; disposes it and fails
    /// with its own words when it exits before.
    /// </summary>
    private static async Task<CriuPageServer> StartServingAsync(string file, List<string> arguments, string address, string log, string what,
        Func<string, int?> ready, TimeSpan? limit, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        process.StandardInput.Close();
        var server = new CriuPageServer(process, address, log, what, ready);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (limit is { } l)
            bounded.CancelAfter(l);
        try
        {
            await server.Listening.WaitAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
                throw;
            throw new CriuPageServerException($"{what} on {address} was not ready within {limit?.TotalSeconds:0} s (log: {log})");
        }
        catch (CriuPageServerException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>
    /// Restores detached in a fresh PID namespace whose init is a shell that waits for criu and then sleeps as the
    /// namespace's PID 1 (criu itself must not be PID 1: the namespace would die when it exits). The returned tree owns the
    /// <c>unshare --kill-child</c> holder: disposing it kills the whole namespace.
    /// </summary>
    public async Task<CriuOutcome> RestoreAsync(CriuRestoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await LockTablesDeletedAsync().ConfigureAwait(false);
        var log = Path.Combine(request.ImagesDirectory, RestoreLog);
        var pidFile = Path.Combine(request.ImagesDirectory, "restored.pid");
        File.Delete(pidFile);
        const string script = "\"$@\"; rc=$?; echo \"" + RestoreExitMarker + "$rc\"; if [ $rc -eq 0 ]; then exec sleep infinity; fi; exit $rc";
        List<string> inner =
        [
            "unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--", "/bin/sh", "-c", script, "sh",
            CriuPath, "restore", "-D", request.ImagesDirectory, "-o", RestoreLog, "-v4", request.TcpClose ? "--tcp-close" : "--tcp-established",
            "--network-lock", "nftables", "--restore-detached", "--pidfile", pidFile,
        ];
        if (request.LazyPages)
            inner.Add("--lazy-pages");
        var (file, arguments) = InNamespace(request.NetworkNamespace, inner);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        var stopwatch = Stopwatch.StartNew();
        var holder = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        holder.StandardInput.Close();
        var stderr = holder.StandardError.ReadToEndAsync(cancellationToken);
        int? exit = null;
        try
        {
            while (await holder.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith(RestoreExitMarker, StringComparison.Ordinal))
                {
                    exit = int.Parse(line[RestoreExitMarker.Length..], CultureInfo.InvariantCulture);
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            holder.Kill(entireProcessTree: true);
            holder.Dispose();
            throw;
        }
        var wall = stopwatch.Elapsed;
        if (exit != 0)
        {
            await holder.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            var result = new CommandResult(exit ?? holder.ExitCode, "", error, wall);
            holder.Dispose();
            return new CriuOutcome.Failed(Describe("restore", result, log), wall, log);
        }
        var pid = File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var p) ? p : 0;
        var stats = CriuStatsReader.ReadRestore(Path.Combine(request.ImagesDirectory, "stats-restore"));
        return new CriuOutcome.Restored(new RestoredTree(holder, pid), stats, wall, log);
    }

    private readonly Lock _lockTablesGate = new();
    private Task _lockTables = Task.CompletedTask;

    /// <summary>Waits for the lock tables of the last dumps to be deleted (their deletion never fails the caller).</summary>
    private Task LockTablesDeletedAsync()
    {
        lock (_lockTablesGate)
            return _lockTables;
    }

    private static async Task DeleteLockTablesAfterAsync(Task before, string? networkNamespace)
    {
        await before.ConfigureAwait(false);
        try
        {
            await DeleteLockTablesAsync(networkNamespace, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            // nft could not run: the table stays, as a failed deletion always left it; the next dump's deletion tries again.
        }
    }

    private static async Task DeleteLockTablesAsync(string? networkNamespace, CancellationToken cancellationToken)
    {
        var (file, arguments) = InNamespace(networkNamespace, ["nft", "list", "tables"]);
        var tables = await CommandRunner.RunAsync(file, arguments, cancellationToken).ConfigureAwait(false);
        foreach (Match m in LockTable().Matches(tables.StandardOutput))
        {
            var (f, a) = InNamespace(networkNamespace, ["nft", "delete", "table", "inet", m.Groups[1].Value]);
            await CommandRunner.RunAsync(f, a, cancellationToken).ConfigureAwait(false);
        }
    }

    private static (string File, List<string> Arguments) InNamespace(string? networkNamespace, List<string> command) =>
        networkNamespace is null
            ? (command[0], command[1..])
            : ("nsenter", [$"--net={networkNamespace}", "--", .. command]);

    /// <summary>CRIU's own error lines (from its output and its log), the exit code and where the full log is.</summary>
    internal static string Describe(string operation, CommandResult result, string log)
    {
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (File.Exists(log))
            lines.AddRange(File.ReadLines(log).Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.Contains("Error (", StringComparison.Ordinal)).TakeLast(8));
        var text = string.Join("\n", lines.Distinct().TakeLast(12));
        return $"criu {operation} failed (exit {result.ExitCode}): {(text.Length > 0 ? text : "no output")} (log: {log})";
    }

    [GeneratedRegex(@"Version:\s*(\S+)")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"table inet (CRIU-\S+)")]
    private static partial Regex LockTable();

    [GeneratedRegex(@"^[A-Za-z0-9_./=+-]+$")]
    private static partial Regex SocatSafe();
}

/// <summary>A restored process tree in its own PID namespace, held by an <c>unshare --kill-child</c> process.</summary>
public sealed class RestoredTree(Process holder, int pidInNamespace) : IAsyncDisposable
{
    /// <summary>The restored root's PID inside its PID namespace (the PID it had when dumped).</summary>
    public int Pid { get; } = pidInNamespace;

    /// <summary>The holder's PID in the agent's namespace; killing it kills the namespace and everything in it.</summary>
    public int HolderPid => holder.Id;

    public bool IsRunning => !holder.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!holder.HasExited)
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().ConfigureAwait(false);
        }
        holder.Dispose();
    }
}

/// <summary>A page server could not be started, with CRIU's (or nsenter's) own words.</summary>
public sealed class CriuPageServerException(string message) : Exception(message);

/// <summary>
/// A running CRIU process at one end of a page stream: <c>criu page-server</c> (receives the pages of one dump into its
/// images directory), <c>criu dump --lazy-pages</c> (serves a frozen process's pages until the destination has them all) or
/// <c>criu lazy-pages</c> (fetches them into a lazily restored process). It exits when the stream ends. Disposing it kills
/// it (a dump that never came, a migration rolled back).
/// </summary>
public sealed partial class CriuPageServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<string?> _finished;

    private readonly string _what;
    private readonly Func<string, int?> _ready;

    /// <summary>The port in CRIU's "Using N port" line (a server it bound at a port the kernel picked); null for other lines.</summary>
    internal static int? UsingPortLine(string line) =>
        UsingPort().Match(line) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    /// <param name="what">The operation in failure messages ("criu dump --lazy-pages").</param>
    /// <param name="ready">The port it serves at once a line of its log says it is ready; null for other lines.</param>
    internal CriuPageServer(Process process, string address, string logPath, string what, Func<string, int?> ready)
    {
        _process = process;
        _what = what;
        _ready = ready;
        Address = address;
        LogPath = logPath;
        _finished = RunAsync();
    }

    /// <summary>The CRIU process's PID in the agent's namespace (or that of the nsenter running it).</summary>
    public int Pid => _process.Id;

    /// <summary>When it exited (UTC); null while it runs.</summary>
    public DateTimeOffset? ExitedAt { get; private set; }

    /// <summary>Whether it still runs.</summary>
    public bool Running => !_finished.IsCompleted;

    public string Address { get; }

    public string LogPath { get; }

    /// <summary>The port CRIU bound once it listens; fails with CRIU's words when it exits before.</summary>
    public Task<int> Listening => _port.Task;

    public CriuPageServerEndpoint Endpoint => new(Address, _port.Task.IsCompletedSuccessfully ? _port.Task.Result : 0);

    /// <summary>Completes when the page server exited: null when it received a whole dump, else why not.</summary>
    public Task<string?> Finished => _finished;

    private async Task<string?> RunAsync()
    {
        var errors = new List<string>();
        var stderr = _process.StandardError.ReadToEndAsync(CancellationToken.None);
        await using (var log = new StreamWriter(LogPath, append: false))
        {
            while (await _process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                await log.WriteLineAsync(line).ConfigureAwait(false);
                if (line.Contains("Error", StringComparison.Ordinal))
                    errors.Add(line.Trim());
                if (!_port.Task.IsCompleted && _ready(line) is { } port)
                {
                    await log.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    _port.TrySetResult(port);
                }
            }
        }
        await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        ExitedAt = DateTimeOffset.UtcNow;
        var error = (await stderr.ConfigureAwait(false)).Trim();
        if (error.Length > 0)
            errors.Add(error);
        var reason = _process.ExitCode == 0
            ? null
            : $"{_what} on {Address} failed (exit {_process.ExitCode}): {(errors.Count > 0 ? string.Join("\n", errors.TakeLast(8)) : "no output")} (log: {LogPath})";
        _port.TrySetException(new CriuPageServerException(reason ?? $"{_what} on {Address} exited before it was ready (log: {LogPath})"));
        return reason;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        await _finished.ConfigureAwait(false);
        _process.Dispose();
    }

    [GeneratedRegex(@"Using (\d+) port")]
    private static partial Regex UsingPort();
}
