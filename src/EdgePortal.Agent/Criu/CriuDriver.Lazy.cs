using System.Globalization;

namespace EdgePortal.Agent.Criu;

/// <summary>Post-copy: the source's lazy dump and the destination's lazy-pages daemon (CRIU's lazy migration).</summary>
public sealed partial class CriuDriver
{
    public const string LazyPagesLog = "lazy-pages.log";

    /// <summary>
    /// <c>criu dump --lazy-pages</c> of the tree rooted at <see cref="CriuDumpRequest.Pid"/>: CRIU dumps everything but the
    /// anonymous memory into <see cref="CriuDumpRequest.ImagesDirectory"/>, keeps the tree frozen (its network lock in place),
    /// and serves its pages on <paramref name="address"/> at a port the kernel picks until a <c>criu lazy-pages</c> daemon has
    /// fetched them all; then it kills the tree. Returns once the page server listens (the images are complete then), after
    /// taking <see cref="CriuDumpRequest.ReleaseAddress"/> off the host while the lock still holds. The log goes to
    /// <paramref name="logPath"/>, outside the images, which travel while CRIU still writes it. When the dump ends, CRIU's
    /// nftables lock table is deleted from the namespace.
    /// </summary>
    public async Task<CriuPageServer> StartLazyDumpAsync(CriuDumpRequest request, string address, string logPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Directory.CreateDirectory(request.ImagesDirectory);
        var (pid, nested) = PidInItsNamespace(request.Pid);
        // -o - : the log on stdout, read for the port ("Using N port") and copied into the log file.
        List<string> criu =
        [
            CriuPath, "dump", "-t", pid.ToString(CultureInfo.InvariantCulture), "-D", request.ImagesDirectory, "-o", "-", "-v4",
            "--tcp-established", "--network-lock", "nftables", "--lazy-pages", "--address", address,
        ];
        if (nested)
            criu = ["nsenter", $"--target={request.Pid.ToString(CultureInfo.InvariantCulture)}", "--pid", "--mount", "--", .. criu];
        var (file, arguments) = InNamespace(request.NetworkNamespace, criu);
        var dump = await StartServingAsync(file, arguments, address, logPath, "criu dump --lazy-pages", CriuPageServer.UsingPortLine, null, cancellationToken).ConfigureAwait(false);
        _ = dump.Finished.ContinueWith(_ => DeleteLockTablesAsync(request.NetworkNamespace, CancellationToken.None), TaskScheduler.Default).Unwrap();
        if (request.ReleaseAddress is { Length: > 0 } release)
        {
            var (f, a) = InNamespace(request.NetworkNamespace, ["ip", "addr", "del", release, "dev", request.ReleaseDevice]);
            var released = await CommandRunner.RunAsync(f, a, cancellationToken).ConfigureAwait(false);
            if (released.ExitCode != 0 && !released.Output.Contains("Cannot assign requested address", StringComparison.Ordinal))
            {
                await dump.DisposeAsync().ConfigureAwait(false);
                throw new CriuPageServerException($"the lazy dump is ready but ip addr del {release} dev {request.ReleaseDevice} failed ({released.ExitCode}): {released.Output.Trim()}; the dump was stopped");
            }
        }
        return dump;
    }

    /// <summary>
    /// <c>criu lazy-pages --page-server</c> for the images in <paramref name="imagesDirectory"/>: it fetches the pages from the
    /// lazy dump's page server at <paramref name="address"/>:<paramref name="port"/> (here: the agent's relay, which meters
    /// them) as the lazily restored process faults on them, and pushes the rest in the background; it exits when every page
    /// is in. Returns once it waits for the restore on its socket (<c>lazy-pages.socket</c> in the images directory). It runs
    /// in the agent's own network namespace: its only network peer is the relay on loopback.
    /// </summary>
    public async Task<CriuPageServer> StartLazyPagesAsync(string imagesDirectory, string address, int port, CancellationToken cancellationToken)
    {
        var log = Path.Combine(imagesDirectory, LazyPagesLog);
        List<string> arguments = ["lazy-pages", "--page-server", "--address", address, "--port", port.ToString(CultureInfo.InvariantCulture), "-D", imagesDirectory, "-o", "-", "-v4"];
        return await StartServingAsync(CriuPath, arguments, $"{address}:{port.ToString(CultureInfo.InvariantCulture)}", log, "criu lazy-pages",
            line => line.Contains("Waiting for incoming connections", StringComparison.Ordinal) ? port : null, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
    }
}
