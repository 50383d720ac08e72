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
        if (WarmUp)
            await MeasureAsync(source, destination, grid.StateSizesBytes.Min(), grid.DirtyPagesPerSecond.Min(), ct).ConfigureAwait(false);
        var samples = new List<CalibrationSample>(grid.Count);
        var index = 0;
        foreach (var (size, rate, repeat) in grid.Points())
        {
            var (sample, detail) = await MeasureAsync(source, destination, size, rate, ct).ConfigureAwait(false);
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
            };
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"dump {dumpMs:0.0} ms (CRIU{(dump.Stats is null ? " stats missing: wall clock" : "")}, {dump.Bytes / 1e6:0.0} MB; agent {dump.WallClockMs:0.0} ms), transfer {sample.TransferMs:0.0} ms, restore {restoreMs:0.0} ms (CRIU{(restore.Stats is null ? " stats missing: wall clock" : "")}; agent {restore.WallClockMs:0.0} ms), downtime {sample.DowntimeMs:0.0} ms");
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
