using System.Diagnostics;
using System.Globalization;
using EdgePortal.Core.Calibration;

namespace EdgePortal.Runtime.Agent;

/// <summary>The grid a calibration runs: every state size × every dirty rate, <see cref="Repeats"/> times each.</summary>
public sealed record CalibrationGrid(IReadOnlyList<long> StateSizesBytes, IReadOnlyList<double> DirtyPagesPerSecond, int Repeats)
{
    public int Count => StateSizesBytes.Count * DirtyPagesPerSecond.Count * Repeats;

    /// <summary>The grid points in run order: each repeat runs the whole grid once, so a slow spell does not hit one point only.</summary>
    public IEnumerable<(long StateBytes, double DirtyPagesPerSecond, int Repeat)> Points()
    {
        for (var k = 0; k < Repeats; k++)
            foreach (var size in StateSizesBytes)
                foreach (var rate in DirtyPagesPerSecond)
                    yield return (size, rate, k + 1);
    }
}

/// <summary>What a calibration reports after each grid point: the point and its sample.</summary>
public sealed record CalibrationProgress(int Index, int Total, int Repeat, CalibrationSample Sample, string Detail);

/// <summary>
/// Runs a calibration grid on one host of an Agent cluster through its agent, as the runtime migrates: for every point it starts
/// the state service (<paramref name="start"/>), registers its PID with the source agent, dumps it (<c>POST /criu/dumps</c>),
/// streams the images to the destination agent when there is one (<c>POST /criu/images/{id}/send</c>) and restores them there,
/// or restores them on the source itself (loop back), then removes the restored tree, the images and the registration. Each
/// sample carries CRIU's own stage times (stats-dump, stats-restore), the agent's transfer time and the wall clock from the dump
/// call to the restore's answer (the stop-and-copy as the portal sees it).
/// </summary>
/// <param name="start">Starts the state service for a state size and dirty rate and returns it once it is ready (its state filled).</param>
public sealed class AgentCalibrationRunner(AgentClusterOptions cluster, string sourceNode, string? destinationNode,
    Func<long, double, CancellationToken, Task<Process>> start, HttpClient? http = null)
{
    private readonly EdgePortal.Agent.Contracts.Tls.AgentHttpClients _clients = new();

    /// <summary>The bandwidth the images are streamed at (the agent's token bucket); null: the agent's default.</summary>
    public double? BandwidthBitsPerSecond { get; init; }

    /// <summary>The link's bandwidth the model is told when the agent streams without a limit (the lab's tbf rate, 1 Gbit/s).</summary>
    public double LinkBandwidthBitsPerSecond { get; init; } = 1e9;

    /// <summary>
    /// Before each point's Cold migration, checkpoint the running service live (<c>criu dump --leave-running --tcp-close</c>, as
    /// MessageReplay does) and record how long CRIU kept it frozen: the sample's <see cref="CalibrationSample.LiveFreezeMs"/>.
    /// </summary>
    public bool LiveDump { get; init; } = true;

    /// <summary>
    /// After each point's Cold migration, migrate a fresh copy of the service post-copy to the destination (lazy dump, its
    /// images, restore with lazy pages, page-in, as the runtime's PostCopy does) and record its stages. Needs a destination and
    /// lazy pages on both hosts (<see cref="CriuCapabilities.LazyPages"/>): without them the run leaves post-copy out and says
    /// why in <see cref="PostCopyNote"/>.
    /// </summary>
    public bool PostCopy { get; init; }

    /// <summary>After <see cref="RunAsync"/>: whether its samples measured post-copy, and if not, why not; null when not asked for.</summary>
    public string? PostCopyNote { get; private set; }

    /// <summary>Run one untimed migration of the smallest state first, so that the first sample does not pay for cold caches.</summary>
    public bool WarmUp { get; init; } = true;

    /// <summary>Where the samples were measured, e.g. <c>lab/h1 → h2</c> or <c>lab/h1 (loop back)</c>.</summary>
    public string Host => destinationNode is null ? $"{sourceNode} (loop back)" : $"{sourceNode} → {destinationNode}";

    public async Task<IReadOnlyList<CalibrationSample>> RunAsync(CalibrationGrid grid, IProgress<CalibrationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(grid);
        if (grid.Count == 0)
            throw new ArgumentException("The grid is empty: give at least one state size, one dirty rate and one repeat.", nameof(grid));
        var source = Client(sourceNode);
        var destination = destinationNode is null ? null : Client(destinationNode);
        var postCopy = false;
        if (PostCopy)
        {
            var refusal = destination is null
                ? "post-copy not measured: it needs a destination (--to), lazy pages are restored on another host"
                : await LazyPagesRefusalAsync(source, destination, ct).ConfigureAwait(false);
            postCopy = refusal is null;
            PostCopyNote = refusal ?? $"post-copy measured at every point ({sourceNode} → {destinationNode}, lazy pages on both hosts)";
        }
        if (WarmUp)
            await MeasureAsync(source, destination, grid.StateSizesBytes.Min(), grid.DirtyPagesPerSecond.Min(), ct).ConfigureAwait(false);
        var samples = new List<CalibrationSample>(grid.Count);
        var index = 0;
        foreach (var (size, rate, repeat) in grid.Points())
        {
            var (sample, detail) = await MeasureAsync(source, destination, size, rate, ct).ConfigureAwait(false);
            if (postCopy && destination is not null)
            {
                var (lazy, lazyDetail) = await MeasurePostCopyAsync(source, destination, size, rate, ct).ConfigureAwait(false);
                sample = sample with { LazyDumpMs = lazy.DumpMs, LazyRestoreMs = lazy.RestoreMs, PageInMs = lazy.PageInMs };
                detail += "; " + lazyDetail;
            }
            samples.Add(sample);
            progress?.Report(new CalibrationProgress(++index, grid.Count, repeat, sample, detail));
        }
        return samples;
    }

    private async Task<(CalibrationSample Sample, string Detail)> MeasureAsync(AgentApiClient source, AgentApiClient? destination, long stateBytes,
        double dirtyRate, CancellationToken ct)
    {
        var id = $"calibration-{Guid.NewGuid():N}";
        var workload = id;
        var restoredOn = destination ?? source;
        using var process = await start(stateBytes, dirtyRate, ct).ConfigureAwait(false);
        try
        {
            await source.RegisterWorkloadAsync(workload, process.Id, ct).ConfigureAwait(false);
            double? liveFreezeMs = null;
            if (LiveDump)
            {
                var live = await source.DumpAsync(id + "-live", workload, null, null, ct, leaveRunning: true, tcpClose: true).ConfigureAwait(false);
                await QuietlyAsync(() => source.DeleteImagesAsync(id + "-live", CancellationToken.None)).ConfigureAwait(false);
                // What the engine counts as a live dump's downtime: CRIU's frozen time (the agent's wall clock without stats).
                liveFreezeMs = live.Stats is { } l ? l.FrozenTimeUs / 1_000.0 : live.WallClockMs;
            }
            var clock = Stopwatch.StartNew();
            var dump = await source.DumpAsync(id, workload, null, null, ct).ConfigureAwait(false);
            CriuSendAnswer? sent = null;
            if (destination is not null)
                sent = await source.SendImagesAsync(id, destination.Node, BandwidthBitsPerSecond, ct).ConfigureAwait(false);
            var restore = await restoredOn.RestoreAsync(id, workload, ct).ConfigureAwait(false);
            clock.Stop();

            var dumpMs = dump.Stats is { } d ? (d.FreezingTimeUs + (double)d.FrozenTimeUs) / 1_000 : dump.WallClockMs;
            var restoreMs = restore.Stats is { } r ? r.RestoreTimeUs / 1_000.0 : restore.WallClockMs;
            var sample = new CalibrationSample
            {
                StateSizeBytes = stateBytes,
                DirtyPagesPerSecond = dirtyRate,
                BandwidthBitsPerSecond = sent is null ? null : sent.LimitBitsPerSecond ?? LinkBandwidthBitsPerSecond,
                DumpMs = dumpMs,
                PagesWritten = dump.Stats?.PagesWritten,
                ImageBytes = dump.Bytes,
                TransferMs = sent?.WallClockMs ?? 0,
                RestoreMs = restoreMs,
                DowntimeMs = clock.Elapsed.TotalMilliseconds,
                LiveFreezeMs = liveFreezeMs,
            };
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{(liveFreezeMs is { } f ? string.Create(CultureInfo.InvariantCulture, $"live dump frozen {f:0.0} ms; ") : "")}dump {dumpMs:0.0} ms (CRIU{(dump.Stats is null ? " stats missing: wall clock" : "")}, {dump.Bytes / 1e6:0.0} MB; agent {dump.WallClockMs:0.0} ms), transfer {sample.TransferMs:0.0} ms, restore {restoreMs:0.0} ms (CRIU{(restore.Stats is null ? " stats missing: wall clock" : "")}; agent {restore.WallClockMs:0.0} ms), downtime {sample.DowntimeMs:0.0} ms");
            return (sample, detail);
        }
        finally
        {
            // Clean-up must not hide the measurement's own failure, and must run even when the caller gave up.
            await QuietlyAsync(() => restoredOn.DeleteRestoredAsync(id, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => source.DeleteImagesAsync(id, CancellationToken.None)).ConfigureAwait(false);
            if (destination is not null)
                await QuietlyAsync(() => destination.DeleteImagesAsync(id, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => source.DeleteWorkloadAsync(workload, CancellationToken.None)).ConfigureAwait(false);
            if (destination is not null)
                await QuietlyAsync(() => destination.DeleteWorkloadAsync(workload, CancellationToken.None)).ConfigureAwait(false);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// One post-copy of a fresh copy of the service, as the runtime's PostCopy runs it: <c>criu dump --lazy-pages</c> on the
    /// source (T_ld: until its page server is ready, the agent's wall clock), its images to the destination, <c>criu restore
    /// --lazy-pages</c> there (T_lr: CRIU's restore time), then the page-in (W: the resume to the last page) and the lazy
    /// dump's end; the restored tree, the images and the registrations removed.
    /// </summary>
    private async Task<((double DumpMs, double RestoreMs, double PageInMs) Stages, string Detail)> MeasurePostCopyAsync(AgentApiClient source,
        AgentApiClient destination, long stateBytes, double dirtyRate, CancellationToken ct)
    {
        var id = $"calibration-{Guid.NewGuid():N}";
        var workload = id;
        using var process = await start(stateBytes, dirtyRate, ct).ConfigureAwait(false);
        try
        {
            await source.RegisterWorkloadAsync(workload, process.Id, ct).ConfigureAwait(false);
            var dump = await source.DumpAsync(id, workload, null, null, ct, lazyPages: true).ConfigureAwait(false);
            if (dump.LazyPageServer is not { } server)
                throw new InvalidOperationException($"The lazy dump on {source.Node} named no page server to fetch the pages from.");
            var sent = await source.SendImagesAsync(id, destination.Node, BandwidthBitsPerSecond, ct).ConfigureAwait(false);
            var restore = await destination.RestoreAsync(id, workload, ct, lazyPageServer: server, bandwidthBitsPerSecond: BandwidthBitsPerSecond).ConfigureAwait(false);
            var pageIn = await destination.PageInAsync(id, ct).ConfigureAwait(false);
            await source.LazyDumpAsync(id, ct).ConfigureAwait(false);
            var restoreMs = restore.Stats is { } r ? r.RestoreTimeUs / 1_000.0 : restore.WallClockMs;
            return ((dump.WallClockMs, restoreMs, pageIn.WindowMs), string.Create(CultureInfo.InvariantCulture,
                $"post-copy: lazy dump {dump.WallClockMs:0.0} ms, images {sent.WallClockMs:0.0} ms, lazy restore {restoreMs:0.0} ms (CRIU{(restore.Stats is null ? " stats missing: wall clock" : "")}), page-in {pageIn.WindowMs:0.0} ms ({pageIn.Bytes / 1e6:0.0} MB)"));
        }
        finally
        {
            await QuietlyAsync(() => destination.DeleteRestoredAsync(id, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => source.DeleteImagesAsync(id, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => destination.DeleteImagesAsync(id, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => source.DeleteWorkloadAsync(workload, CancellationToken.None)).ConfigureAwait(false);
            await QuietlyAsync(() => destination.DeleteWorkloadAsync(workload, CancellationToken.None)).ConfigureAwait(false);
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task<string?> LazyPagesRefusalAsync(AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        foreach (var agent in new[] { source, destination })
        {
            var c = await agent.CapabilitiesAsync(ct).ConfigureAwait(false);
            if (!c.LazyPages)
                return $"post-copy not measured: {agent.Node} cannot run lazy pages ({c.LazyPagesDetail ?? "its probe says no"})";
        }
        return null;
    }

    private AgentApiClient Client(string node)
    {
        if (!cluster.Nodes.TryGetValue(node, out var url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw new ArgumentException($"The cluster has no agent for node '{node}' (its Nodes are {string.Join(", ", cluster.Nodes.Keys)}).", nameof(node));
        if (!uri.AbsoluteUri.EndsWith('/'))
            uri = new Uri(uri.AbsoluteUri + "/");
        return new AgentApiClient(cluster.HttpFor(node, uri, http, _clients), node, uri, cluster.RequestTimeout);
    }

    private static async Task QuietlyAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception e) when (e is AgentCallException or HttpRequestException or OperationCanceledException)
        {
            // Best effort: what is left (images, a restored tree) is listed by the agent and removed by its next clean-up.
        }
    }
}

/// <summary>
/// The state service a calibration migrates, as a command line on this machine: <c>{port}</c>, <c>{bytes}</c> and <c>{rate}</c>
/// (dirty pages per second) are replaced per grid point, arguments are split at spaces (no quoting). With a network namespace
/// it runs under <c>nsenter --net=</c> (a lab host). Ready is its first line on standard output (the lab's state service prints
/// <c>listening PORT</c> once its state is filled); it must then leave its stdio alone, since CRIU dumps it.
/// </summary>
public sealed class CalibrationWorkloadCommand(string template, string? networkNamespace, int port, TimeSpan readyTimeout)
{
    public string Template { get; } = string.IsNullOrWhiteSpace(template)
        ? throw new ArgumentException("The workload command is empty.", nameof(template))
        : template;

    /// <summary>The arguments of one grid point's command, placeholders replaced.</summary>
    public IReadOnlyList<string> Arguments(long stateBytes, double dirtyPagesPerSecond) =>
        Template.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.Replace("{port}", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{bytes}", stateBytes.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{rate}", dirtyPagesPerSecond.ToString("0.###", CultureInfo.InvariantCulture), StringComparison.Ordinal))
            .ToList();

    public async Task<Process> StartAsync(long stateBytes, double dirtyPagesPerSecond, CancellationToken ct)
    {
        var command = Arguments(stateBytes, dirtyPagesPerSecond);
        var info = new ProcessStartInfo(networkNamespace is null ? command[0] : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // nsenter --net execs the command after joining the namespace: the PID it gets is the service's own.
        foreach (var a in networkNamespace is null ? command.Skip(1) : [$"--net={networkNamespace}", "--", .. command])
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{command[0]} did not start.");
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bounded.CancelAfter(readyTimeout);
            string? ready;
            try
            {
                ready = await process.StandardOutput.ReadLineAsync(bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The workload '{string.Join(' ', command)}' printed no ready line within {readyTimeout.TotalSeconds:0} s.");
            }
            if (ready is null)
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"The workload '{string.Join(' ', command)}' exited ({process.ExitCode}) before it was ready: {(await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)).Trim()}");
            }
            return process;
        }
        catch
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }
}
